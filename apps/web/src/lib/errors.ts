import {
  type AppErrorCode,
  appCodeForStatus,
  isAppErrorCode,
  isAppErrorReason,
  TRPC_CODES,
  TRPC_TO_APP_CODE,
  type TrpcCode,
} from "@studio/contracts/errors";
import { useLocale, useTranslations } from "next-intl";
import { useCallback } from "react";

/** Failures that happen in the browser before any answer: they have no server code. */
export type ClientErrorCode = "network" | "aborted";
export type ErrorCode = AppErrorCode | ClientErrorCode;

/** The language the server writes its messages in. */
const SERVER_LOCALE = "en";

/** Codes whose translation says more than any message that comes with them. */
const ALWAYS_TRANSLATED: ReadonlySet<ErrorCode> = new Set(["network", "aborted", "unauthorized"]);

/**
 * A failed request to a file route (uploads, downloads), or one that never got an answer:
 * the route's stable code, message and details (the weight import report on a refusal).
 */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** The error a file route's answer stands for: `{ error: { code, message, details? } }`. */
export function requestErrorFromBody(status: number, statusText: string, body: unknown) {
  const payload = body as {
    error?: { code?: unknown; message?: unknown; details?: unknown } | string;
    message?: unknown;
  } | null;
  const error = typeof payload?.error === "object" ? payload.error : null;
  const message =
    (typeof error?.message === "string" ? error.message : null) ??
    (typeof payload?.error === "string" ? payload.error : null) ??
    (typeof payload?.message === "string" ? payload.message : null) ??
    `${status} ${statusText}`;
  const code = isAppErrorCode(error?.code) ? error.code : appCodeForStatus(status);
  return new RequestError(message, status, code, error?.details ?? null);
}

/**
 * The stable code of any error the app shows: a file route's (RequestError, or the typed
 * client's FileRouteError), or a tRPC call's (`data.appCode`; `data.code` from a server that
 * predates it). A tRPC call that never got an answer is a network failure. Null otherwise.
 */
export function errorCode(error: unknown): ErrorCode | null {
  if (error instanceof RequestError) return error.code;
  const e = error as {
    name?: unknown;
    code?: unknown;
    data?: { appCode?: unknown; code?: unknown } | null;
  } | null;
  if (!e || typeof e !== "object") return null;
  if (isAppErrorCode(e.code)) return e.code;
  if (isAppErrorCode(e.data?.appCode)) return e.data.appCode;
  const trpcCode = e.data?.code;
  if (typeof trpcCode === "string" && (TRPC_CODES as readonly string[]).includes(trpcCode)) {
    return TRPC_TO_APP_CODE[trpcCode as TrpcCode];
  }
  if (e.name === "TRPCClientError" && !e.data) return "network";
  return null;
}

/**
 * The details of an error that came with an answer: a file route's (RequestError) or a tRPC
 * call's (`data.details`). Null when there are none.
 */
export function errorDetails(error: unknown): unknown {
  if (error instanceof RequestError) return error.details;
  const e = error as { details?: unknown; data?: { details?: unknown } | null } | null;
  if (!e || typeof e !== "object") return null;
  return e.data?.details ?? e.details ?? null;
}

/** What next-intl's `useTranslations("errors")` (or `createTranslator`) returns, as used here. */
export interface ErrorTranslator {
  (key: string, values?: Record<string, string | number>): string;
  has(key: string): boolean;
}

/** The values a message may name: the details' strings and numbers, nothing else. */
function messageValues(details: unknown): Record<string, string | number> {
  if (!details || typeof details !== "object" || Array.isArray(details)) return {};
  return Object.fromEntries(
    Object.entries(details).filter(
      (entry): entry is [string, string | number] =>
        typeof entry[1] === "string" || typeof entry[1] === "number",
    ),
  );
}

/**
 * An error in the user's language. The server writes precise English messages (naming the
 * record, the limit, the field), so English shows them as they are. Other languages never show
 * the server's English: they say the error's reason (`errors.reasons.<reason>`, filled in from
 * its details: the limit, the status) where the server gave one, else the translation of its
 * stable code (`errors.<code>`), else a general "something went wrong" (`errors.unknown`).
 */
export function translateError(error: unknown, t: ErrorTranslator, locale: string): string {
  const code = errorCode(error);
  const message = isMessage(error) ? error.message : null;
  if (locale === SERVER_LOCALE && !(code && ALWAYS_TRANSLATED.has(code))) {
    return message || (code && t.has(code) ? t(code) : null) || String(error);
  }
  const details = errorDetails(error);
  const values = messageValues(details);
  const reason = values.reason;
  if (isAppErrorReason(reason) && t.has(`reasons.${reason}`)) {
    return t(`reasons.${reason}`, values);
  }
  // A file refused from its first bytes says what it looks like and what the upload takes.
  if (typeof values.found === "string" && typeof values.expected === "string") {
    return t("wrongFile", values);
  }
  if (code && t.has(code)) return t(code, values);
  return t("unknown");
}

function isMessage(value: unknown): value is { message: string } {
  return typeof (value as { message?: unknown } | null)?.message === "string";
}

/** `(error) => message` in the current language; see translateError. */
export function useErrorMessage(): (error: unknown) => string {
  const t = useTranslations("errors");
  const locale = useLocale();
  return useCallback((error: unknown) => translateError(error, t, locale), [t, locale]);
}

/**
 * @deprecated Use `useErrorMessage`, which translates every code. Kept for pages that still
 * pass `common` keys; it now also reads the stable code.
 */
export function errorMessage(
  error: unknown,
  t: (key: "notSignedIn" | "forbidden" | "notFound") => string,
): string {
  const code = errorCode(error);
  const message = isMessage(error) ? error.message : "";
  if (code === "unauthorized") return t("notSignedIn");
  if (code === "forbidden" && !message) return t("forbidden");
  if (code === "not_found" && !message) return t("notFound");
  return message || String(error);
}
