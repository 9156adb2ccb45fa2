// Makes the renditions of originals and results in the blob store (WebP for the web app's
// thumbnails and before/after views, JPEG for the PDF report) and stores them there under the
// key the web app names (so every web process serves the one copy a node made). Each one
// decodes a whole image, so only a few run at once and concurrent requests for the same copy
// share one generation.
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { isBlobError } from "@studio/blob/errors";
import {
  RENDITION_FORMATS,
  RENDITION_SIDES,
  type Rendition,
  type RenditionRequest,
  type RenditionResponse,
  renditionFileType,
  renditionRequestSchema,
} from "@studio/contracts/inference/rendition";
import { ImageError, writeRendition } from "@studio/core/image";
import { HttpError } from "../http/errors";
import { Limiter } from "../limiter";
import type { Logger } from "../logger";
import type { AcquiredFile, NodeFiles } from "../node-files";

// The display rendition sits beside model output in before/after views, so it keeps more detail;
// the print one is small on paper, where JPEG's artefacts at 78 do not show.
const QUALITY: Record<Rendition, number> = { thumb: 80, display: 90, print: 78 };

/** A pathological file must not hold a generation slot forever. */
const RENDER_TIMEOUT_SECONDS = 60;

/**
 * A gallery page asks for dozens of thumbnails at once; each generation decodes a whole
 * original. Two at a time keeps a burst from taking every core and hundreds of MB of pixels;
 * the rest wait their turn (a gallery's worth), so a page of thumbnails is never refused.
 */
export const MAX_CONCURRENT_RENDITIONS = 2;
const MAX_WAITING_RENDITIONS = 1000;

export interface RenditionMakerOptions {
  files: NodeFiles;
  /** The service's own upload pixel limit (MAX_IMAGE_PIXELS). */
  maxPixels: number;
  logger?: Logger;
}

/** The source file went away before or while it was read. */
export class SourceMissingError extends Error {
  constructor() {
    super("the source file is missing");
    this.name = "SourceMissingError";
  }
}

export class RenditionMaker {
  private readonly limiter = new Limiter(MAX_CONCURRENT_RENDITIONS, MAX_WAITING_RENDITIONS);
  private readonly inFlight = new Map<string, Promise<RenditionResponse>>();
  private made = 0;

  constructor(private readonly options: RenditionMakerOptions) {}

  /** Generations running now. */
  get running(): number {
    return this.limiter.running;
  }

  /** Renditions written since start. */
  get generated(): number {
    return this.made;
  }

  /**
   * The rendition under `target`, made when missing. Throws SourceMissingError when the source
   * is not (or no longer) there, BlobError for a source key that leaves its folder or a store
   * that cannot be reached.
   */
  async make(input: RenditionRequest | unknown): Promise<RenditionResponse> {
    const request = renditionRequestSchema.parse(input);
    const existing = await this.storedSize(request.target);
    if (existing !== null) {
      return { ok: true, key: request.target, size: existing, generated: false };
    }
    let pending = this.inFlight.get(request.target);
    if (!pending) {
      pending = this.generate(request).finally(() => this.inFlight.delete(request.target));
      this.inFlight.set(request.target, pending);
    }
    return pending;
  }

  private async storedSize(key: string): Promise<number | null> {
    return (await this.options.files.store.head(key))?.size ?? null;
  }

  private async generate(request: RenditionRequest): Promise<RenditionResponse> {
    const { files } = this.options;
    const release = await this.limiter.tryAcquire();
    if (!release) {
      throw new HttpError(429, "too_many_requests", "too many renditions waiting", undefined, {
        "retry-after": "5",
      });
    }
    let source: AcquiredFile | undefined;
    try {
      // Another process (or node) may have made it while this one waited for a slot.
      const existing = await this.storedSize(request.target);
      if (existing !== null) {
        return { ok: true, key: request.target, size: existing, generated: false };
      }
      // Read once: a remote source is copied to a temp file, not kept in the cache.
      source = await files.acquire(request.source.key, { transient: true }).catch((error) => {
        if (isBlobError(error, "not_found")) throw new SourceMissingError();
        throw error;
      });
      const maxPixels = Math.min(request.maxPixels ?? Infinity, this.options.maxPixels);
      // Under tmp/ so that a crash mid-write leaves a file the cleanup job removes.
      const tmpDir = path.join(files.dataDir, "tmp");
      await mkdir(tmpDir, { recursive: true });
      const { ext } = renditionFileType(request.rendition);
      const tmp = path.join(tmpDir, `rendition-${randomBytes(8).toString("hex")}${ext}`);
      try {
        await writeRendition(source.path, request.source, tmp, {
          side: RENDITION_SIDES[request.rendition],
          format: RENDITION_FORMATS[request.rendition],
          quality: QUALITY[request.rendition],
          maxPixels,
          timeoutSeconds: RENDER_TIMEOUT_SECONDS,
        });
      } catch (error) {
        await rm(tmp, { force: true });
        // The image was deleted while it was being read.
        if (!(await files.exists(request.source.key))) throw new SourceMissingError();
        return this.refusal(error, maxPixels);
      }
      // Readers see no object or the whole one, never a part (local: a rename).
      const stored = await files.storeFile(request.target, tmp);
      this.made++;
      return { ok: true, key: request.target, size: stored.size, generated: true };
    } finally {
      source?.release();
      release();
    }
  }

  private refusal(error: unknown, maxPixels: number): RenditionResponse {
    const message = error instanceof Error ? error.message : String(error);
    if (
      (error instanceof ImageError && error.code === "too_many_pixels") ||
      /pixel limit/i.test(message)
    ) {
      return {
        ok: false,
        code: "too_many_pixels",
        message: `The image has more pixels than the limit of ${maxPixels}; download the original instead.`,
        maxPixels,
      };
    }
    this.options.logger?.warn({ err: error }, "image rendition failed");
    return {
      ok: false,
      code: "not_renderable",
      message: "The image could not be converted for display; download the original instead.",
    };
  }
}
