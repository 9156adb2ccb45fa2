// The error helper with the app's real message files: every code the server can answer has a
// message in each language, and the Chinese interface shows Chinese for a server error.
import { readFileSync } from "node:fs";
import {
  APP_ERROR_CODES,
  APP_ERROR_REASONS,
  type AppErrorCode,
  reasonOfMessage,
  reasonValueNames,
} from "@studio/contracts/errors";
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

type Messages = Record<string, Record<string, string | Record<string, string>>>;
const load = (locale: string): Messages =>
  JSON.parse(readFileSync(new URL(`../../messages/${locale}.json`, import.meta.url), "utf8"));

const translator = (locale: string): ErrorTranslator =>
  createTranslator({ locale, messages: load(locale), namespace: "errors" }) as ErrorTranslator;

/** A file route's answer as the API builds it: the reason read off its message (AppError). */
const apiRefusal = (status: number, code: AppErrorCode, message: string) =>
  requestErrorFromBody(status, "", {
    error: { code, message, details: reasonOfMessage(code, message) ?? undefined },
  });

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
    for (const code of [...APP_ERROR_CODES, "network", "aborted", "unknown"]) {
      expect([code, typeof en[code]]).toEqual([code, "string"]);
      expect([code, typeof zh[code]]).toEqual([code, "string"]);
      // A real translation, not the English copied over.
      expect([code, /[\u4e00-\u9fff]/.test(String(zh[code] ?? ""))]).toEqual([code, true]);
    }
  });

  it("has a message for every reason in every language, naming only the values it carries", () => {
    for (const locale of ["en", "zh-CN"]) {
      const reasons = (load(locale).errors?.reasons ?? {}) as Record<string, string>;
      for (const reason of APP_ERROR_REASONS) {
        expect([reason, typeof reasons[reason]]).toEqual([reason, "string"]);
        if (locale === "zh-CN") {
          expect([reason, /[\u4e00-\u9fff]/.test(reasons[reason] ?? "")]).toEqual([reason, true]);
        }
        // Formatting with exactly the values the reason carries neither fails nor leaves a gap.
        const failures: string[] = [];
        const t = createTranslator({
          locale,
          messages: load(locale),
          namespace: "errors.reasons",
          onError: (e) => failures.push(`${reason}: ${e.message}`),
        }) as ErrorTranslator;
        const values = Object.fromEntries(reasonValueNames(reason).map((n) => [n, 7]));
        const text = t(reason, values);
        expect(failures).toEqual([]);
        expect([reason, text]).not.toEqual([reason, expect.stringContaining("{")]);
      }
    }
  });

  it("says a refusal in Chinese by its reason, with the values the server named", () => {
    const zh = translator("zh-CN");
    const en = translator("en");
    const wrong = apiRefusal(400, "bad_request", "The current password is wrong.");
    expect(translateError(wrong, zh, "zh-CN")).toBe("当前密码不正确。");
    expect(translateError(wrong, en, "en")).toBe("The current password is wrong.");
    // Same code, another reason: not the same words.
    const same = apiRefusal(
      400,
      "bad_request",
      "The new password must differ from the current one.",
    );
    expect(translateError(same, zh, "zh-CN")).toBe("新密码不能与当前密码相同。");
    expect(
      translateError(
        apiRefusal(
          429,
          "too_many_requests",
          "Too many uploads: the limit is 30 per minute; try again in 12 s.",
        ),
        zh,
        "zh-CN",
      ),
    ).toBe("上传过于频繁：每分钟最多 30 次，请在 12 秒后重试。");
    expect(
      translateError(
        apiRefusal(413, "payload_too_large", "The weight is larger than 200 MB."),
        zh,
        "zh-CN",
      ),
    ).toBe("权重文件超过了 200 MB 的上限。");
    expect(
      translateError(
        apiRefusal(
          409,
          "conflict",
          "The task is running; only a finished task with failed items can be retried.",
        ),
        zh,
        "zh-CN",
      ),
    ).toBe("任务正在运行；只有已结束且有失败图片的任务可以重试。");
    expect(
      translateError(
        apiRefusal(
          409,
          "conflict",
          "3 queued or running task(s) use this weight; cancel them first.",
        ),
        zh,
        "zh-CN",
      ),
    ).toBe("有 3 个排队中或运行中的任务正在使用该权重，请先取消它们。");
    // Over tRPC the details ride in `data`.
    const overTrpc = TRPCClientError.from({
      error: {
        code: -32009,
        message: "Version v2 of my-net already exists.",
        data: {
          code: "CONFLICT",
          httpStatus: 409,
          appCode: "conflict",
          details: reasonOfMessage("conflict", "Version v2 of my-net already exists."),
        },
      },
    });
    expect(translateError(overTrpc, zh, "zh-CN")).toBe("my-net 的版本 v2 已存在。");
    // A message no rule knows keeps the code's words.
    const other = apiRefusal(409, "conflict", "Something conflicting happened.");
    expect((other.details as { reason?: string } | null)?.reason).toBeUndefined();
    expect(translateError(other, zh, "zh-CN")).toBe(
      "与当前状态冲突：已存在相同的内容，或它仍在使用中。",
    );
  });

  it("says from its details what a refused file looks like and what the upload takes", () => {
    const error = requestErrorFromBody(422, "", {
      error: {
        code: "not_onnx",
        message: "The file looks like a PNG image; this upload takes an ONNX model (.onnx).",
        details: { found: "png", expected: "onnx" },
      },
    });
    expect(translateError(error, translator("zh-CN"), "zh-CN")).toBe(
      "该文件看起来是 PNG 图片；此处需要 ONNX 模型（.onnx）。",
    );
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

  it("never shows the server's English in Chinese, even for a code it does not know", () => {
    const error = trpcError("some_future_code", "Something new happened.", "WHATEVER");
    expect(errorCode(error)).toBeNull();
    expect(translateError(error, translator("zh-CN"), "zh-CN")).toBe("出错了，请重试。");
    expect(translateError(error, translator("en"), "en")).toBe("Something new happened.");
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
