// Result files (issue #19): an upscale written as JPEG at half the model's scale, named and typed
// as such, its provenance inside the file; the file dropped on the New task page fills the form
// with its weight and parameters, and a file whose weight the team lacks, or that carries no
// provenance, is said so in words.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { probeImage, readProvenance } from "@studio/core/image";
import { FIXTURES_DIR } from "@studio/fixtures";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  addTaskImage,
  chooseOption,
  inTeam,
  newUser,
  signUp,
  TASK_PAGE,
  waitForText,
  withPage,
} from "../helpers";
import { ARTIFACTS_DIR } from "../paths";

/** Drops a file on the New task page's result source, as a file dragged from the desktop. */
async function dropResult(page: Page, name: string, bytes: Buffer): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, data }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name));
      return dt;
    },
    { name, data: bytes.toString("base64") },
  );
  const target = page.getByTestId("result-source");
  await target.dispatchEvent("dragenter", { dataTransfer: transfer });
  await target.dispatchEvent("drop", { dataTransfer: transfer });
}

export function resultFilesSuite(studio: () => Studio): void {
  it("writes an upscale as JPEG at x2; dropping that result on New task fills the form with its weight and settings", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Files"));
      await page.goto(inTeam(page, "/tasks/new"));
      await waitForText(page.getByTestId("weight-select"), "Real-ESRGAN AnimeVideo v3 x4");
      await addTaskImage(page, join(FIXTURES_DIR, "microaneurysms.png"));

      const main = page.locator("main");
      await chooseOption(main, "Output format", "JPEG");
      await chooseOption(main, "Output size", "x2");
      // The preview is of these settings (the JPEG's effect shown), then the task is sent.
      await page.waitForFunction(
        () => {
          const img = document.querySelector('[data-testid="preview-after"]');
          const params = img?.getAttribute("data-params") ?? "";
          return params.includes('"jpeg"') && params.includes('"scale":2');
        },
        undefined,
        { timeout: 60_000 },
      );
      await page.getByTestId("submit-task").click();
      await page.waitForURL(TASK_PAGE);
      await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId("param-output-format").textContent()).toBe("JPEG, quality 90");
      expect(await page.getByTestId("param-output-size").textContent()).toBe("x2");
      expect(await page.getByTestId("param-output-color").textContent()).toBe(
        "Keep the image's profile",
      );

      await page.getByRole("link", { name: "Open" }).first().click();
      await page.waitForURL(/\/items\//);
      await page.getByTestId("result-size").waitFor();
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("download-result").click(),
      ]);
      expect(download.suggestedFilename()).toBe("microaneurysms_x2.jpg");
      const resultFile = join(ARTIFACTS_DIR, "result-x2.jpg");
      await download.saveAs(resultFile);
      const bytes = readFileSync(resultFile);
      const info = await probeImage(bytes);
      expect([info.format, info.width, info.height]).toEqual(["jpeg", 204, 204]);
      const provenance = await readProvenance(bytes);
      expect(provenance).toMatchObject({
        taskKind: "super_resolution",
        params: { output: { format: "jpeg", size: { mode: "scale", scale: 2 } } },
      });

      // A fresh form: the dropped result brings its weight and settings back.
      await page.goto(inTeam(page, "/tasks/new"));
      await chooseOption(main, "Output format", "WebP lossless");
      await dropResult(page, "microaneurysms_x2.jpg", bytes);
      await waitForText(
        page.getByTestId("result-source-note"),
        "The settings of microaneurysms_x2.jpg are filled in: weight Real-ESRGAN AnimeVideo v3 x4",
      );
      await waitForText(page.getByTestId("output-format-select"), "JPEG");
      await waitForText(page.getByTestId("output-size-select"), "x2");
      await waitForText(page.getByTestId("weight-select"), "Real-ESRGAN AnimeVideo v3 x4");
      await s.screenshot(page, "new-task-from-result");

      // The same file as if made with a weight this team never had: the parameters still fill
      // the form, and the missing weight is named.
      const sha = provenance?.weight.sha256 as string;
      const foreign = Buffer.from(
        bytes.toString("latin1").replaceAll(sha, "0".repeat(64)),
        "latin1",
      );
      writeFileSync(join(ARTIFACTS_DIR, "result-foreign.jpg"), foreign);
      await dropResult(page, "foreign.jpg", foreign);
      await waitForText(
        page.getByTestId("result-source-note"),
        /foreign\.jpg was made with the weight .* \(sha256 000000000000…\), which this team does not have/,
      );
      // An original carries no provenance: said so, the form left as it was.
      await page
        .getByTestId("result-source-input")
        .setInputFiles(join(FIXTURES_DIR, "microaneurysms.png"));
      await waitForText(
        page.getByTestId("result-source-note"),
        "microaneurysms.png carries no Vision Studio provenance",
      );
      await waitForText(page.getByTestId("output-format-select"), "JPEG");
    });
  });
}
