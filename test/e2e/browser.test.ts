// Browser tests against the real built web app and inference service (see harness.ts).
// One harness for the whole file: starting Next and the inference service costs most of the time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "./harness";
import { newUser, signUp } from "./helpers";
import { authSuite } from "./suites/auth";
import { int8Suite } from "./suites/int8";
import { languagesSuite } from "./suites/languages";
import { librarySuite } from "./suites/library";
import { moreSuite } from "./suites/more";
import { resultFilesSuite } from "./suites/result-files";
import { scoresSuite } from "./suites/scores";
import { studioSuite } from "./suites/studio";

let studio: Studio | undefined;
const getStudio = (): Studio => {
  if (!studio) throw new Error("studio not started");
  return studio;
};

beforeAll(async () => {
  studio = await startStudio();
}, 600_000);

afterAll(async () => {
  await studio?.stop();
}, 60_000);

// Browser flows wait for real model runs: allow minutes, not the default minute.
const slow = { timeout: 240_000 };

describe("accounts", slow, () => authSuite(getStudio));
describe("studio", slow, () => studioSuite(getStudio));
describe("datasets and segmentation", slow, () => moreSuite(getStudio));
describe("library", slow, () => librarySuite(getStudio));
describe("languages", slow, () => languagesSuite(getStudio));
describe("result files", slow, () => resultFilesSuite(getStudio));
describe("quality scores", slow, () => scoresSuite(getStudio));
describe("fast CPU mode (INT8)", slow, () => int8Suite(getStudio));

describe("security", slow, () => {
  it("pages and API answers carry the security headers", async () => {
    const s = getStudio();
    const context = await s.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto("/sign-in");
      const headers = response?.headers() ?? {};
      const policy = headers["content-security-policy"] ?? "";
      expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("object-src 'none'");
      expect(policy).not.toContain("unsafe-eval");
      expect(headers["x-frame-options"]).toBe("DENY");
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["referrer-policy"]).toBe("same-origin");
      // A fresh nonce for every page load.
      const again = (await page.goto("/sign-in"))?.headers()["content-security-policy"];
      expect(again).not.toBe(policy);

      const api = await fetch(`${s.webUrl}/api/trpc/auth.me`);
      expect(api.headers.get("x-content-type-options")).toBe("nosniff");
      expect(api.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    } finally {
      await context.close();
    }
  });

  it("refuses changes from another site that carry the session cookie", async () => {
    const s = getStudio();
    const context = await s.newContext();
    try {
      const page = await context.newPage();
      await signUp(page, newUser("Victim"));
      const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
      const me = (await (
        await fetch(`${s.webUrl}/api/trpc/auth.me`, { headers: { cookie } })
      ).json()) as { result: { data: { json: { teams: Array<{ id: string }> } } } };
      const teamId = me.result.data.json.teams[0]?.id as string;
      // Another port of the same host: same site, so a lax cookie rides along.
      const attacker = new URL(s.webUrl);
      attacker.port = String(Number(attacker.port) + 1);
      const foreign = { cookie, origin: attacker.origin, "content-type": "text/plain" };
      const create = (headers: Record<string, string>) =>
        fetch(`${s.webUrl}/api/trpc/datasets.create?batch=1`, {
          method: "POST",
          headers,
          body: JSON.stringify({ 0: { json: { teamId, name: "planted" } } }),
        });

      expect((await create(foreign)).status).toBe(403);
      const upload = await fetch(`${s.webUrl}/api/files/images?teamId=${teamId}&name=x.png`, {
        method: "POST",
        headers: foreign,
        body: "not even an image",
      });
      expect(upload.status).toBe(403);
      expect(((await upload.json()) as { error: { code: string } }).error.code).toBe(
        "cross_site_request",
      );
      const signOut = await fetch(`${s.webUrl}/api/auth/signout`, {
        method: "POST",
        headers: { ...foreign, "content-type": "application/x-www-form-urlencoded" },
        body: "json=true",
      });
      expect(signOut.status).toBe(403);

      // The same request from the app's own origin goes through.
      const own = await create({ cookie, origin: s.webUrl, "content-type": "application/json" });
      expect(own.status).toBe(200);
    } finally {
      await context.close();
    }
  });

  it("no page of any flow above violated the content security policy", () => {
    expect(getStudio().cspViolations()).toEqual([]);
  });

  it("no page of any flow above wrote an error to the console or threw one", () => {
    expect(getStudio().consoleErrors()).toEqual([]);
  });
});
