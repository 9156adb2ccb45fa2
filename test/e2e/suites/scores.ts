// Quality scores in the browser: an archive with masks/ beside images/ shows its references on
// the dataset page; a segmentation task on it shows Dice / IoU, the threshold sweep chart and a
// row per image on the task page and in the report.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSegmentationModel, writeZipEntries } from "@studio/core/testing";
import { FIXTURES_DIR } from "@studio/fixtures";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  chooseOption,
  inTeam,
  newUser,
  openWeightUpload,
  signUp,
  TASK_PAGE,
  waitForText,
  withPage,
} from "../helpers";
import { ARTIFACTS_DIR } from "../paths";

export function scoresSuite(studio: () => Studio): void {
  it("a dataset with reference masks gets quality scores on the task page and in the report", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Scores"));
      const model = buildSegmentationModel({ size: 256, channels: 1, sigmoid: true, seed: 11 });
      const weightFile = join(ARTIFACTS_DIR, "tiny-unet-scores.onnx");
      writeFileSync(weightFile, model.bytes);
      const upload = await openWeightUpload(page);
      await upload.getByLabel("Weight file").setInputFiles(weightFile);
      await chooseOption(upload, "Task kind", "Segmentation");
      await chooseOption(upload, "Model preset", "octa");
      await upload.getByLabel("Name").fill("Scored U-Net");
      await upload.getByLabel("Model family").fill("scored-unet");
      await upload.getByRole("button", { name: "Upload weight" }).click();
      await waitForText(upload.getByRole("status").last(), /passed validation/, 60_000);

      // images/ and masks/ with the same stems; the image itself stands in for its mask.
      const png = readFileSync(join(FIXTURES_DIR, "microaneurysms.png"));
      const archive = join(ARTIFACTS_DIR, "vessels.zip");
      writeFileSync(
        archive,
        writeZipEntries([
          { name: "vessels/images/a.png", data: png },
          { name: "vessels/masks/a.png", data: png },
        ]),
      );
      await page.goto(inTeam(page, "/datasets"));
      await page.getByLabel("Dataset name").fill("Vessels");
      await page.getByRole("button", { name: "Create dataset" }).click();
      await page.waitForURL(/\/datasets\/[^/]+$/);
      await page.getByTestId("dropzone").locator('input[type="file"]').setInputFiles(archive);
      await page
        .locator('[data-testid="upload-list"] li[data-state="done"]')
        .waitFor({ timeout: 60_000 });
      await waitForText(page.getByTestId("dataset-references"), /Masks for 1 image/);
      await waitForText(page.getByTestId("dataset-count"), "1");

      // The dataset's own button (the navigation has a "New task" link too).
      await page.locator("#main").getByRole("link", { name: "New task" }).click();
      await page.getByTestId("kind-select").click();
      await page.getByRole("option", { name: "Segmentation" }).click();
      await page.getByTestId("weight-select").click();
      await page.getByRole("option", { name: /Scored U-Net/ }).click();
      await page.getByTestId("submit-task").click();
      await page.waitForURL(TASK_PAGE);
      await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });

      const scores = page.getByTestId("task-scores");
      await scores.waitFor({ timeout: 30_000 });
      expect(await scores.getAttribute("data-kind")).toBe("segmentation");
      expect((await page.getByTestId("score-dice").textContent()) ?? "").toMatch(/^[01]\.\d{4}$/);
      expect((await page.getByTestId("score-best-threshold").textContent()) ?? "").toMatch(
        /^Dice [01]\.\d{4} at 0(\.\d+)?|^Dice [01]\.\d{4} at 1/,
      );
      await scores.locator("figure svg").first().waitFor();
      expect(await page.getByTestId("item-scores").count()).toBe(1);
      await s.screenshot(page, "task-scores");

      await page.getByRole("link", { name: "Report" }).click();
      await page.getByTestId("report").getByTestId("task-scores").waitFor();
      await s.screenshot(page, "report-scores");
      expect(s.consoleErrors()).toEqual([]);
    });
  });
}
