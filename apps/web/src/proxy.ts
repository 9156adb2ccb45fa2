import { type NextRequest, NextResponse } from "next/server";
import { env } from "~/env";

/**
 * The pages' content security policy, with a fresh nonce per request: Next.js reads the nonce
 * from the request's policy and puts it on the scripts it inlines and loads ('strict-dynamic'
 * lets those load their chunks). Every page is rendered per request already (the layout reads
 * the locale cookie), so no page is served with a stale nonce.
 * - style-src allows inline styles: React, Radix and Recharts set style attributes, which a
 *   nonce cannot cover (with a nonce present browsers ignore 'unsafe-inline'). Styles cannot
 *   run code; scripts stay nonce-only.
 * - img-src: images come from the file routes (same origin), canvas previews as data: URLs and
 *   local files as blob: URLs.
 * - No upgrade-insecure-requests: the app is often served over plain HTTP on a local network.
 * - 'unsafe-eval' only in development, where React rebuilds server error stacks with eval.
 */
function contentSecurityPolicy(nonce: string): string {
  const dev = env.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  matcher: [
    // Pages only: API routes set their own headers (@studio/api http/guards.ts), and static
    // files and prefetches carry no inline scripts.
    {
      source: "/((?!api|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
