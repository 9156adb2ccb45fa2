import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES_DIR } from "@studio/fixtures";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { Studio } from "../harness";
import {
  addTaskImage,
  chooseOption,
  currentTeamId,
  inTeam,
  newUser,
  openWeightUpload,
  sidewaysOverflow,
  signUp,
  TASK_PAGE,
  waitForText,
  withinWindowWidth,
  withPage,
} from "../helpers";
import { ARTIFACTS_DIR } from "../paths";
import { pngSize } from "../png";
import { SRVGG_ID, srvggPth } from "../state-dict";

export function studioSuite(studio: () => Studio): void {
  it("runs SR end to end: upload, official weight, preset changes the preview, submit, succeed, result, report, 4x PNG", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      const user = newUser("Sr");
      await signUp(page, user);
      await page.goto(inTeam(page, "/tasks/new"));

      // The official SR weight is the default for super-resolution; choose it explicitly anyway.
      await page.getByTestId("weight-select").click();
      await page.getByRole("option", { name: /Real-ESRGAN AnimeVideo v3 x4.*Official/ }).click();
      await waitForText(page.getByTestId("weight-select"), "Real-ESRGAN AnimeVideo v3 x4");

      const input = join(FIXTURES_DIR, "microaneurysms.png");
      await addTaskImage(page, input);
      await waitForText(page.getByText(/1 image selected/), "1 image");
      // The picker searches the library by name, whatever the case.
      const search = page.getByTestId("image-search");
      await search.fill("MICROANEURYSMS");
      await page
        .locator('[data-testid="picker-image"] input[aria-label="microaneurysms.png"]')
        .waitFor();
      await search.fill("no-such-image");
      await page.getByText("No images match the search.").waitFor();
      await search.fill("");
      await search.blur();

      const after = page.getByTestId("preview-after");
      await after.waitFor({ state: "attached", timeout: 60_000 });
      const firstSrc = await after.getAttribute("data-src");
      const firstSignature = await page.getByTestId("preview-signature").textContent();
      await s.screenshot(page, "new-task-preview");

      await page.getByTestId("preset-select").click();
      await page.getByRole("option", { name: "Anime / illustration" }).click();
      await page.waitForFunction(
        (previous) => {
          const img = document.querySelector('[data-testid="preview-after"]');
          return (
            img?.getAttribute("data-params")?.includes('"anime"') &&
            img.getAttribute("data-src") !== previous
          );
        },
        firstSrc,
        { timeout: 60_000 },
      );
      const secondSignature = await page.getByTestId("preview-signature").textContent();
      expect(secondSignature).not.toBe(firstSignature);
      await s.screenshot(page, "new-task-preview-anime");

      // A slider moved away from the preset: the preset reads "Custom"; reset brings it back.
      const presetSelect = page.getByTestId("preset-select");
      const sharpen = page.getByRole("slider", { name: "Sharpen" });
      await sharpen.focus();
      await sharpen.press("ArrowRight");
      await waitForText(presetSelect, "Custom (from Anime / illustration)");
      await page.getByRole("button", { name: "Reset to preset" }).click();
      await waitForText(presetSelect, "Anime / illustration");
      expect(await presetSelect.textContent()).not.toContain("Custom");
      // Denoise says what it does.
      await waitForText(page.locator("main"), "median filter");
      // The preview settles on the preset's own settings again before the task is sent.
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="preview"]')?.getAttribute("aria-busy") ===
            "false" &&
          document
            .querySelector('[data-testid="preview-after"]')
            ?.getAttribute("data-params")
            ?.includes('"overrides":{}'),
        undefined,
        { timeout: 60_000 },
      );

      await page.getByTestId("submit-task").click();
      await page.waitForURL(TASK_PAGE);
      await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });
      // Polling stops at the final state: no more tasks.get requests from this page.
      const polls: string[] = [];
      const onRequest = (request: { url(): string }) => {
        if (request.url().includes("tasks.get")) polls.push(request.url());
      };
      page.on("request", onRequest);
      await page.waitForTimeout(4000);
      page.off("request", onRequest);
      expect(polls).toEqual([]);
      // The submitted task carries the signature the preview showed.
      expect(await page.getByTestId("task-signature").textContent()).toBe(secondSignature);
      // Named after its kind and image; its settings in words, the weight named once.
      expect(await page.getByTestId("task-name").textContent()).toBe(
        "Super-resolution · microaneurysms.png",
      );
      expect(await page.getByTestId("param-model").textContent()).toBe(
        "Real-ESRGAN AnimeVideo v3 x4",
      );
      expect(await page.getByTestId("param-tuning").textContent()).toMatch(
        /^Anime \/ illustration: sharpen 0\.3 · contrast 1\.1 · .* · denoise 3 px median$/,
      );
      expect(await page.getByTestId("param-tile").textContent()).toBe("Automatic");
      await page.getByTestId("rename-task").click();
      await page.getByLabel("Task name").fill("  Fundus x4  ");
      await page.getByRole("button", { name: "Save" }).click();
      await waitForText(page.getByTestId("task-name"), "Fundus x4");
      const taskUrl = page.url();
      // The finished task shows its result: before and after thumbnails with the sizes.
      const card = page.getByTestId("gallery-result");
      expect(await card.count()).toBe(1);
      await page.waitForFunction(() => {
        const thumbs = [...document.querySelectorAll('[data-testid="gallery-result"] img')];
        return thumbs.length === 2 && thumbs.every((i) => (i as HTMLImageElement).naturalWidth > 0);
      });
      expect(await card.getByTestId("gallery-detail").textContent()).toBe(
        "102 × 102 px → 408 × 408 px",
      );
      await s.screenshot(page, "task-detail");

      await page.getByRole("link", { name: "Open" }).first().click();
      await page.waitForURL(/\/items\//);
      await page.getByTestId("result-size").waitFor();
      await s.screenshot(page, "result-sr");
      await checkCompareViewer(page);
      await s.screenshot(page, "result-sr-zoomed");
      const resultUrl = page.url();
      await page.keyboard.press("0");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("download-result").click(),
      ]);
      const resultFile = join(ARTIFACTS_DIR, "sr-result.png");
      await download.saveAs(resultFile);
      const original = pngSize(input);
      const result = pngSize(resultFile);
      expect(result).toEqual({ width: original.width * 4, height: original.height * 4 });

      await page.getByRole("link", { name: "Back" }).click();
      await page.getByRole("link", { name: "Report" }).click();
      await page.getByTestId("report").waitFor();
      await page.getByTestId("report-signature").waitFor();
      await s.screenshot(page, "report");
      // "Export PDF" downloads the PDF the server makes of the report, named after the task.
      const [exported] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("export-pdf").click(),
      ]);
      expect(exported.suggestedFilename()).toMatch(/\.pdf$/);
      const exportedFile = join(ARTIFACTS_DIR, "report-server.pdf");
      await exported.saveAs(exportedFile);
      expect(readFileSync(exportedFile).subarray(0, 5).toString()).toBe("%PDF-");
      // "Print" prints the page; Chromium's PDF of the print view is what a user saves.
      await page.emulateMedia({ media: "print" });
      const pdf = await page.pdf({ format: "A4", printBackground: true });
      await page.emulateMedia({ media: "screen" });
      writeFileSync(join(ARTIFACTS_DIR, "report.pdf"), pdf);
      expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
      expect(pdf.length).toBeGreaterThan(10_000);

      const [zip] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("download-zip").click(),
      ]);
      const zipFile = join(ARTIFACTS_DIR, "results.zip");
      await zip.saveAs(zipFile);
      expect(readFileSync(zipFile).subarray(0, 2).toString()).toBe("PK");
      expect(statSync(zipFile).size).toBeGreaterThan(1000);

      // Screenshots of the main pages with real data, in both languages.
      const team = (path: string) => inTeam(page, path);
      for (const [path, name] of [
        [team("/dashboard"), "dashboard-with-tasks"],
        [team("/tasks"), "tasks-list"],
        [team("/weights"), "weights"],
        [team("/datasets"), "datasets"],
        ["/settings", "settings"],
        [team("/team"), "team"],
      ] as const) {
        await page.goto(path);
        await page.locator("main h1").waitFor();
        await page.waitForLoadState("networkidle");
        await s.screenshot(page, name);
      }
      // Phone width: the same pages in one column with the menu in the top bar.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(inTeam(page, "/tasks"));
      await waitForText(page.getByTestId("task-row-name"), "Fundus x4");
      await s.screenshot(page, "tasks-list-phone");
      expect(await sidewaysOverflow(page)).toEqual([]);
      await page.goto(taskUrl);
      await page.getByTestId("gallery-result").waitFor();
      expect(await sidewaysOverflow(page)).toEqual([]);
      expect(await withinWindowWidth(page.getByRole("link", { name: "Open", exact: true }))).toBe(
        true,
      );
      await s.screenshot(page, "task-detail-phone");
      await page.goto(resultUrl);
      await page.getByTestId("compare-viewport").waitFor();
      expect(await sidewaysOverflow(page)).toEqual([]);
      await s.screenshot(page, "result-sr-phone");
      const teamUrl = inTeam(page, "/team");
      await page.goto("/settings");
      await page.locator("main h1").waitFor();
      expect(await sidewaysOverflow(page)).toEqual([]);
      await s.screenshot(page, "settings-phone");
      await page.goto(teamUrl);
      const email = page.getByText(user.email, { exact: true }).first();
      await email.waitFor();
      expect(await sidewaysOverflow(page)).toEqual([]);
      // The email gets a readable width, not a column squeezed to a letter per line.
      const emailBox = await email.boundingBox();
      expect(emailBox?.width ?? 0).toBeGreaterThan(120);
      expect(await withinWindowWidth(email)).toBe(true);
      await s.screenshot(page, "team-phone");
      // Every other main page at phone width: nothing scrolls sideways.
      for (const [path, name] of [
        [inTeam(page, "/dashboard"), "dashboard-phone"],
        [inTeam(page, "/tasks/new"), "new-task-phone"],
        [inTeam(page, "/weights"), "weights-phone"],
        [inTeam(page, "/datasets"), "datasets-phone"],
        [`${taskUrl}/report`, "report-phone"],
      ] as const) {
        await page.goto(path);
        await page.locator("main h1").waitFor();
        await page.waitForLoadState("networkidle");
        expect({ path, overflow: await sidewaysOverflow(page) }).toEqual({ path, overflow: [] });
        await s.screenshot(page, name);
      }
      // On the phone the preview stays in sight while the parameters are tuned: a strip sticks
      // to the top of the parameters.
      await page.goto(inTeam(page, "/tasks/new"));
      const strip = page.getByTestId("preview-strip");
      await strip.waitFor();
      await page.getByRole("slider", { name: "Gamma" }).scrollIntoViewIfNeeded();
      const stripBox = await strip.boundingBox();
      expect(stripBox?.y ?? -1).toBeGreaterThanOrEqual(0);
      expect(stripBox?.y ?? 844).toBeLessThan(120);
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.context().addCookies([{ name: "NEXT_LOCALE", value: "zh-CN", url: s.webUrl }]);
      await page.goto(inTeam(page, "/dashboard"));
      await waitForText(page.locator("main h1"), "概览");
      await page.waitForLoadState("networkidle");
      await s.screenshot(page, "dashboard-zh");
      await page.goto(inTeam(page, "/tasks"));
      await page.waitForLoadState("networkidle");
      await s.screenshot(page, "tasks-list-zh");
    });
  });

  it("a running task can be canceled, retried, and canceled again", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      await signUp(page, newUser("Stopper"));
      await page.goto(inTeam(page, "/tasks/new"));
      await page.getByTestId("weight-select").waitFor();
      // A large image in the seed's 192 px tiles: its x4 run takes a minute or more here, in
      // dozens of tiles, and a cancel takes effect at the end of the tile running.
      await addTaskImage(page, join(FIXTURES_DIR, "retina.jpg"));
      await chooseOption(page.locator("main"), "Tile size", /^192 px/);
      await page.getByTestId("submit-task").click();
      await page.waitForURL(TASK_PAGE);
      await page.locator('h1 [data-status="running"]').waitFor({ timeout: 60_000 });
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().includes("tasks.cancel")),
        page.getByRole("button", { name: "Cancel", exact: true }).click(),
      ]);
      expect(await response.text()).toContain("cancel_requested");
      await page.locator('h1 [data-status="canceled"]').waitFor({ timeout: 60_000 });
      await s.screenshot(page, "task-canceled");
      // Nothing failed, so nothing is offered as "retry failed": the stopped image can resume.
      expect(await page.getByRole("button", { name: "Retry failed images" }).count()).toBe(0);
      await page.getByRole("button", { name: "Resume canceled images" }).click();
      await page.locator('h1 [data-status="queued"], h1 [data-status="running"]').first().waitFor();
      await page.getByRole("button", { name: "Cancel", exact: true }).click();
      await page.locator('h1 [data-status="canceled"]').waitFor({ timeout: 60_000 });

      // Deleting asks first, in the page's own dialog, and says what goes and what stays.
      await page.getByRole("button", { name: "Delete", exact: true }).click();
      const dialog = page.getByRole("alertdialog");
      await waitForText(dialog, "Delete this task?");
      expect(await dialog.textContent()).toContain("The images it ran on stay in your library.");
      await s.screenshot(page, "task-delete-dialog");
      await dialog.getByRole("button", { name: "Delete task" }).click();
      await page.waitForURL(/\/t\/[^/]+\/tasks$/);
    });
  });

  it("polling pauses while the tab is hidden and resumes when it is shown again", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      // The page's clock, moved on by the test: timers fire as they would over that time, and no
      // real waiting (time also flows by itself in between).
      await page.clock.install();
      await signUp(page, newUser("Hidden"));
      // The dashboard refreshes system.status every 10 s while visible.
      let calls = 0;
      page.on("request", (request) => {
        if (request.url().includes("system.status")) calls += 1;
      });
      await page.getByText("Workers", { exact: true }).waitFor();
      const setHidden = (hidden: boolean) =>
        page.evaluate((h) => {
          Object.defineProperty(document, "visibilityState", {
            value: h ? "hidden" : "visible",
            configurable: true,
          });
          Object.defineProperty(document, "hidden", { value: h, configurable: true });
          document.dispatchEvent(new Event("visibilitychange"));
        }, hidden);
      await setHidden(true);
      const whileVisible = calls;
      // Two refresh intervals pass while hidden: no request (a second of real time for one to
      // show up here).
      await page.clock.runFor(25_000);
      await page.waitForTimeout(1000);
      expect(calls).toBe(whileVisible);
      // Shown again: it refreshes (at once or within one interval).
      const refreshed = page.waitForRequest((request) => request.url().includes("system.status"));
      await setHidden(false);
      await page.clock.runFor(11_000);
      await refreshed;
    });
  });

  it("an admin uploading an invalid weight sees the precise validation error", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      await signUp(page, newUser("Admin"));
      // The list comes first; the form is a dialog of its own.
      await page.goto(inTeam(page, "/weights"));
      await page.getByRole("tab", { name: "By task" }).waitFor();
      const upload = await openWeightUpload(page);
      // Required fields are marked.
      expect(await upload.locator("[data-required-mark]").count()).toBeGreaterThanOrEqual(4);
      const bogus = join(ARTIFACTS_DIR, "not-a-model.onnx");
      writeFileSync(bogus, randomBytes(4096));
      await upload.getByLabel("Weight file").setInputFiles(bogus);
      await upload.getByLabel("Name").fill("Broken");
      await upload.getByLabel("Model family").fill("broken-net");
      await upload.getByRole("button", { name: "Upload weight" }).click();
      const error = page.getByTestId("weight-upload-error");
      await error.waitFor({ timeout: 60_000 });
      const text = (await error.textContent()) ?? "";
      expect(text.startsWith("Validation failed")).toBe(true);
      // Said once, in words: no repeated headline, no error code shown.
      expect(text.match(/Validation failed/g)?.length).toBe(1);
      const code = (await error.getAttribute("data-code")) ?? "";
      expect(code).not.toBe("");
      // No machine code in the text (a code such as "truncated" may still be a word of it).
      expect(text).not.toMatch(/\b[a-z]+(?:_[a-z]+)+\b/);
      if (code.includes("_")) expect(text).not.toContain(code);
      // Not a generic failure: the service says what is wrong with the file.
      expect(text.length).toBeGreaterThan("Validation failed".length + 10);
      await s.screenshot(page, "weights-invalid-upload");
    });
  });

  it("an admin importing a .pth with a missing key sees the key named; a complete one is accepted with its report", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Importer"));
      const upload = await openWeightUpload(page);
      await chooseOption(upload, "File format", /^PyTorch/);
      await chooseOption(upload, "Architecture", new RegExp(`\\(${SRVGG_ID}\\)$`));
      // Name, family and task kind come from the architecture, and its documentation is shown.
      await waitForText(upload.getByTestId("architecture-doc"), "srvgg");
      expect(await upload.getByLabel("Name").inputValue()).toContain("SRVGGNetCompact");
      expect(await upload.getByLabel("Model family").inputValue()).toBe("srvgg");
      await waitForText(
        upload.getByRole("combobox", { name: "Task kind", exact: true }),
        "Super-resolution",
      );
      // Developer notes that point into the source tree are not shown.
      expect(await upload.getByTestId("architecture-doc").textContent()).not.toMatch(/packages\//);

      const broken = join(ARTIFACTS_DIR, "srvgg-missing-key.pth");
      writeFileSync(broken, srvggPth({ drop: ["body.34.bias"] }));
      await upload.getByLabel("Weight file").setInputFiles(broken);
      await upload.getByRole("button", { name: "Upload weight" }).click();
      const error = page.getByTestId("weight-upload-error");
      await error.waitFor({ timeout: 60_000 });
      expect(await error.textContent()).toContain("Import rejected");
      const missing = upload.getByTestId("import-report-missing");
      await waitForText(missing, "body.34.bias");
      expect(await missing.textContent()).toContain("expected [48]");
      await s.screenshot(page, "weights-import-report");

      // The same weights plus a key the architecture does not use: accepted, the key ignored.
      const complete = join(ARTIFACTS_DIR, "srvgg-extra-key.pth");
      writeFileSync(complete, srvggPth({ extra: ["ema.decay_extra"] }));
      await upload.getByLabel("Weight file").setInputFiles(complete);
      await upload.getByRole("button", { name: "Upload weight" }).click();
      const opened = upload.getByRole("link", { name: /^Open / });
      await opened.waitFor({ timeout: 90_000 });
      await opened.click();
      await page.waitForURL("**/weights/*");
      const report = page.getByTestId("weight-import-report");
      await waitForText(report, "Accepted");
      const unexpected = report.getByTestId("import-report-unexpected");
      expect(await unexpected.textContent()).toContain("ema.decay_extra");
      expect(await unexpected.textContent()).toContain("ignored");
      await waitForText(page.getByTestId("weight-source-format"), "PyTorch");
      await s.screenshot(page, "weights-import-detail");
    });
  });

  it("an admin uploads an NCNN .param/.bin pair; it is converted and validated", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 1366, height: 900 }), async (page) => {
      await signUp(page, newUser("Ncnn"));
      const upload = await openWeightUpload(page);
      await chooseOption(upload, "File format", /^NCNN/);
      await upload
        .getByLabel(".param file")
        .setInputFiles(join(FIXTURES_DIR, "realesr-animevideov3-x4.param"));
      await upload
        .getByLabel(".bin file")
        .setInputFiles(join(FIXTURES_DIR, "realesr-animevideov3-x4.bin"));
      await chooseOption(upload, "Model preset", "real-esrgan-x4");
      await upload.getByLabel("Name").fill("AnimeVideo v3 from NCNN");
      await upload.getByLabel("Model family").fill("animevideo-ncnn");
      await upload.getByRole("button", { name: "Upload weight" }).click();
      const opened = upload.getByRole("link", { name: /^Open / });
      await opened.waitFor({ timeout: 90_000 });
      await opened.click();
      await page.waitForURL("**/weights/*");
      await waitForText(page.getByTestId("weight-source-format"), "NCNN");
      expect(await page.getByTestId("weight-import-report").count()).toBe(0);
    });
  });

  it("a task link opens that task whichever team is selected; old URLs and strangers are handled", async () => {
    const s = studio();
    const context = await s.newContext();
    const page = await context.newPage();
    const strangerContext = await s.newContext();
    try {
      await signUp(page, newUser("Linker"));
      const personal = currentTeamId(page);
      await page.goto(inTeam(page, "/team"));
      await page.getByLabel("Team name").fill("Lab link");
      await page.getByRole("button", { name: "Create" }).click();
      // Creating a team opens its page: the team is in the URL now.
      await page.waitForURL(
        (url) => /^\/t\/[^/]+\/team$/.test(url.pathname) && !url.pathname.includes(personal),
      );
      const lab = currentTeamId(page);

      // A task in the new team (the official classifier is the quickest run).
      await page.goto(inTeam(page, "/tasks/new?kind=classification"));
      await waitForText(page.getByTestId("weight-select"), "direction classifier");
      await addTaskImage(page, join(FIXTURES_DIR, "text.png"));
      await page.getByTestId("preview-after").waitFor({ state: "attached", timeout: 60_000 });
      await page.getByTestId("submit-task").click();
      await page.waitForURL(TASK_PAGE);
      const taskUrl = page.url();
      expect(new URL(taskUrl).pathname.startsWith(`/t/${lab}/tasks/`)).toBe(true);
      const taskId = new URL(taskUrl).pathname.split("/").at(-1) as string;

      // Switching to the personal team leaves the task's page for that team's task list.
      await page.locator('[data-testid="team-switcher"]:visible').click();
      await page.getByRole("option", { name: /\(personal\)/ }).click();
      await page.waitForURL(`**/t/${personal}/tasks`);
      await page.locator("main h1").waitFor();

      // The link, opened in another tab while the personal team is the one chosen.
      const tab = await context.newPage();
      await tab.goto(taskUrl);
      await tab.locator("h1 [data-status]").waitFor();
      expect(tab.url()).toBe(taskUrl);
      expect(await tab.getByText("Not found").count()).toBe(0);
      await waitForText(tab.locator('[data-testid="team-switcher"]:visible'), "Lab link");
      await s.screenshot(tab, "task-link-other-team");

      // An old URL without a team opens in the last team chosen (the link's team, now).
      await tab.goto(`/tasks/${taskId}`);
      await tab.waitForURL(taskUrl);
      await tab.locator("h1 [data-status]").waitFor();
      await tab.goto("/tasks");
      await tab.waitForURL(`**/t/${lab}/tasks`);

      // Someone outside the team gets a plain answer, not another team's data.
      const stranger = await strangerContext.newPage();
      await signUp(stranger, newUser("Stranger"));
      await stranger.goto(taskUrl);
      await waitForText(stranger.getByTestId("unknown-team"), "not a member");
      expect(await stranger.locator("h1 [data-status]").count()).toBe(0);
    } finally {
      await context.close();
      await strangerContext.close();
    }
  });

  it("a team member does not see the admin controls", async () => {
    const s = studio();
    const adminContext = await s.newContext();
    const memberContext = await s.newContext();
    const admin = await adminContext.newPage();
    const member = await memberContext.newPage();
    try {
      const memberUser = newUser("Member");
      await signUp(member, memberUser);
      await signUp(admin, newUser("Lead"));
      await admin.goto(inTeam(admin, "/team"));
      await admin.getByLabel("Team name").fill("Lab");
      await admin.getByRole("button", { name: "Create" }).click();
      await waitForText(admin.getByRole("heading", { level: 1 }).locator(".."), "Lab");
      await admin.getByTestId("team-admin-controls").getByLabel("Email").fill(memberUser.email);
      await admin.getByRole("button", { name: "Add member" }).click();
      await waitForText(admin.getByRole("table"), memberUser.email);
      await s.screenshot(admin, "team-admin");

      await member.goto(inTeam(member, "/team"));
      await member.locator('[data-testid="team-switcher"]:visible').click();
      await member.getByRole("option", { name: /Lab/ }).click();
      await waitForText(
        member.getByRole("status").or(member.getByRole("alert")).first(),
        "Only team admins",
      );
      expect(await member.getByTestId("team-admin-controls").count()).toBe(0);
      await member.goto(inTeam(member, "/weights"));
      await waitForText(member.locator("main"), "Only team admins can upload and manage weights.");
      expect(await member.getByTestId("open-weight-upload").count()).toBe(0);
      expect(await member.getByTestId("weight-upload").count()).toBe(0);
      await s.screenshot(member, "weights-member");
    } finally {
      await adminContext.close();
      await memberContext.close();
    }
  });
}

/** The zoom level the viewer shows, as a number (400 for "400%"). */
async function zoomLevel(page: Page): Promise<number> {
  const text = (await page.getByTestId("zoom-level").textContent()) ?? "";
  return Number(text.replace(/[^\d.]/g, ""));
}

async function waitForZoomChange(page: Page, from: number): Promise<number> {
  await page.waitForFunction(
    (previous) =>
      Number(
        (document.querySelector('[data-testid="zoom-level"]')?.textContent ?? "").replace(
          /[^\d.]/g,
          "",
        ),
      ) !== previous,
    from,
  );
  return zoomLevel(page);
}

/** The result's pixel (in its own pixels) under a point of the window, as laid out on screen. */
function resultPixelAt(page: Page, x: number, y: number) {
  return page.getByTestId("compare-after").evaluate(
    (img: HTMLImageElement, [px, py]) => {
      const r = img.getBoundingClientRect();
      return {
        x: ((px - r.left) / r.width) * img.naturalWidth,
        y: ((py - r.top) / r.height) * img.naturalHeight,
      };
    },
    [x, y] as const,
  );
}

/**
 * The SR viewer: keys and buttons zoom, the wheel zooms at the pointer (the pixel under it
 * stays there), a drag pans, the divider stays in view at 4x, before and after stay aligned.
 */
async function checkCompareViewer(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    ["compare-before", "compare-after"].every(
      (id) =>
        (document.querySelector(`[data-testid="${id}"]`) as HTMLImageElement | null)?.naturalWidth,
    ),
  );
  const viewport = page.getByTestId("compare-viewport");
  const box = await viewport.boundingBox();
  if (!box) throw new Error("the viewer is not on screen");

  await page.keyboard.press("1");
  await waitForText(page.getByTestId("zoom-level"), "100%");
  await page.getByRole("button", { name: "Zoom in" }).click();
  await page.getByRole("button", { name: "Zoom in" }).click();
  await page.keyboard.press("=");
  await page.keyboard.press("=");
  await waitForText(page.getByTestId("zoom-level"), "400%");

  // At 4x the divider is still inside the viewer, on top, where a pointer can take it.
  const divider = await page.getByTestId("compare-divider").boundingBox();
  if (!divider) throw new Error("no divider");
  const dividerX = divider.x + divider.width / 2;
  expect(dividerX).toBeGreaterThan(box.x);
  expect(dividerX).toBeLessThan(box.x + box.width);
  const onTop = await page.evaluate(
    ([x, y]) =>
      Boolean(document.elementFromPoint(x, y)?.closest('[data-testid="compare-divider"]')),
    [dividerX, box.y + box.height / 3] as const,
  );
  expect(onTop).toBe(true);

  // Before and after are laid out on the same rectangle: aligned pixel for pixel.
  const rect = (id: string) =>
    page.getByTestId(id).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return [r.left, r.top, r.width, r.height].map((v) => Math.round(v * 100) / 100);
    });
  expect(await rect("compare-before")).toEqual(await rect("compare-after"));

  // The wheel zooms at the pointer: the result pixel under it stays under it.
  // Whole pixels: mouse events carry integer coordinates.
  const px = Math.round(box.x + box.width * 0.3);
  const py = Math.round(box.y + box.height * 0.35);
  const under = await resultPixelAt(page, px, py);
  await page.mouse.move(px, py);
  await page.mouse.wheel(0, -300);
  const zoomed = await waitForZoomChange(page, 400);
  expect(zoomed).toBeGreaterThan(400);
  const still = await resultPixelAt(page, px, py);
  expect(Math.abs(still.x - under.x)).toBeLessThan(0.05);
  expect(Math.abs(still.y - under.y)).toBeLessThan(0.05);
  expect(await rect("compare-before")).toEqual(await rect("compare-after"));

  // A drag pans: the pixel that was under the pointer moves with it. The divider stays.
  await page.mouse.down();
  await page.mouse.move(px - 120, py - 60, { steps: 4 });
  await page.mouse.up();
  const dragged = await resultPixelAt(page, px - 120, py - 60);
  expect(Math.abs(dragged.x - under.x)).toBeLessThan(0.05);
  expect(Math.abs(dragged.y - under.y)).toBeLessThan(0.05);
  const dividerAfter = await page.getByTestId("compare-divider").boundingBox();
  expect(dividerAfter?.x).toBe(divider.x);
}
