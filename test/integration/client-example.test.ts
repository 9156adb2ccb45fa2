// The README's developer example (packages/client/examples/upscale.ts), run as a user would
// run it: a separate process with an API token, against the real built web app and the real
// inference service.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createApiToken, hashPassword } from "@studio/api/auth";
import { createDb } from "@studio/db/client";
import { createUserWithPersonalTeam } from "@studio/db/users";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../e2e/harness";
import { REPO_ROOT } from "../e2e/paths";
import { pngSize } from "../e2e/png";

describe("typed client example", () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
  }, 600_000);
  afterAll(async () => {
    await studio?.stop();
  });

  it("uploads an image, runs the official SR weight, waits and saves a 4x PNG", async () => {
    const db = createDb(studio.databaseUrl);
    const { user } = await createUserWithPersonalTeam(db, {
      email: "developer@example.com",
      name: "Developer",
      passwordHash: await hashPassword("a long enough password"),
    });
    const { token } = await createApiToken(db, user.id, { name: "example" });
    await db.$disconnect();

    const input = fixturePath("microaneurysms.png");
    const output = path.join(studio.dataDir, "example-output.png");
    const run = spawnSync(
      path.join(REPO_ROOT, "node_modules/.bin/tsx"),
      ["examples/upscale.ts", "--url", studio.webUrl, "--token", token, input, output],
      {
        cwd: path.join(REPO_ROOT, "packages/client"),
        encoding: "utf8",
        env: process.env,
        timeout: 240_000,
      },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}\n${studio.logs()}`).toBe(0);
    expect(run.stdout).toMatch(/task succeeded 100%/);
    const source = pngSize(input);
    expect(pngSize(output)).toEqual({
      width: source.width * 4,
      height: source.height * 4,
    });
  }, 300_000);
});
