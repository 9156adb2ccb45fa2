import type { NextConfig } from "next";
import createNextIntlPlugin from "next-intl/plugin";

const withNextIntl = createNextIntlPlugin("./src/i18n/request.ts");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Workspace packages ship TypeScript source, so Next compiles them with the app.
  transpilePackages: [
    "@studio/api",
    "@studio/client",
    "@studio/contracts",
    "@studio/core",
    "@studio/db",
  ],
  // Native addons and Prisma's runtime must be loaded by Node at run time, not bundled.
  serverExternalPackages: [
    "better-sqlite3",
    "sharp",
    "onnxruntime-node",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "pg",
    "@prisma/schema-engine-wasm",
    "pino",
    "pino-roll",
  ],
  // The build does not check types a second time: `npm test` checks every package's, this app's
  // included (`pnpm typecheck`: next typegen && tsc), before it builds; skipping it here saves
  // half a minute of every build, `npm start`'s first one too.
  typescript: { ignoreBuildErrors: true },
  // On every response, pages, API and static files alike. The pages' content security policy
  // carries a per-request nonce and is set in src/proxy.ts; API routes add their own
  // (@studio/api http/guards.ts).
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default withNextIntl(config);
