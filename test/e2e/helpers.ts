import type { BrowserContext, Locator, Page } from "playwright-core";

export interface TestUser {
  name: string;
  email: string;
  password: string;
}

// Signing up or in lands on the dashboard of the last (or personal) team.
const TEAM_DASHBOARD = /\/t\/[^/]+\/dashboard$/;

let counter = 0;
export function newUser(label: string): TestUser {
  counter += 1;
  const stamp = `${Date.now().toString(36)}${counter}`;
  return {
    name: `${label} ${stamp}`,
    email: `${label.toLowerCase().replace(/\W+/g, "")}-${stamp}@example.test`,
    password: `pw-${stamp}-correct-horse`,
  };
}

export async function signUp(page: Page, user: TestUser): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByLabel("Repeat password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(TEAM_DASHBOARD);
}

export async function signIn(
  page: Page,
  user: Pick<TestUser, "email" | "password">,
): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(TEAM_DASHBOARD);
}

/** The team whose page is open (team pages live under /t/<teamId>/...). */
export function currentTeamId(page: Page): string {
  const match = /^\/t\/([^/]+)\//.exec(new URL(page.url()).pathname);
  if (!match?.[1]) throw new Error(`not on a team page: ${page.url()}`);
  return decodeURIComponent(match[1]);
}

/** A page of the team that is open: `inTeam(page, "/tasks/new")` is "/t/<teamId>/tasks/new". */
export function inTeam(page: Page, path: string): string {
  return `/t/${encodeURIComponent(currentTeamId(page))}${path}`;
}

/** A task's own page, not "new task" (both are /t/<teamId>/tasks/<something>[?query]). */
export const TASK_PAGE = /\/t\/[^/]+\/tasks\/(?!new(?:$|\?))[^/?]+$/;

export async function signOut(page: Page): Promise<void> {
  await page.locator('[data-testid="user-menu"]:visible').click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.waitForURL("**/sign-in**");
}

/** Waits until the locator is visible and its text contains `text` (playwright-core has no expect). */
export async function waitForText(
  locator: Locator,
  text: string | RegExp,
  timeout = 20_000,
): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ state: "visible", timeout });
}

/** Runs `steps` on a page of a fresh browser profile, then closes the profile whatever happened. */
export async function withPage(
  profile: Promise<BrowserContext>,
  steps: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await profile;
  try {
    await steps(await context.newPage());
  } finally {
    await context.close();
  }
}

/** Picks one input image in the new-task form and waits until it has uploaded. */
export async function addTaskImage(page: Page, file: string): Promise<void> {
  await page.getByTestId("dropzone").locator('input[type="file"]').setInputFiles(file);
  await page.locator('[data-testid="upload-list"] li[data-state="done"]').waitFor();
}

/** Submits the new-task form, waits on the task's page until it succeeded, opens its first result. */
export async function runTaskAndOpenResult(page: Page): Promise<void> {
  await page.getByTestId("submit-task").click();
  await page.waitForURL(TASK_PAGE);
  await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 120_000 });
  await page.getByRole("link", { name: "Open" }).first().click();
}

/**
 * What makes the page scroll sideways: the page itself wider than the window, or a box in the
 * page (a table) that scrolls sideways and hides part of its content. Empty when nothing does.
 */
export async function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1)
      found.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
    for (const element of document.querySelectorAll("main *")) {
      const { overflowX } = getComputedStyle(element);
      if (overflowX !== "auto" && overflowX !== "scroll") continue;
      if (element.scrollWidth <= element.clientWidth + 1) continue;
      const inner = element.firstElementChild?.tagName.toLowerCase() ?? "";
      found.push(
        `a ${element.tagName.toLowerCase()} holding a ${inner} scrolls sideways (${element.scrollWidth}px in ${element.clientWidth}px)`,
      );
    }
    return found;
  });
}

/** True when the whole of the locator's first element lies within the window's width. */
export async function withinWindowWidth(locator: Locator): Promise<boolean> {
  const box = await locator.first().boundingBox();
  const width = locator.page().viewportSize()?.width ?? 0;
  return box !== null && box.x >= 0 && box.x + box.width <= width;
}

/** Opens the weights page's upload dialog; returns the dialog. */
export async function openWeightUpload(page: Page): Promise<Locator> {
  await page.goto(inTeam(page, "/weights"));
  await page.getByTestId("open-weight-upload").click();
  const dialog = page.getByTestId("weight-upload");
  await dialog.waitFor();
  return dialog;
}

/**
 * Chooses an option of one of the app's selects (a Radix select: a button named by its label,
 * its options in a list outside the form), as a user does: open it, click the option.
 */
export async function chooseOption(
  scope: Locator,
  label: string,
  option: string | RegExp,
): Promise<void> {
  await scope.getByRole("combobox", { name: label, exact: true }).click();
  await scope
    .page()
    .getByRole("option", { name: option, exact: typeof option === "string" })
    .click();
}

/** A Latin-script word a page shows, with the text around it. */
export interface ShownWord {
  word: string;
  context: string;
}

/**
 * The Latin-script words of two letters or more that the page shows a person: its visible text
 * (header, navigation, main, open dialogs) and the placeholders, accessible names (aria-label)
 * and tooltips (title) of its visible elements. Left out: words inside `data` (the user's own
 * names, emails, file names), what the page marks as not to be translated (HTML's
 * `translate="no"`: machine names, code), and tokens with digits (numbers, sizes, checksums).
 */
export async function latinWords(page: Page, data: string[] = []): Promise<ShownWord[]> {
  const { texts: pieces, untranslated } = await page.evaluate(() => {
    // What is rendered, as a person sees it: hidden menus and closed dialogs are left out.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
    const texts = [document.body.innerText];
    for (const element of document.querySelectorAll("[placeholder], [aria-label], [title]")) {
      if (!element.checkVisibility() || element.closest('[translate="no"]')) continue;
      for (const name of ["placeholder", "aria-label", "title"]) {
        const value = element.getAttribute(name);
        if (value) texts.push(value);
      }
    }
    const untranslated = [...document.querySelectorAll<HTMLElement>('[translate="no"]')].map(
      // biome-ignore lint/performance/useDomNodeTextContent: as rendered, like the text above
      (element) => element.innerText,
    );
    return { texts, untranslated };
  });
  const known = [...new Set([...data, ...untranslated].filter((d) => d.trim().length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  const found: ShownWord[] = [];
  for (const piece of pieces) {
    let text = piece;
    for (const d of known) text = text.split(d).join(" ");
    for (const match of text.matchAll(/[A-Za-z0-9][A-Za-z0-9'’_.-]*/g)) {
      const token = match[0];
      if (/\d/.test(token)) continue;
      for (const word of token.split(/[-_.'’]+/)) {
        if (word.length < 2) continue;
        const at = match.index ?? 0;
        found.push({
          word,
          context: text.slice(Math.max(0, at - 30), at + token.length + 30).replace(/\s+/g, " "),
        });
      }
    }
  }
  return found;
}
