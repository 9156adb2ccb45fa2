// Weight conversions (a state_dict or an NCNN pair -> ONNX) run in the inference service, in an
// isolated process: they are CPU-bound for seconds and parse bytes an uploader chose (pickles),
// and neither belongs on the web server's event loop. The web app stages the upload in the
// blob store under incoming/ and names its key; the node stores the ONNX file under incoming/
// too and names it in its answer.
import type { ConvertRequest, ConvertResponse } from "@studio/contracts/inference/convert";
import { InferenceRequestError } from "@studio/contracts/inference-client";
import { type AppError, inferenceError } from "../errors";
import type { InferenceClient } from "../inference";
import { deleteBlobsQuietly, type StoredFile } from "../storage/blobs";

type Kind = ConvertRequest["kind"];

/**
 * Has the inference service convert a staged upload and answers the ONNX object it stored
 * (incoming/..., now the caller's) with the service's report. A refusal becomes an AppError with
 * the service's code and message, unless `refusal` turns it into a richer one; an unreachable
 * service is `inference_unavailable`. Nothing the node made is left behind when this throws;
 * the staged input stays the caller's.
 */
export async function convertInService<K extends Kind>(
  inference: InferenceClient,
  request: Extract<ConvertRequest, { kind: K }>,
  refusal?: (error: InferenceRequestError) => AppError | undefined,
): Promise<{ file: StoredFile; response: Extract<ConvertResponse, { kind: K }> }> {
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
  if (response.kind !== request.kind) {
    await deleteBlobsQuietly(response.key);
    throw new Error(`asked for a ${request.kind} conversion, got ${response.kind}`);
  }
  return {
    file: { key: response.key, size: response.size, sha256: response.sha256 },
    response: response as Extract<ConvertResponse, { kind: K }>,
  };
}
