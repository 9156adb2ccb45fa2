import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { InferenceRequestError } from "../inference-client";
import { inferenceError, withoutServerPaths } from "./inference";

describe("inferenceError", () => {
  it("keeps server paths out of the message shown to users", () => {
    const error = inferenceError(
      new InferenceRequestError(
        422,
        "unprocessable",
        "weight file for sha256 abc is missing from /srv/studio/data/weights and /srv/studio/data/official",
      ),
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("UNPROCESSABLE_CONTENT");
    expect((error as TRPCError).message).not.toContain("/srv/studio");
    expect((error as TRPCError).message).toContain("weight file for sha256 abc is missing");
  });

  it("turns ENOENT messages into a generic sentence and leaves clean messages alone", () => {
    expect(
      withoutServerPaths("ENOENT: no such file or directory, open '/data/uploads/x.png'"),
    ).toBe("A file the service needs is missing.");
    expect(withoutServerPaths("C:\\studio\\data\\weights\\a.onnx is bad")).toBe("<path> is bad");
    expect(withoutServerPaths("The crop exceeds the image (10x20).")).toBe(
      "The crop exceeds the image (10x20).",
    );
  });
});
