import { signInErrorKey } from "~/lib/auth-errors";

type Translate = (key: string, values?: Record<string, number>) => string;

/**
 * The message for next-auth's `error`: a back-off arrives as `TOO_MANY_ATTEMPTS:<seconds>`
 * (the same for every email), so the user is told how long to wait.
 */
export function signInErrorMessage(t: Translate, error: string): string {
  const [code = "", wait] = error.split(":");
  const seconds = Number(wait);
  if (code === "TOO_MANY_ATTEMPTS" && Number.isFinite(seconds) && seconds > 0) {
    return seconds < 120
      ? t("errors.tooManyAttemptsSeconds", { seconds })
      : t("errors.tooManyAttemptsMinutes", { minutes: Math.ceil(seconds / 60) });
  }
  return t(`errors.${signInErrorKey(code)}`);
}
