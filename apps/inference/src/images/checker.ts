// The full decode of an upload before the web app keeps it (POST /v1/images/check). Native
// decoding belongs to this service, not to the web process: here a pathological file costs this
// process's memory and threads, and the web app stays a thin, sharp-free front.
import {
  type CheckedImageFormat,
  type ImageCheckResponse,
  type ImageRefusalDetails,
  imageCheckRequestSchema,
} from "@studio/contracts/inference/image-check";
import { ImageError, type ImageFormat, verifyImageDecodes } from "@studio/core/image";
import { HttpError } from "../http/errors";
import { Limiter } from "../limiter";
import type { NodeFiles } from "../node-files";

// Fails to compile when the decoder's formats and the wire protocol's drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const formatsAgree: Same<ImageFormat, CheckedImageFormat> = true;
void formatsAgree;

/**
 * A full decode reads the whole file into memory and keeps libvips busy on several threads:
 * one at a time bounds that, and a burst of uploads or an archive's images queue instead of
 * multiplying it (each check is short; a gallery's worth may wait, beyond that the caller is
 * told to come back).
 */
export const MAX_CONCURRENT_IMAGE_CHECKS = 1;
const MAX_WAITING_IMAGE_CHECKS = 1000;

export interface ImageCheckerOptions {
  /** Where the staged uploads are read from (the blob store, incoming/). */
  files: NodeFiles;
  /** The service's own upload pixel limit (MAX_IMAGE_PIXELS). */
  maxPixels: number;
}

export class ImageChecker {
  private readonly limiter = new Limiter(MAX_CONCURRENT_IMAGE_CHECKS, MAX_WAITING_IMAGE_CHECKS);
  private done = 0;

  constructor(private readonly options: ImageCheckerOptions) {}

  /** Decodes running now. */
  get running(): number {
    return this.limiter.running;
  }

  /** Checks finished since start, refusals included. */
  get checked(): number {
    return this.done;
  }

  /**
   * Decodes every pixel of the staged upload the request names (a key under incoming/) and
   * answers what the web app records. Throws HttpError: 422 `unprocessable` for an image that
   * does not decode (the reason in `details`, a message for the uploader), 400 for a key
   * outside incoming/, 429 when too many checks wait; BlobError `not_found` for a missing
   * object, `unavailable` when the store cannot be reached (the server answers 404 / 503).
   * The object stays where it is, the caller's to move or remove.
   */
  async check(input: unknown): Promise<ImageCheckResponse> {
    const request = imageCheckRequestSchema.parse(input);
    const maxPixels = Math.min(
      request.maxPixels ?? Number.POSITIVE_INFINITY,
      this.options.maxPixels,
    );
    const release = await this.limiter.tryAcquire();
    if (!release) {
      throw new HttpError(
        429,
        "too_many_requests",
        "too many image checks are waiting; try again shortly",
        undefined,
        { "retry-after": "5" },
      );
    }
    try {
      // Read once its turn has come: it may have gone while it waited (the caller gave up).
      const bytes = await this.options.files.readBytes(request.key);
      const info = await verifyImageDecodes(bytes, { maxPixels });
      return {
        ok: true,
        format: info.format,
        width: info.width,
        height: info.height,
        channels: info.channels,
        bitDepth: info.depth,
      };
    } catch (error) {
      if (error instanceof ImageError) throw refusal(error, request.name);
      throw error;
    } finally {
      this.done++;
      release();
    }
  }
}

/**
 * The decoder's refusal as the uploader reads it: the file's name, then what is wrong (the same
 * words the web app answered with when it decoded uploads itself).
 */
function refusal(error: ImageError, name: string | undefined): HttpError {
  const details: ImageRefusalDetails = { reason: error.code };
  const message = name === undefined ? error.message : `"${name}": ${error.message}`;
  return new HttpError(422, "unprocessable", message, details);
}
