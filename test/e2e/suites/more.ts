import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSegmentationModel } from "@studio/core/testing";
import { FIXTURES_DIR } from "@studio/fixtures";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  addTaskImage,
  chooseOption,
  inTeam,
  newUser,
  openWeightUpload,
  runTaskAndOpenResult,
  sidewaysOverflow,
  signUp,
  waitForText,
  withinWindowWidth,
  withPage,
} from "../helpers";
import { ARTIFACTS_DIR } from "../paths";
import { pngSize } from "../png";

export function moreSuite(studio: () => Studio): void {
  it("a dataset takes dropped files with per-file progress and a per-file error, then shows gallery and charts", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      await signUp(page, newUser("Data"));
      await page.goto(inTeam(page, "/datasets"));
      await page.getByLabel("Dataset name").fill("Retina crops");
      await page.getByRole("button", { name: "Create dataset" }).click();
      await page.waitForURL(/\/datasets\/[^/]+$/);

      // A real drop event with real files, as a person dragging from the desktop makes.
      const files = [
        {
          name: "microaneurysms.png",
          type: "image/png",
          b64: readFileSync(join(FIXTURES_DIR, "microaneurysms.png")).toString("base64"),
        },
        {
          name: "text.png",
          type: "image/png",
          b64: readFileSync(join(FIXTURES_DIR, "text.png")).toString("base64"),
        },
        {
          name: "page.png",
          type: "image/png",
          b64: Buffer.from("<html><body>not an image</body></html>").toString("base64"),
        },
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
    });
  });

  it("segmentation: an uploaded OCTA-style weight validates, runs, and the threshold re-binarises the probability map in the browser", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Seg"));
      // A small U-Net with the OCTA contract (gray 256x256 in, sigmoid map out), made here.
      const model = buildSegmentationModel({ size: 256, channels: 1, sigmoid: true, seed: 11 });
      const weightFile = join(ARTIFACTS_DIR, "tiny-unet.onnx");
      writeFileSync(weightFile, model.bytes);
      const upload = await openWeightUpload(page);
      await upload.getByLabel("Weight file").setInputFiles(weightFile);
      await chooseOption(upload, "Task kind", "Segmentation");
      await chooseOption(upload, "Model preset", "octa");
      await upload.getByLabel("Name").fill("Tiny OCTA U-Net");
      await upload.getByLabel("Model family").fill("tiny-unet");
      await upload.getByRole("button", { name: "Upload weight" }).click();
      await waitForText(
        upload.getByRole("status").or(upload.getByRole("alert")).last(),
        /passed validation|Validation failed/,
        60_000,
      );
      expect(await page.getByTestId("weight-upload-error").count()).toBe(0);
      await s.screenshot(page, "weights-uploaded");

      await page.goto(inTeam(page, "/tasks/new"));
      await page.getByTestId("kind-select").click();
      await page.getByRole("option", { name: "Segmentation" }).click();
      await page.getByTestId("weight-select").click();
      await page.getByRole("option", { name: /Tiny OCTA U-Net/ }).click();
      const input = join(FIXTURES_DIR, "microaneurysms.png");
      await addTaskImage(page, input);
      await page.getByTestId("preview-after").waitFor({ state: "attached", timeout: 60_000 });
      await runTaskAndOpenResult(page);
      await page.getByTestId("mask-canvas").waitFor();
      await page.getByTestId("foreground-share").waitFor();
      await s.screenshot(page, "result-segmentation");
      // The wheel zooms the picture and its mask together.
      const segViewport = await page.getByTestId("segmentation-viewport").boundingBox();
      if (!segViewport) throw new Error("no segmentation viewer");
      const canvasWidth = async () =>
        (await page.getByTestId("mask-canvas").boundingBox())?.width ?? 0;
      const fitted = await canvasWidth();
      await page.mouse.move(
        segViewport.x + segViewport.width / 2,
        segViewport.y + segViewport.height / 2,
      );
      await page.mouse.wheel(0, -300);
      await page.waitForFunction(
        (width) =>
          (document.querySelector('[data-testid="mask-canvas"]')?.getBoundingClientRect().width ??
            0) >
          width * 1.5,
        fitted,
      );
      const [canvasBox, imageBox] = await Promise.all([
        page.getByTestId("mask-canvas").boundingBox(),
        page.getByTestId("segmentation-viewport").locator("img").boundingBox(),
      ]);
      expect(canvasBox).toEqual(imageBox);
      await page.keyboard.press("0");

      const share = async () => (await page.getByTestId("foreground-share").textContent()) ?? "";
      const thumb = page.getByRole("slider", { name: "Threshold" });
      await thumb.focus();
      await thumb.press("Home");
      await waitForText(page.getByTestId("threshold-value"), "0.01");
      const low = await share();
      await thumb.press("End");
      await waitForText(page.getByTestId("threshold-value"), "0.99");
      const high = await share();
      // The same stored map, two thresholds, two different masks, and no new run.
      expect(low).not.toBe(high);
      for (let i = 0; i < 49; i += 1) await thumb.press("ArrowLeft");
      await waitForText(page.getByTestId("threshold-value"), "0.50");
      await s.screenshot(page, "result-segmentation-threshold");

      // One download, of what is shown: the mask at the slider's threshold.
      expect(await page.getByTestId("download-result").count()).toBe(0);
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: /Download mask at 0\.50/ }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/_mask_t0\.50\.png$/);
      const file = join(ARTIFACTS_DIR, "mask-t0.50.png");
      await download.saveAs(file);
      expect(pngSize(file)).toEqual(pngSize(input));
    });
  });

  it("classification shows the image with its ranked labels and what the scores are; arrows go to the next image", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      await signUp(page, newUser("Cls"));
      await page.goto(inTeam(page, "/tasks/new?kind=classification"));
      await waitForText(page.getByTestId("weight-select"), "direction classifier");
      await page
        .getByTestId("dropzone")
        .locator('input[type="file"]')
        .setInputFiles([join(FIXTURES_DIR, "text.png"), join(FIXTURES_DIR, "microaneurysms.png")]);
      await page.locator('[data-testid="upload-list"] li[data-state="done"]').nth(1).waitFor();
      const after = page.getByTestId("preview-after");
      await after.waitFor({ state: "attached", timeout: 60_000 });
      // The whole image is classified, as the task does: no crop frame.
      expect(await page.getByTestId("crop-frame").count()).toBe(0);
      // Top-k is a whole number up to the weight's label count (two directions).
      await waitForText(page.getByTestId("topk-value"), "2");
      expect(
        await page.getByRole("slider", { name: "Top-k labels" }).getAttribute("aria-valuemax"),
      ).toBe("2");
      // The preview shows the image chosen for it. Which of the two it starts with depends on
      // which upload finished first: switch to the other one.
      const previewArea = page.getByTestId("preview").locator("..");
      const firstPreview = await after.getAttribute("data-src");
      const startedWithText = (await previewArea.locator('img[alt="text.png"]').count()) > 0;
      const other = startedWithText ? "microaneurysms.png" : "text.png";
      await chooseOption(page.locator("main"), "Preview image", other);
      await page.waitForFunction(
        (previous) =>
          document.querySelector('[data-testid="preview-after"]')?.getAttribute("data-src") !==
          previous,
        firstPreview,
        { timeout: 60_000 },
      );
      expect(await previewArea.locator(`img[alt="${other}"]`).count()).toBe(1);
      await runTaskAndOpenResult(page);
      // The first result is whichever upload finished first (see below): either image.
      const heading = page.locator("main h1").filter({ hasText: /text\.png|microaneurysms\.png/ });
      await heading.first().waitFor();
      await page.waitForFunction(
        () =>
          ((document.querySelector('[data-testid="classified-image"]') as HTMLImageElement | null)
            ?.naturalWidth ?? 0) > 0,
      );
      expect(await page.getByTestId("top-label").count()).toBe(2);
      expect(await page.getByTestId("score-kind").textContent()).toMatch(/probabilit|logit/i);
      await s.screenshot(page, "result-classification");

      // Previous / next between the task's results, on the arrow keys too.
      await waitForText(page.getByTestId("result-position"), "1 of 2");
      const first = page.url();
      // The task's order is the selection's, which follows the uploads' finishing order.
      const firstName = (await heading.first().textContent()) ?? "";
      const [one, two] = firstName.includes("text.png")
        ? ["text.png", "microaneurysms.png"]
        : ["microaneurysms.png", "text.png"];
      await page.keyboard.press("ArrowRight");
      await waitForText(page.locator("main h1"), two);
      await waitForText(page.getByTestId("result-position"), "2 of 2");
      expect(page.url()).not.toBe(first);
      await page.getByTestId("previous-result").click();
      await page.waitForURL(first);
      await waitForText(page.locator("main h1"), one);
    });
  });

  it("an API token is shown once, works as a bearer token, and stops working when revoked", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      const user = newUser("Token");
      await signUp(page, user);
      await page.goto("/settings");
      await page.getByLabel("Token name").fill("script");
      await page.getByRole("button", { name: "Create token" }).click();
      const token = ((await page.getByTestId("new-token").textContent()) ?? "").trim();
      expect(token.length).toBeGreaterThan(20);
      await s.screenshot(page, "settings-token");
      const me = () =>
        fetch(`${s.webUrl}/api/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } });
      const ok = await me();
      expect(ok.status).toBe(200);
      expect(JSON.stringify(await ok.json())).toContain(user.email);
      // At phone width the token's row fits: its Revoke button is on screen, nothing scrolls.
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await sidewaysOverflow(page)).toEqual([]);
      expect(await withinWindowWidth(page.getByRole("button", { name: "Revoke" }))).toBe(true);
      await s.screenshot(page, "settings-token-phone");
      await page.getByRole("button", { name: "Revoke" }).click();
      await waitForText(page.getByRole("table"), "Revoked");
      expect((await me()).status).toBe(401);
      // Shown once: after a reload only the prefix is left.
      await page.reload();
      await page.getByRole("table").waitFor();
      expect(await page.getByTestId("new-token").count()).toBe(0);
    });
  });
}
