import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT, type Studio } from "../harness";
import { newUser, signUp, waitForText } from "../helpers";
import { pngSize } from "../png";

const FIXTURES = join(REPO_ROOT, "test/e2e/fixtures");
const ARTIFACTS = join(REPO_ROOT, "test-results/e2e");

export function moreSuite(studio: () => Studio): void {
  it("a dataset takes dropped files with per-file progress and a per-file error, then shows gallery and charts", async () => {
    const s = studio();
    const context = await s.newContext();
    const page = await context.newPage();
    try {
      await signUp(page, newUser("Data"));
      await page.goto("/datasets");
      await page.getByLabel("Dataset name").fill("Retina crops");
      await page.getByRole("button", { name: "Create dataset" }).click();
      await page.waitForURL(/\/datasets\/[^/]+$/);

      // A real drop event with real files, as a person dragging from the desktop makes.
      const files = [
        { name: "microaneurysms.png", type: "image/png", b64: readFileSync(join(FIXTURES, "microaneurysms.png")).toString("base64") },
        { name: "text.png", type: "image/png", b64: readFileSync(join(FIXTURES, "text.png")).toString("base64") },
        { name: "page.png", type: "image/png", b64: Buffer.from("<html><body>not an image</body></html>").toString("base64") },
      ];
      const dataTransfer = await page.evaluateHandle((list) => {
        const dt = new DataTransfer();
        for (const f of list) {
          const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
          dt.items.add(new File([bytes], f.name, { type: f.type }));
        }
        return dt;
      }, files);
      await page.dispatchEvent('[data-testid="dropzone"]', "dragenter", { dataTransfer });
      await page.dispatchEvent('[data-testid="dropzone"]', "drop", { dataTransfer });

      const list = page.getByTestId("upload-list");
      await list.locator('li[data-state="done"]').nth(1).waitFor({ timeout: 30_000 });
      const failed = list.locator('li[data-state="failed"][data-file="page.png"]');
      await failed.waitFor();
      const reason = (await failed.getByRole("alert").textContent()) ?? "";
      expect(reason).toMatch(/^Failed: .{10,}/);
      await waitForText(page.getByTestId("dataset-count"), "2");
      expect(await page.getByTestId("gallery").locator("li").count()).toBe(2);
      await page.getByTestId("chart-formats").locator("svg").first().waitFor();
      await s.screenshot(page, "dataset-detail");
    } finally {
      await context.close();
    }
  });

  it("segmentation: the threshold re-binarises the stored probability map in the browser and the mask downloads at that threshold", async () => {
    const s = studio();
    const context = await s.newContext({ width: 1366, height: 900 });
    const page = await context.newPage();
    try {
      await signUp(page, newUser("Seg"));
      await page.goto("/tasks/new");
      await page.getByTestId("kind-select").click();
      await page.getByRole("option", { name: "Segmentation" }).click();
      await waitForText(page.getByTestId("weight-select"), "PP-OCRv4");
      const input = join(FIXTURES, "text.png");
      await page.getByTestId("dropzone").locator('input[type="file"]').setInputFiles(input);
      await page.locator('[data-testid="upload-list"] li[data-state="done"]').waitFor();
      await page.getByTestId("preview-after").waitFor({ state: "attached", timeout: 60_000 });
      await page.getByTestId("submit-task").click();
      await page.waitForURL(/\/tasks\/[^/]+$/);
      await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });
      await page.getByRole("link", { name: "Open" }).first().click();
      await page.getByTestId("mask-canvas").waitFor();
      await page.getByTestId("foreground-share").waitFor();
      const before = await page.getByTestId("foreground-share").textContent();
      await s.screenshot(page, "result-segmentation");

      const thumb = page.getByRole("slider", { name: "Threshold" });
      await thumb.focus();
      for (let i = 0; i < 40; i += 1) await thumb.press("ArrowLeft");
      await waitForText(page.getByTestId("threshold-value"), "0.10");
      await page.waitForFunction(
        (prev) => document.querySelector('[data-testid="foreground-share"]')?.textContent !== prev,
        before,
      );
      await s.screenshot(page, "result-segmentation-threshold");

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: /Download mask at 0\.10/ }).click(),
      ]);
      expect(download.suggestedFilename()).toContain("t0.10");
      const file = join(ARTIFACTS, "mask-t0.10.png");
      await download.saveAs(file);
      expect(pngSize(file)).toEqual(pngSize(input));
    } finally {
      await context.close();
    }
  });
}
