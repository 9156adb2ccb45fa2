"use client";

import { useLocale, useTranslations } from "next-intl";

/** The language the server records its problems in. */
const SERVER_LOCALE = "en";

/**
 * A problem the server recorded in its own English words: why a task or one of its images
 * failed, why a weight did not validate. English shows those words. Other languages show the
 * translation of the problem's stable code when it has one, else `general` in the page's
 * language, with the server's words one click away (closed by default) for a report to an
 * administrator: they are free text, so there is nothing to translate them by.
 */
export function RecordedProblem({
  text,
  code,
  general,
}: {
  text: string;
  code?: string | null;
  general: string;
}) {
  const locale = useLocale();
  const t = useTranslations("errors");
  const tc = useTranslations("common");
  if (locale === SERVER_LOCALE) return <>{text}</>;
  if (code && t.has(code)) return <>{t(code)}</>;
  return (
    <>
      {general}{" "}
      <details className="inline-block align-top">
        <summary className="cursor-pointer underline underline-offset-2">
          {tc("serverWords")}
        </summary>
        <span lang={SERVER_LOCALE} className="block break-words">
          {text}
        </span>
      </details>
    </>
  );
}
