import { expect, it } from "vitest";
import type { Studio } from "../harness";
import { newUser, signIn, signOut, signUp, waitForText, withPage } from "../helpers";

export function authSuite(studio: () => Studio): void {
  it("signs up, lands on the dashboard, signs out and in again; a wrong password is refused in plain words", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      // Signed out, the app sends you to sign in.
      await page.goto("/dashboard");
      await page.waitForURL("**/sign-in**");
      await s.screenshot(page, "sign-in");

      const user = newUser("Ada");
      await page.goto("/sign-up");
      await s.screenshot(page, "sign-up");
      await signUp(page, user);
      await waitForText(page.getByTestId("current-user-name"), user.name);
      await s.screenshot(page, "dashboard");

      await signOut(page);
      await page.goto("/dashboard");
      await page.waitForURL("**/sign-in**");

      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await waitForText(page.getByRole("alert"), "The email or password is not correct.");
      await s.screenshot(page, "sign-in-error");
      expect(page.url()).toContain("/sign-in");

      await signIn(page, user);
      await waitForText(page.getByTestId("current-user-name"), user.name);
    });
  });

  it("registering an email twice does not reveal the account, and points to sign-in", async () => {
    const s = studio();
    await withPage(s.newContext(), async (page) => {
      const user = newUser("Twice");
      await signUp(page, user);
      await signOut(page);
      await page.goto("/sign-up");
      await page.getByLabel("Name").fill(user.name);
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password", { exact: true }).fill("another-password-123");
      await page.getByLabel("Repeat password").fill("another-password-123");
      await page.getByRole("button", { name: "Create account" }).click();
      await waitForText(page.getByRole("alert"), "sign in with its password");
      // The account is unchanged: its own password still signs in.
      await signIn(page, user);
    });
  });

  it("works at phone width and switches to Simplified Chinese", async () => {
    const s = studio();
    await withPage(s.newContext({ width: 390, height: 844 }), async (page) => {
      const user = newUser("Phone");
      await signUp(page, user);
      await waitForText(page.getByTestId("current-user-name"), user.name);
      await s.screenshot(page, "dashboard-phone");
      // The language menu sits in the top bar on phones.
      await page.locator('button[aria-label="Language"]:visible').click();
      await page.getByRole("menuitemradio", { name: "简体中文" }).click();
      await waitForText(page.getByRole("heading", { level: 1 }), "概览");
      await s.screenshot(page, "dashboard-phone-zh");
      // The menu opens as a sheet with the navigation.
      await page.getByRole("button", { name: "打开菜单" }).click();
      await waitForText(page.getByRole("dialog"), "数据集");
      await s.screenshot(page, "nav-phone-zh");
    });
  });
}
