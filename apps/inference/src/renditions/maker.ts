// Makes the WebP renditions the web app shows (thumbnails, before/after views) from originals
// and results in DATA_DIR. Each one decodes a whole image, so only a few run at once and
// concurrent requests for the same copy share one generation.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  RENDITION_SIDES,
  type RenditionRequest,
  type RenditionResponse,
  renditionRequestSchema,
} from "@studio/contracts/inference/rendition";
import { ImageError, writeRendition } from "@studio/core/image";
import { resolveDataPath } from "../data-path";
import { Limiter } from "../limiter";
import type { Logger } from "../logger";

// The display rendition sits beside model output in before/after views, so it keeps more detail.
const WEBP_QUALITY = { thumb: 80, display: 90 } as const;

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
  dataDir: string;
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
   * The rendition at `target`, made when missing. Throws SourceMissingError when the source
   * is not (or no longer) there, and the data-path errors for paths outside DATA_DIR.
   */
  async make(input: RenditionRequest | unknown): Promise<RenditionResponse> {
    const request = renditionRequestSchema.parse(input);
    const target = await this.targetPath(request.target);
    const existing = await fileSize(target);
    if (existing !== null) {
      return { ok: true, path: request.target, size: existing, generated: false };
    }
    let pending = this.inFlight.get(target);
    if (!pending) {
      pending = this.generate(request, target).finally(() => this.inFlight.delete(target));
      this.inFlight.set(target, pending);
    }
    return pending;
  }

  /** The absolute target inside DATA_DIR/renditions, its folder made (symlinks resolved). */
  private async targetPath(relative: string): Promise<string> {
    const dir = path.posix.dirname(relative);
    await mkdir(path.join(this.options.dataDir, dir), { recursive: true });
    return path.join(
      await resolveDataPath(this.options.dataDir, dir),
      path.posix.basename(relative),
    );
  }

  private async generate(
    request: ReturnType<typeof renditionRequestSchema.parse>,
    target: string,
  ): Promise<RenditionResponse> {
    const release = await this.limiter.tryAcquire();
    if (!release) throw new Error("too many renditions waiting");
    try {
      // Another process sharing DATA_DIR may have made it while this one waited for a slot.
      const existing = await fileSize(target);
      if (existing !== null) {
        return { ok: true, path: request.target, size: existing, generated: false };
      }
      // A missing source is a 404, one that leaves DATA_DIR (symlinks followed) a 400.
      const source = await resolveDataPath(this.options.dataDir, request.source.path);
      const maxPixels = Math.min(request.maxPixels ?? Infinity, this.options.maxPixels);
      // Under tmp/ so that a crash mid-write leaves a file the cleanup job removes.
      const tmpDir = path.join(this.options.dataDir, "tmp");
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, `rendition-${randomBytes(8).toString("hex")}.webp`);
      try {
        await writeRendition(source, request.source, tmp, {
          side: RENDITION_SIDES[request.rendition],
          quality: WEBP_QUALITY[request.rendition],
          maxPixels,
          timeoutSeconds: RENDER_TIMEOUT_SECONDS,
        });
        // A rename on the same file system: readers see no file or the whole file, never a part.
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { force: true });
        // The image was deleted while it was being read.
        if ((await fileSize(source)) === null) throw new SourceMissingError();
        return this.refusal(error, maxPixels);
      }
      this.made++;
      const size = (await fileSize(target)) ?? 0;
      return { ok: true, path: request.target, size, generated: true };
    } finally {
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

async function fileSize(file: string): Promise<number | null> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? info.size : null;
}
