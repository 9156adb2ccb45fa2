// Every main page in Simplified Chinese, with no English left outside the user's own data, and
// screenshots of every main page at desktop and phone width in both languages (the phone pass
// fails on sideways scrolling).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFICIAL_MODELS } from "@studio/core/official/catalog";
import { FIXTURES_DIR } from "@studio/fixtures";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  addTaskImage,
  inTeam,
  latinWords,
  newUser,
  sidewaysOverflow,
  signUp,
  TASK_PAGE,
  waitForText,
  withPage,
} from "../helpers";
import { ARTIFACTS_DIR } from "../paths";

/**
 * Latin words a Chinese page may show: names of formats, units, standards and products that
 * are written the same way in Chinese text, and the language switcher's "English".
 */
const ALLOWED = new Set(
  [
    // Formats and file kinds.
    "PNG JPEG JPG WebP BMP TIFF GIF ZIP PDF ONNX NCNN PyTorch safetensors pth pt param bin",
    "YOLO COCO Pascal VOC JSON XML CSV",
    // Units.
    "px KB MB GB TB ms s min h B",
    // Hardware, standards, measures.
    "CPU GPU CUDA RAM SHA API ID URL IoU Dice clDice PSNR SSIM dB opset Top k",
    // Names of the functions that turn a model's output into scores.
    "softmax sigmoid logit",
    // An HTTP header as it is written: "Authorization: Bearer <token>".
    "Authorization Bearer",
    "Apache BSD Clause MIT",
    // Image formats, colour spaces and metadata as they are written.
    "AVIF sRGB GPS EXIF XMP ICC",
    // The language switcher names each language in itself.
    "English",
  ]
    .join(" ")
    .split(/\s+/)
    .map((w) => w.toLowerCase()),
);

/** Words of the official weights' names and families: model names, the user's data. */
const OFFICIAL_NAMES = OFFICIAL_MODELS.flatMap((m) => [m.title, m.family, m.version, m.name]);

/** Names of several words that are written the same way in Chinese text. */
const NAMES = ["Display P3"];

interface MainPage {
  name: string;
  path: string;
  /** What shows once the page has its data (besides `main h1`). */
  ready?: string;
}

/** The English words of the page, with where they stand, less the allowed ones and `data`. */
async function strayEnglish(page: Page, data: string[]): Promise<string[]> {
  return (await latinWords(page, data))
    .filter((w) => !ALLOWED.has(w.word.toLowerCase()))
    .map((w) => `${w.word} in "${w.context}"`);
}

async function openMainPage(page: Page, target: MainPage): Promise<void> {
  await page.goto(target.path);
  await page.locator("main h1").first().waitFor();
  if (target.ready) await page.locator(target.ready).first().waitFor({ timeout: 30_000 });
  await page.waitForLoadState("networkidle");
}

export function languagesSuite(studio: () => Studio): void {
  it("every main page in Chinese has no stray English; server refusals read in Chinese; screenshots at both widths in both languages", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1440, height: 900 }), async (page) => {
      const user = newUser("Lang");
      await signUp(page, user);
      const data: string[] = [user.name, user.email, ...OFFICIAL_NAMES, ...NAMES];

      // A dataset with one image.
      await page.goto(inTeam(page, "/datasets"));
      await page.getByLabel("Dataset name").fill("Retina set");
      await page.getByRole("button", { name: "Create dataset" }).click();
      await page.waitForURL(/\/datasets\/[^/]+$/);
      const datasetPath = new URL(page.url()).pathname;
      // The picker's own button, from the keyboard: it opens the file dialog.
      await waitForText(page.getByTestId("chosen-files"), "No file chosen");
      const chooser = page.waitForEvent("filechooser");
      await page.getByRole("button", { name: "Choose files", exact: true }).focus();
      await page.keyboard.press("Enter");
      await (await chooser).setFiles(join(FIXTURES_DIR, "microaneurysms.png"));
      await page.locator('[data-testid="upload-list"] li[data-state="done"]').waitFor();
      await waitForText(page.getByTestId("chosen-files"), "1 file chosen");
      data.push("Retina set", "microaneurysms.png", "microaneurysms");

      // A finished task (the official classifier is the quickest run) and its first result.
      await page.goto(inTeam(page, "/tasks/new?kind=classification"));
      await waitForText(page.getByTestId("weight-select"), "direction classifier");
      await addTaskImage(page, join(FIXTURES_DIR, "text.png"));
      await page.getByTestId("preview-after").waitFor({ state: "attached", timeout: 60_000 });
      await page.getByTestId("submit-task").click();
      await page.waitForURL(TASK_PAGE);
      await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });
      const taskPath = new URL(page.url()).pathname;
      data.push((await page.getByTestId("task-name").textContent()) ?? "", "text.png");
      await page.getByRole("link", { name: "Open" }).first().click();
      await page.waitForURL(/\/items\//);
      const itemPath = new URL(page.url()).pathname;

      // An official weight's own page.
      await page.goto(inTeam(page, "/weights"));
      const weightLink = page.locator('main a[href*="/weights/"]').first();
      await weightLink.waitFor();
      const weightPath = (await weightLink.getAttribute("href")) ?? "";

      const team =
        (await page.locator('[data-testid="team-switcher"]:visible').textContent()) ?? "";
      data.push(team.trim());

      const pages: MainPage[] = [
        { name: "dashboard", path: inTeam(page, "/dashboard") },
        { name: "tasks", path: inTeam(page, "/tasks"), ready: "main table" },
        {
          name: "new-task",
          path: inTeam(page, "/tasks/new"),
          ready: '[data-testid="weight-select"]',
        },
        { name: "task", path: taskPath, ready: '[data-testid="gallery-result"] img' },
        { name: "result", path: itemPath, ready: "main img" },
        { name: "report", path: `${taskPath}/report`, ready: '[data-testid="report-signature"]' },
        { name: "weights", path: inTeam(page, "/weights"), ready: 'main a[href*="/weights/"]' },
        { name: "weight", path: weightPath, ready: '[data-testid="weight-sha256"]' },
        { name: "datasets", path: inTeam(page, "/datasets"), ready: 'main a[href*="/datasets/"]' },
        { name: "dataset", path: datasetPath, ready: '[data-testid="gallery"] li' },
        { name: "team", path: inTeam(page, "/team"), ready: "main table" },
        { name: "settings", path: "/settings" },
      ];

      const stray: Record<string, string[]> = {};
      const overflow: Record<string, string[]> = {};
      // Both widths at once, the phone in a second profile signed in as the same user (a page
      // of its own window: a background tab of one window would not render for its screenshots).
      const phoneProfile = await s.newContext({ width: 390, height: 844 });
      await phoneProfile.addCookies(await page.context().cookies());
      const phone = await phoneProfile.newPage();
      for (const locale of ["zh-CN", "en"] as const) {
        for (const profile of [page.context(), phoneProfile])
          await profile.addCookies([{ name: "NEXT_LOCALE", value: locale, url: s.webUrl }]);
        const widths = [
          { tab: page, width: 1440, height: 900 },
          { tab: phone, width: 390, height: 844 },
        ];
        await Promise.all(
          widths.map(async ({ tab, width, height }) => {
            await tab.setViewportSize({ width, height });
            for (const target of pages) {
              await openMainPage(tab, target);
              const name = `${target.name}-${locale}-${width}`;
              if (locale === "zh-CN") {
                const words = await strayEnglish(tab, data);
                if (words.length > 0) stray[name] = words;
              }
              if (width === 390) {
                const found = await sidewaysOverflow(tab);
                if (found.length > 0) overflow[name] = found;
              }
              await s.screenshot(tab, `pages/${name}`);
            }
          }),
        );
      }
      await phoneProfile.close();

      // A refusal from the server, shown in Chinese: a file that is not an image.
      await page.context().addCookies([{ name: "NEXT_LOCALE", value: "zh-CN", url: s.webUrl }]);
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(datasetPath);
      await waitForText(page.getByTestId("chosen-files"), "未选择文件");
      await page.getByRole("button", { name: "选择文件", exact: true }).waitFor();
      const notImage = join(ARTIFACTS_DIR, "not-an-image.png");
      writeFileSync(notImage, "<html><body>not an image</body></html>");
      await page.getByTestId("dropzone").locator('input[type="file"]').setInputFiles(notImage);
      const failed = page.locator('[data-testid="upload-list"] li[data-state="failed"]');
      await failed.waitFor({ timeout: 30_000 });
      const refusal = (await failed.getByRole("alert").textContent()) ?? "";
      expect(refusal).toMatch(/[\u4e00-\u9fff]{4}/);
      expect({ refusal, english: await strayEnglishIn(refusal) }).toEqual({
        refusal,
        english: [],
      });

      // Settings: a wrong current password is refused in Chinese, saying what is wrong.
      await page.goto("/settings");
      await page.getByLabel("当前密码").fill("not-the-password");
      await page.getByLabel("新密码", { exact: true }).fill("another-password-123");
      await page.getByRole("button", { name: "修改密码" }).click();
      // The reason the server gave, not the code's general "the request is not valid".
      await waitForText(page.getByRole("alert"), "当前密码不正确。");
      await s.screenshot(page, "pages/settings-wrong-password-zh-CN-1440");

      // Last, so that one run reports every page at once.
      expect({ stray, overflow }).toEqual({ stray: {}, overflow: {} });
    });
  });

  it("sign-in and sign-up in Chinese have no stray English; a wrong password is refused in Chinese", async () => {
    const s = studio();
    for (const [width, height] of [
      [1440, 900],
      [390, 844],
    ] as const) {
      for (const locale of ["zh-CN", "en-US"] as const) {
        await withPage(s.newContext({ width, height, locale }), async (page) => {
          for (const path of ["/sign-in", "/sign-up"]) {
            await page.goto(path);
            await page.locator("h1, [data-slot='card-title']").first().waitFor();
            await page.waitForLoadState("networkidle");
            const name = `${path.slice(1)}-${locale === "en-US" ? "en" : locale}-${width}`;
            if (locale === "zh-CN")
              expect({ name, stray: await strayEnglish(page, []) }).toEqual({ name, stray: [] });
            if (width === 390)
              expect({ name, overflow: await sidewaysOverflow(page) }).toEqual({
                name,
                overflow: [],
              });
            await s.screenshot(page, `pages/${name}`);
          }
          if (locale !== "zh-CN" || width !== 1440) return;
          await page.goto("/sign-in");
          await page.getByLabel("邮箱").fill("nobody@example.test");
          await page.getByLabel("密码").fill("not-the-password");
          await page.locator('button[type="submit"]').click();
          // Next's route announcer is an empty alert too: the one with words is the refusal.
          const alert = page.getByRole("alert").filter({ hasText: /\S/ });
          await alert.first().waitFor();
          const text = (await alert.first().textContent()) ?? "";
          expect(text).toMatch(/[\u4e00-\u9fff]{4}/);
          expect(await strayEnglishIn(text)).toEqual([]);
        });
      }
    }
  });
}

/** The English words of a piece of text, less the allowed ones. */
async function strayEnglishIn(text: string): Promise<string[]> {
  return (text.match(/[A-Za-z][A-Za-z'’-]*[A-Za-z]/g) ?? []).filter(
    (w) => !ALLOWED.has(w.toLowerCase()),
  );
}
