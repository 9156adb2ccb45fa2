import {
  InferenceBusyError,
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
import { expect, it } from "vitest";
import { AppError, inferenceError, withoutServerPaths } from "../errors";

it("inferenceError keeps server paths out of the message shown to users", () => {
  const error = inferenceError(
    new InferenceRequestError(
      422,
      "unprocessable",
      "weight file for sha256 abc is missing from /srv/studio/data/weights and /srv/studio/data/official",
    ),
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: "unprocessable", status: 422 });
  expect((error as AppError).message).not.toContain("/srv/studio");
  expect((error as AppError).message).toContain("weight file for sha256 abc is missing");
});

it("inferenceError maps every kind of failure through the one table", () => {
  expect(inferenceError(new InferenceUnavailableError())).toMatchObject({
    code: "inference_unavailable",
    status: 503,
  });
  expect(inferenceError(new InferenceBusyError("busy", 3))).toMatchObject({
    code: "inference_busy",
    status: 429,
    details: { retryAfterSeconds: 3 },
    message: "Too many previews are running; try again in 3 s.",
  });
  expect(inferenceError(new InferenceRequestError(504, "timeout", "slow"))).toMatchObject({
    code: "timeout",
    status: 504,
  });
  // A refused import keeps its code and its report.
  const report = { verdict: "rejected" };
  expect(
    inferenceError(new InferenceRequestError(422, "bad_pickle", "refused", report)),
  ).toMatchObject({ code: "bad_pickle", status: 422, details: report });
  // Faults between the services are not the caller's: no "unauthorized" for a wrong token.
  expect(
    inferenceError(new InferenceRequestError(401, "unauthorized", "wrong token")),
  ).toMatchObject({ code: "inference_failed", status: 502 });
  const other = new Error("other");
  expect(inferenceError(other)).toBe(other);
});

it("withoutServerPaths turns ENOENT messages into a generic sentence and leaves clean messages alone", () => {
  expect(withoutServerPaths("ENOENT: no such file or directory, open '/data/uploads/x.png'")).toBe(
    "A file the service needs is missing.",
  );
  expect(withoutServerPaths("C:\\studio\\data\\weights\\a.onnx is bad")).toBe("<path> is bad");
  expect(withoutServerPaths("The crop exceeds the image (10x20).")).toBe(
    "The crop exceeds the image (10x20).",
  );
});
