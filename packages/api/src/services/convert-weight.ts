// Weight conversions (a state_dict or an NCNN pair -> ONNX) run in the inference service, in an
// isolated process: they are CPU-bound for seconds and parse bytes an uploader chose (pickles),
// and neither belongs on the web server's event loop. Both processes share DATA_DIR, so the
// service reads the upload from DATA_DIR/tmp and writes the ONNX file beside it.
import { open } from "node:fs/promises";
import type { ConvertRequest, ConvertResponse } from "@studio/contracts/inference/convert";
import { InferenceRequestError } from "@studio/contracts/inference-client";
import { type AppError, inferenceError } from "../errors";
import type { InferenceClient } from "../inference";
import { type ReceivedFile, removeQuietly, resolveDataPath } from "../storage/files";

const HEAD_BYTES = 64;

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
 * the caller's) with the service's report. A refusal becomes an AppError with the service's
 * code and message, unless `refusal` turns it into a richer one; an unreachable service is
 * `inference_unavailable`. Nothing is left behind when this throws.
 */
export async function convertInService<K extends Kind>(
  inference: InferenceClient,
  request: Extract<ConvertRequest, { kind: K }>,
  refusal?: (error: InferenceRequestError) => AppError | undefined,
): Promise<{ file: ReceivedFile; response: Extract<ConvertResponse, { kind: K }> }> {
  let response: ConvertResponse;
  try {
    response = await inference.convertWeight(request);
  } catch (error) {
    if (error instanceof InferenceRequestError) {
      const refused = refusal?.(error);
      if (refused) throw refused;
    }
    throw inferenceError(error);
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
