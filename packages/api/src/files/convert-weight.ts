// Weight conversions (a state_dict or an NCNN pair -> ONNX) run in the inference service, in an
// isolated process: they are CPU-bound for seconds and parse bytes an uploader chose (pickles),
// and neither belongs on the web server's event loop. Both processes share DATA_DIR, so the
// service reads the upload from DATA_DIR/tmp and writes the ONNX file beside it.
import { open } from "node:fs/promises";
import path from "node:path";
import type { ConvertRequest, ConvertResponse } from "@studio/inference/protocol";
import {
  type InferenceClient,
  InferenceRequestError,
  InferenceUnavailableError,
} from "../inference-client";
import { dataDir, type ReceivedFile, removeQuietly, resolveDataPath, UploadError } from "./storage";

const HEAD_BYTES = 64;

/** A temp file's path relative to DATA_DIR with forward slashes, as the service takes it. */
export function relativeDataPath(absolute: string): string {
  return path.relative(path.resolve(dataDir()), absolute).split(path.sep).join("/");
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

type Kind = ConvertRequest["kind"];

/**
 * Has the inference service convert an upload and answers the ONNX file (in DATA_DIR/tmp, now
 * the caller's) with the service's report. A refusal becomes an UploadError with the service's
 * status, code and message, unless `refusal` turns it into a richer error; an unreachable
 * service is a 503. Nothing is left behind when this throws.
 */
export async function convertInService<K extends Kind>(
  inference: InferenceClient,
  request: Extract<ConvertRequest, { kind: K }>,
  refusal?: (error: InferenceRequestError) => UploadError | undefined,
): Promise<{ file: ReceivedFile; response: Extract<ConvertResponse, { kind: K }> }> {
  let response: ConvertResponse;
  try {
    response = await inference.convertWeight(request);
  } catch (error) {
    if (error instanceof InferenceUnavailableError) {
      throw new UploadError(
        503,
        "inference_unavailable",
        "The inference service is unavailable; try again shortly.",
      );
    }
    if (error instanceof InferenceRequestError) {
      throw refusal?.(error) ?? new UploadError(error.status, error.code, error.message);
    }
    throw error;
  }
  const tmpPath = resolveDataPath(response.path);
  try {
    if (response.kind !== request.kind) {
      throw new Error(`asked for a ${request.kind} conversion, got ${response.kind}`);
    }
    return {
      file: {
        tmpPath,
        size: response.size,
        sha256: response.sha256,
        head: await readHead(tmpPath),
      },
      response: response as Extract<ConvertResponse, { kind: K }>,
    };
  } catch (error) {
    await removeQuietly(tmpPath);
    throw error;
  }
}
