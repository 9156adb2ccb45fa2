// Starts the real product for browser tests: a migrated temp SQLite store, a temp DATA_DIR,
// the inference service and the built web app on free ports, and Debian's Chromium.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "@studio/db/migrate";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { e2eEnv } from "./env";
import { provideOfficialWeights } from "./official-weights";
import { ARTIFACTS_DIR, INFERENCE_DIR, REPO_ROOT, SCREENSHOT_DIR, WEB_DIR } from "./paths";

export const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Studio {
  webUrl: string;
  inferenceUrl: string;
  dataDir: string;
  databaseUrl: string;
  browser: Browser;
  /** A fresh browser profile (cookies, storage) at the given viewport. */
  newContext(options?: {
    width?: number;
    height?: number;
    locale?: string;
  }): Promise<BrowserContext>;
  /** Saves a full-page screenshot to test-results/screenshots/<name>.png. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Output of both servers so far, for failure messages. */
  logs(): string;
  /**
   * Content security policy violations seen so far in any page of any context (the
   * `securitypolicyviolation` event and the browser's console report of it).
   */
  cspViolations(): string[];
  /**
   * Errors the pages wrote to the console or threw, in any context so far, less the few in
   * CONSOLE_ALLOWED.
   */
  consoleErrors(): string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Builds the web app when no build exists (or E2E_REBUILD=1), so a fresh clone can run this. */
export function ensureWebBuild(): void {
  const built = existsSync(join(WEB_DIR, ".next/BUILD_ID"));
  if (built && e2eEnv.E2E_REBUILD !== "1") return;
  const result = spawnSync("pnpm", ["--filter", "@studio/web", "build"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error("building @studio/web failed");
}

function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  log: string[],
): ChildProcess {
  // Own process group, so stopping kills the whole tree (pnpm/tsx/next spawn children).
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    log.push(`[${name}] ${chunk.toString()}`);
    if (log.length > 2000) log.splice(0, log.length - 2000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return child;
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number, log: string[]) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `process for ${url} exited with ${child.exitCode}:\n${log.join("").slice(-4000)}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${url}:\n${log.join("").slice(-4000)}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** Records every content security policy violation in the context's pages into `into`. */
async function watchCsp(context: BrowserContext, into: string[]): Promise<void> {
  await context.exposeBinding("__studioCspViolation", ({ page }, report: string) => {
    into.push(`${page?.url() ?? "?"}: ${report}`);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __studioCspViolation(r: string): void })
        .__studioCspViolation;
      report(
        `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  context.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      into.push(`${message.page()?.url() ?? "?"}: console: ${message.text()}`);
    }
  });
}

/**
 * Console errors that are not faults. Chromium logs every 4xx answer as "Failed to load
 * resource"; the flows provoke those on purpose (a wrong password, an invalid weight, a
 * stranger's link) and check that the page explains them in words.
 */
const CONSOLE_ALLOWED: RegExp[] = [
  /^Failed to load resource: the server responded with a status of 4\d\d/,
];

/** Records the context's console errors and uncaught page errors into `into`. */
function watchConsole(context: BrowserContext, into: string[]): void {
  context.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (CONSOLE_ALLOWED.some((allowed) => allowed.test(text))) return;
    const where = message.location();
    into.push(`${message.page()?.url() ?? "?"}: ${text} (${where.url}:${where.lineNumber})`);
  });
  context.on("weberror", (error) => {
    into.push(`${error.page()?.url() ?? "?"}: uncaught ${error.error().message}`);
  });
}

export async function startStudio(
  options: { extraEnv?: Record<string, string> } = {},
): Promise<Studio> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`browser tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  }
  ensureWebBuild();
  const dataDir = mkdtempSync(join(tmpdir(), "studio-e2e-"));
  const databaseUrl = `file:${join(dataDir, "studio.db")}`;
  await migrateDatabase(databaseUrl);
  provideOfficialWeights(dataDir, databaseUrl);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });

  const [webPort, inferencePort] = [await freePort(), await freePort()];
  const webUrl = `http://127.0.0.1:${webPort}`;
  const inferenceUrl = `http://127.0.0.1:${inferencePort}`;
  const token = randomBytes(24).toString("hex");
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    INFERENCE_URL: inferenceUrl,
    INFERENCE_TOKEN: token,
    INFERENCE_HOST: "127.0.0.1",
    INFERENCE_PORT: String(inferencePort),
    NEXT_TELEMETRY_DISABLED: "1",
    LOG_LEVEL: "warn",
    LOG_TO_FILE: "false",
    // Every browser of the suite signs up from 127.0.0.1; the product's default is 10 an hour.
    REGISTRATIONS_PER_HOUR: "1000",
    ...options.extraEnv,
  };
  const log: string[] = [];
  const children: ChildProcess[] = [];
  const cleanupDir = () => rmSync(dataDir, { recursive: true, force: true });

  let browser: Browser | undefined;
  try {
    const tsx = join(REPO_ROOT, "node_modules/.bin/tsx");
    const inference = startProcess(
      "inference",
      existsSync(tsx) ? tsx : "npx",
      existsSync(tsx) ? ["src/main.ts"] : ["tsx", "src/main.ts"],
      { cwd: INFERENCE_DIR, env: { ...common, NODE_ENV: "production" } },
      log,
    );
    children.push(inference);
    // The production server that `npm start` runs (it sets the trusted client-address header).
    const web = startProcess(
      "web",
      process.execPath,
      ["server.mjs"],
      {
        cwd: WEB_DIR,
        env: {
          ...common,
          NODE_ENV: "production",
          NEXTAUTH_URL: webUrl,
          NEXTAUTH_SECRET: randomBytes(32).toString("hex"),
          WEB_PORT: String(webPort),
        },
      },
      log,
    );
    children.push(web);
    await Promise.all([
      waitFor(`${inferenceUrl}/health`, inference, 90_000, log),
      waitFor(`${webUrl}/api/auth/csrf`, web, 90_000, log),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (error) {
    await Promise.all(children.map(stopProcess));
    cleanupDir();
    throw error;
  }
  const liveBrowser = browser;
  let contextCount = 0;
  const cspViolations: string[] = [];
  const consoleErrors: string[] = [];

  return {
    webUrl,
    inferenceUrl,
    dataDir,
    databaseUrl,
    browser: liveBrowser,
    async newContext({ width = 1280, height = 860, locale = "en-US" } = {}) {
      // Each profile is its own client as far as per-address rate limits go (the app trusts
      // X-Forwarded-For from its proxy); otherwise every test shares 127.0.0.1's quota.
      contextCount += 1;
      const context = await liveBrowser.newContext({
        baseURL: webUrl,
        extraHTTPHeaders: { "x-forwarded-for": `198.51.100.${contextCount % 250}` },
        viewport: { width, height },
        locale,
        acceptDownloads: true,
      });
      context.setDefaultTimeout(20_000);
      await watchCsp(context, cspViolations);
      watchConsole(context, consoleErrors);
      return context;
    },
    async screenshot(page, name) {
      const file = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    logs: () => log.join(""),
    cspViolations: () => [...cspViolations],
    consoleErrors: () => [...consoleErrors],
    async stop() {
      await liveBrowser.close().catch(() => undefined);
      await Promise.all(children.map(stopProcess));
      if (e2eEnv.E2E_KEEP_DATA === "1") {
        writeFileSync(join(dataDir, "server.log"), log.join(""));
      } else {
        cleanupDir();
      }
    },
  };
}
