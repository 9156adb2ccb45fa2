// The fast CPU mode (INT8): an admin checks a weight on its page and the new-task form offers
// INT8 only where the check did. The weight is SRVGGNetCompact at the size of the official
// AnimeVideo v3 (621k parameters, PReLU; small deterministic weights): big enough that INT8 is
// measurably faster where the CPU has VNNI (a 5k-parameter net sits at the 1.2x gate, so its
// verdict flips with the machine's load), small enough for a check of seconds.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES_DIR } from "@studio/fixtures";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  addTaskImage,
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
import { srvggPth } from "../state-dict";

const MEASURED = ["offered", "refused", "not_faster"];
/** Latin words a Chinese page writes as they are (see the languages suite). */
const ZH_ALLOWED = new Set(["INT8", "FP32", "CPU", "dB", "PSNR", "ms", "s"]);

/** The new-task form with the weight named `name` chosen. */
async function openNewTaskWith(page: Page, name: string): Promise<void> {
  await page.goto(inTeam(page, "/tasks/new"));
  await page.getByTestId("weight-select").click();
  await page.getByRole("option", { name: new RegExp(name) }).click();
  await waitForText(page.getByTestId("weight-select"), name);
}

export function int8Suite(studio: () => Studio): void {
  it("an admin checks a weight's INT8 mode: not checked yet, then measured with its figures; the new-task form follows the verdict", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Int8"));
      const upload = await openWeightUpload(page);
      await chooseOption(upload, "File format", /^PyTorch/);
      const file = join(ARTIFACTS_DIR, "srvgg-int8.pth");
      writeFileSync(file, srvggPth());
      await upload.getByLabel("Weight file").setInputFiles(file);
      await upload.getByLabel("Name").fill("Compact SR x4");
      await upload.getByLabel("Model family").fill("compact-srvgg");
      await upload.getByRole("button", { name: "Upload weight" }).click();
      const opened = upload.getByRole("link", { name: /^Open / });
      await opened.waitFor({ timeout: 90_000 });
      await opened.click();
      await page.waitForURL("**/weights/*");
      const weightUrl = new URL(page.url()).pathname;

      // Before any check the form offers FP32 only, and links to where the check is run.
      await openNewTaskWith(page, "Compact SR x4");
      const int8 = page.getByTestId("precision-int8");
      const hint = page.getByTestId("precision-hint");
      await waitForText(hint, "not checked yet");
      expect(await int8.isDisabled()).toBe(true);
      await hint.getByRole("link").click();
      await page.waitForURL(`**${weightUrl}`);

      // On the weight's page: said in words, no figures, the admin's button.
      const section = page.getByTestId("int8-mode");
      await waitForText(section.getByTestId("int8-state"), "Not checked yet");
      expect(await section.getByTestId("int8-figures").count()).toBe(0);
      const button = section.getByTestId("int8-check");
      expect(await button.textContent()).toBe("Check INT8 mode");
      // While it runs (seconds at least: a child process quantises and times the model).
      const pending = section
        .locator('[data-testid="int8-check"]:disabled', { hasText: "Checking…" })
        .waitFor({ timeout: 30_000 });
      await button.click();
      await pending;

      // The check quantises and times the model in the inference service: a verdict with figures.
      await section
        .locator('[data-testid="int8-state"]:not([data-state="unchecked"])')
        .waitFor({ timeout: 180_000 });
      const state = (await section.getByTestId("int8-state").getAttribute("data-state")) ?? "";
      expect(MEASURED).toContain(state);
      expect(await section.getByTestId("int8-quality").textContent()).toMatch(
        /^\d+(\.\d+)? dB PSNR$/,
      );
      expect(await section.getByTestId("int8-speedup").textContent()).toMatch(/^\d+(\.\d+)?×$/);
      // The gate is stated beside the figure.
      await waitForText(section.getByTestId("int8-figures"), "at least 40 dB PSNR");
      expect(await button.textContent()).toBe("Check again");
      expect(await section.getByRole("alert").count()).toBe(0);
      await s.screenshot(page, "weight-int8-checked");

      // In Chinese the verdict and its figures read in Chinese: no English words but units and
      // names written the same way (machine text such as "VNNI" is marked translate="no").
      await page.context().addCookies([{ name: "NEXT_LOCALE", value: "zh-CN", url: s.webUrl }]);
      await page.reload();
      await waitForText(section.getByTestId("int8-check"), "重新检查");
      const words = await section.evaluate((element) => {
        const copy = element.cloneNode(true) as HTMLElement;
        for (const machine of copy.querySelectorAll('[translate="no"]')) machine.remove();
        return copy.textContent?.match(/[A-Za-z][A-Za-z0-9]*/g) ?? [];
      });
      expect(words.filter((w) => !ZH_ALLOWED.has(w))).toEqual([]);
      await s.screenshot(page, "weight-int8-checked-zh-CN");
      await page.context().addCookies([{ name: "NEXT_LOCALE", value: "en", url: s.webUrl }]);

      // The new-task form: INT8 can be chosen exactly when the check offered it; else it says why.
      await openNewTaskWith(page, "Compact SR x4");
      await waitForText(hint, state === "offered" ? "Checked on this machine" : "Not offered");
      expect(await int8.isDisabled()).toBe(state !== "offered");
      expect(await page.getByTestId("precision-fp32").isChecked()).toBe(true);
      expect(await hint.getByRole("link").getAttribute("href")).toBe(weightUrl);
      if (state === "offered") {
        // The preview runs the INT8 model as soon as it is chosen, and the task runs what was
        // previewed (the API refuses a task whose signature differs from the preview's).
        await addTaskImage(page, join(FIXTURES_DIR, "microaneurysms.png"));
        const after = page.getByTestId("preview-after");
        await after.waitFor({ state: "attached", timeout: 60_000 });
        const fp32Signature = await page.getByTestId("preview-signature").textContent();
        await int8.check();
        expect(await int8.isChecked()).toBe(true);
        // The INT8 preview: its settings, a signature of its own, and the INT8 session named
        // beside its time (this net's INT8 pixels may equal FP32's, so they are not compared).
        await page
          .waitForFunction(
            (previous) =>
              document
                .querySelector('[data-testid="preview-after"]')
                ?.getAttribute("data-params")
                ?.includes('"precision":"int8"') &&
              document.querySelector('[data-testid="preview-signature"]')?.textContent !== previous,
            fp32Signature,
            { timeout: 60_000 },
          )
          .catch(async (error: unknown) => {
            await s.screenshot(page, "new-task-precision-failed");
            const shown = await after.getAttribute("data-params");
            const problem = await page.getByTestId("preview-error").allTextContents();
            throw new Error(`no INT8 preview: shown ${shown}; ${problem.join(" ")}`, {
              cause: error,
            });
          });
        await waitForText(page.locator("main p"), /\(int8\)/);
        expect(await page.getByTestId("preview-signature").textContent()).not.toBe(fp32Signature);
        await s.screenshot(page, "new-task-precision");
        await page.getByTestId("submit-task").click();
        await page.waitForURL(TASK_PAGE);
        await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });
      } else {
        await s.screenshot(page, "new-task-precision");
      }
    });
  });
}
