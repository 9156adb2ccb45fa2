// The error helper with the app's real message files: every code the server can answer has a
// message in each language, and the Chinese interface shows Chinese for a server error.
import { readFileSync } from "node:fs";
import { APP_ERROR_CODES } from "@studio/contracts/errors";
import { TRPCClientError } from "@trpc/client";
import { createTranslator } from "next-intl";
import { describe, expect, it } from "vitest";
import {
  type ErrorTranslator,
  errorCode,
  RequestError,
  requestErrorFromBody,
  translateError,
} from "./errors";

type Messages = Record<string, Record<string, string>>;
const load = (locale: string): Messages =>
  JSON.parse(readFileSync(new URL(`../../messages/${locale}.json`, import.meta.url), "utf8"));

const translator = (locale: string): ErrorTranslator =>
  createTranslator({ locale, messages: load(locale), namespace: "errors" });

/** A tRPC error as the browser's client builds it from the server's answer. */
const trpcError = (appCode: string | undefined, message: string, code = "NOT_FOUND") =>
  TRPCClientError.from({
    error: {
      code: -32004,
      message,
      data: { code, httpStatus: 404, ...(appCode ? { appCode } : {}) },
    },
  });

describe("error messages", () => {
  it("has a message for every server code and the client's own, in every language", () => {
    const en = load("en").errors ?? {};
    const zh = load("zh-CN").errors ?? {};
    for (const code of [...APP_ERROR_CODES, "network", "aborted"]) {
      expect([code, typeof en[code]]).toEqual([code, "string"]);
      expect([code, typeof zh[code]]).toEqual([code, "string"]);
      // A real translation, not the English copied over.
      expect([code, /[\u4e00-\u9fff]/.test(zh[code] ?? "")]).toEqual([code, true]);
    }
  });

  it("shows a tRPC error in Chinese by its stable code", () => {
    const error = trpcError("not_found", "Task not found.");
    expect(errorCode(error)).toBe("not_found");
    expect(translateError(error, translator("zh-CN"), "zh-CN")).toBe(
      "未找到：它可能已被删除，或属于其他团队。",
    );
    // English keeps the server's own, more precise words.
    expect(translateError(error, translator("en"), "en")).toBe("Task not found.");
  });

  it("shows a file route's error in Chinese by its code, keeping its details", () => {
    const error = requestErrorFromBody(413, "Payload Too Large", {
      error: { code: "quota_exceeded", message: "Your images and weights would use 3 GB…" },
    });
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ status: 413, code: "quota_exceeded" });
    expect(translateError(error, translator("zh-CN"), "zh-CN")).toBe(
      "你的存储配额已用完。请先删除一些图片或权重。",
    );
    const report = { verdict: "rejected" };
    expect(
      requestErrorFromBody(422, "", {
        error: { code: "import_rejected", message: "missing key", details: report },
      }).details,
    ).toEqual(report);
  });

  it("falls back to the server's message for a code it does not know", () => {
    const error = trpcError("some_future_code", "Something new happened.", "WHATEVER");
    expect(errorCode(error)).toBeNull();
    expect(translateError(error, translator("zh-CN"), "zh-CN")).toBe("Something new happened.");
  });

  it("reads the code from a server that predates appCode, from a bare status, and of a lost connection", () => {
    expect(errorCode(trpcError(undefined, "x", "FORBIDDEN"))).toBe("forbidden");
    expect(requestErrorFromBody(502, "Bad Gateway", "<html>proxy</html>").code).toBe("internal");
    expect(requestErrorFromBody(404, "Not Found", null).message).toBe("404 Not Found");
    const lost = TRPCClientError.from(new TypeError("Failed to fetch"));
    expect(errorCode(lost)).toBe("network");
    expect(translateError(lost, translator("en"), "en")).toBe(
      "The connection was interrupted. Check your network and try again.",
    );
  });
});
