// Large libraries: the image picker's upload-date filter, a dataset image opened large and
// taken out of its dataset, and a weight file of the wrong format refused from its first bytes
// before anything is uploaded.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDb } from "@studio/db/client";
import { FIXTURES_DIR } from "@studio/fixtures";
import type { Request } from "playwright-core";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  addTaskImage,
  chooseOption,
  currentTeamId,
  inTeam,
  newUser,
  openWeightUpload,
  signUp,
  waitForText,
  withPage,
} from "../helpers";
import { ARTIFACTS_DIR } from "../paths";

/** A date input's value for the day `days` from today (local time, as the browser's). */
function day(days: number): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function librarySuite(studio: () => Studio): void {
  it("the image picker finds images by upload date: presets, a custom range, and an empty range said in words", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Dates"));
      await page.goto(inTeam(page, "/tasks/new"));
      await addTaskImage(page, join(FIXTURES_DIR, "microaneurysms.png"));
      await page
        .getByTestId("dropzone")
        .locator('input[type="file"]')
        .setInputFiles(join(FIXTURES_DIR, "text.png"));
      await page.locator('[data-testid="upload-list"] li[data-state="done"]').nth(1).waitFor();
      // text.png was uploaded 40 days ago, as far as the library knows.
      const db = createDb(s.databaseUrl);
      try {
        const old = new Date(Date.now() - 40 * 24 * 3600 * 1000);
        const moved = await db.image.updateMany({
          where: { teamId: currentTeamId(page), originalName: "text.png" },
          data: { createdAt: old },
        });
        expect(moved.count).toBe(1);
      } finally {
        await db.$disconnect();
      }
      const shown = () =>
        page
          .locator('[data-testid="picker-image"] input[type="checkbox"]')
          .evaluateAll((boxes) => boxes.map((b) => b.getAttribute("aria-label")));
      const pick = async (option: string) => {
        await page.getByTestId("image-date-filter").click();
        await page.getByRole("option", { name: option, exact: true }).click();
      };

      await pick("Uploaded today");
      await expect.poll(shown, { timeout: 20_000 }).toEqual(["microaneurysms.png"]);
      await pick("Last 30 days");
      await expect.poll(shown, { timeout: 20_000 }).toEqual(["microaneurysms.png"]);
      await pick("Uploaded any time");
      await expect
        .poll(async () => (await shown()).sort(), { timeout: 20_000 })
        .toEqual(["microaneurysms.png", "text.png"]);

      // A custom range of whole days around the old upload finds it alone.
      await pick("Date range…");
      const range = page.getByTestId("image-date-range");
      await range.getByLabel("Uploaded from").fill(day(-45));
      await range.getByLabel("Uploaded to (inclusive)").fill(day(-35));
      await expect.poll(shown, { timeout: 20_000 }).toEqual(["text.png"]);
      await s.screenshot(page, "image-picker-date-range");

      // A range that ends before it starts is said, and nothing is listed.
      await range.getByLabel("Uploaded from").fill(day(-30));
      await waitForText(page.getByTestId("image-date-error"), "The date range is empty");
      await expect.poll(shown).toEqual([]);
      await range.getByLabel("Uploaded to (inclusive)").fill(day(0));
      await expect.poll(shown, { timeout: 20_000 }).toEqual(["microaneurysms.png"]);
      expect(await page.getByTestId("image-date-error").count()).toBe(0);
    });
  });

  it("a dataset image opens large with its size and label, steps to the next, and is removed from the dataset alone", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Gallery"));
      await page.goto(inTeam(page, "/datasets"));
      await page.getByLabel("Dataset name").fill("Three crops");
      await page.getByRole("button", { name: "Create dataset" }).click();
      await page.waitForURL(/\/datasets\/[^/]+$/);
      await page
        .getByTestId("dropzone")
        .locator('input[type="file"]')
        .setInputFiles(
          ["camera.png", "coffee.png", "text.png"].map((name) => join(FIXTURES_DIR, name)),
        );
      await waitForText(page.getByTestId("dataset-count"), "3", 60_000);
      const thumbs = page.getByTestId("gallery-image");
      await expect.poll(() => thumbs.count(), { timeout: 20_000 }).toBe(3);

      // In path order: camera, coffee, text. The first opens large.
      await thumbs.first().click();
      const dialog = page.getByTestId("dataset-image-dialog");
      await dialog.waitFor();
      await waitForText(dialog.getByTestId("dataset-image-name"), "camera.png");
      const facts = (await dialog.getByTestId("dataset-image-facts").textContent()) ?? "";
      expect(facts).toMatch(/\d+×\d+ px · PNG · [\d.]+ (?:KB|MB)/);
      expect(facts).toContain("No label");
      const large = dialog.getByTestId("dataset-image-large");
      await expect
        .poll(() => large.evaluate((img) => (img as HTMLImageElement).naturalWidth), {
          timeout: 20_000,
        })
        .toBeGreaterThan(0);
      await dialog.getByTestId("dataset-image-next").click();
      await waitForText(dialog.getByTestId("dataset-image-name"), "coffee.png");
      await page.keyboard.press("ArrowLeft");
      await waitForText(dialog.getByTestId("dataset-image-name"), "camera.png");
      await page.keyboard.press("ArrowRight");
      await waitForText(dialog.getByTestId("dataset-image-name"), "coffee.png");
      await s.screenshot(page, "dataset-image-dialog");

      // Removing asks first and says what happens to the image and its results.
      await dialog.getByTestId("dataset-image-remove").click();
      const confirm = page.getByRole("alertdialog");
      await waitForText(confirm, "Remove “coffee.png” from this dataset?");
      expect(await confirm.textContent()).toContain("It stays in your image library");
      await confirm.getByRole("button", { name: "Remove from dataset" }).click();
      // The next image takes its place; counts follow.
      await waitForText(dialog.getByTestId("dataset-image-name"), "text.png");
      await waitForText(page.getByTestId("dataset-count"), "2");
      await page.keyboard.press("Escape");
      await expect
        .poll(() => thumbs.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label"))))
        .toEqual(["Open camera.png", "Open text.png"]);

      // Still in the library: the task form's picker finds it.
      await page.goto(inTeam(page, "/tasks/new"));
      await page.getByTestId("image-search").fill("coffee");
      await page
        .locator('[data-testid="picker-image"] input[aria-label="coffee.png"]')
        .waitFor({ timeout: 20_000 });
    });
  });

  it("a weight file of the wrong format is refused from its first bytes, before any upload request", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Sniff"));
      const uploads: Request[] = [];
      page.on("request", (request) => {
        if (new URL(request.url()).pathname === "/api/files/weights") uploads.push(request);
      });
      const upload = await openWeightUpload(page);

      // A photo chosen as ONNX.
      await upload.getByLabel("Weight file").setInputFiles(join(FIXTURES_DIR, "chelsea.png"));
      await upload.getByLabel("Name").fill("Cat");
      await upload.getByLabel("Model family").fill("cat");
      await upload.getByRole("button", { name: "Upload weight" }).click();
      const error = page.getByTestId("weight-upload-error");
      await waitForText(error, "looks like a PNG image");
      const text = (await error.textContent()) ?? "";
      expect(text).toContain("“chelsea.png” looks like a PNG image");
      expect(text).toContain("this upload takes an ONNX model (.onnx)");
      expect(await error.getAttribute("data-found")).toBe("png");
      expect(await upload.getByRole("progressbar").count()).toBe(0);

      // A PyTorch checkpoint chosen as ONNX: the format to choose instead is named.
      await upload
        .getByLabel("Weight file")
        .setInputFiles(join(FIXTURES_DIR, "torch-ref-srvgg-x2-prelu.pth"));
      await upload.getByRole("button", { name: "Upload weight" }).click();
      await waitForText(error, "looks like a PyTorch checkpoint");
      expect(await error.textContent()).toContain(
        "Choose the file format “PyTorch / safetensors (.pth, .pt, .safetensors)” for it.",
      );

      // An NCNN pair with the files swapped.
      await chooseOption(upload, "File format", /^NCNN/);
      const bin = join(ARTIFACTS_DIR, "swapped.bin");
      writeFileSync(bin, "7767517\n1 1\nInput data 0 1 data\n");
      await upload
        .getByLabel(".param file")
        .setInputFiles(join(FIXTURES_DIR, "realesr-animevideov3-x4.bin"));
      await upload.getByLabel(".bin file").setInputFiles(bin);
      await upload.getByRole("button", { name: "Upload weight" }).click();
      await waitForText(error, "this upload takes an NCNN .param file");
      await s.screenshot(page, "weights-wrong-format");

      // Nothing went up: not one request to the upload route.
      expect(uploads.map((r) => r.url())).toEqual([]);
    });
  });
}
