// Objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...) through the AWS SDK v3,
// for installations that span machines. Keys map to `<prefix><key>` in the bucket.

import { unlink } from "node:fs/promises";
import { PassThrough, Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { copyToLocalFile } from "./atomic-file";
import { BlobError } from "./errors";
import { assertFolderPrefix, assertKey, assertPrefix } from "./keys";
import { resolveRange } from "./range";
import { translateS3Error, where } from "./s3-errors";
import { digestBytes, meter, openSource } from "./source";
import type {
  BlobBody,
  BlobInfo,
  BlobSource,
  BlobStore,
  ByteRange,
  LocalCopy,
  PutOptions,
  PutResult,
} from "./store";

export interface S3BlobStoreOptions {
  /** For anything but AWS itself: `http://minio:9000`, `https://<account>.r2.cloudflarestorage.com`. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Folder inside the bucket for this installation's objects (`studio/`); default the root. */
  prefix?: string;
  /** `bucket` in the path instead of the host name; MinIO and most self-hosted servers need it. */
  forcePathStyle?: boolean;
  /** Without keys the SDK's default chain is used (instance role, AWS profile). */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /**
   * Connect timeout and longest silence on a connection, per attempt (default 30 s). A store
   * that stops answering fails with `unavailable` after about maxAttempts x timeoutMs.
   */
  timeoutMs?: number;
  /** Attempts per call, retries included (default 3). */
  maxAttempts?: number;
  /** Objects larger than this go up as multipart uploads in parts of this size (default 8 MiB, at least 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once (default 4); memory use is about partSize x queueSize per upload. */
  queueSize?: number;
}

const MiB = 1024 * 1024;
/** S3 (and lib-storage) refuse smaller parts, the last one excepted. */
const MIN_PART_SIZE = 5 * MiB;
/** S3 refuses more keys per DeleteObjects call. */
const DELETE_BATCH = 1000;

export class S3BlobStore implements BlobStore {
  readonly kind = "s3" as const;
  readonly client: S3Client;
  readonly bucket: string;
  /** "" or ends with "/". */
  readonly prefix: string;
  private readonly place: { bucket: string; endpoint?: string };
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
    this.prefix = prefix ? `${assertPrefix(prefix)}/` : "";
    this.place = { bucket: options.bucket, endpoint: options.endpoint };
    this.partSize = Math.max(options.partSize ?? 8 * MiB, MIN_PART_SIZE);
    this.queueSize = options.queueSize ?? 4;
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
              sessionToken: options.sessionToken,
            }
          : undefined,
      maxAttempts: options.maxAttempts ?? 3,
      // Checksums only where S3 requires them: the SDK's default (a CRC trailer on every upload)
      // is not understood by every S3-compatible server and breaks streamed uploads on some;
      // AWS accepts both.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // socketTimeout also covers a server that accepts the connection and then says nothing,
      // including in the middle of a download.
      requestHandler: { connectionTimeout: timeoutMs, socketTimeout: timeoutMs },
    });
  }

  get description() {
    return `s3://${this.bucket}/${this.prefix}${this.place.endpoint ? ` at ${this.place.endpoint}` : ""}`;
  }

  localPath(): null {
    return null;
  }

  private objectKey(key: string) {
    return this.prefix + assertKey(key);
  }

  private fail(error: unknown, key: string): unknown {
    return translateS3Error(error, this.place, key);
  }

  async put(key: string, source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    const Key = this.objectKey(key);
    let body: Uint8Array | Readable;
    let digest: () => { size: number; sha256: string };
    let sourceError = (): unknown => undefined;
    if (source instanceof Uint8Array) {
      const d = digestBytes(source, options);
      body = source;
      digest = () => d;
    } else {
      const metered = meter(await openSource(source), options);
      body = metered.stream;
      digest = metered.digest;
      sourceError = metered.sourceError;
    }
    // Upload sends one PUT when the bytes fit in one part, a multipart upload otherwise; on any
    // failure (our stream included) it aborts the multipart upload so no part is left behind.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body, ContentType: options.contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      if (body instanceof Readable) body.destroy();
      throw sourceError() ?? this.fail(error, key);
    }
    if (!(source instanceof Uint8Array) && "file" in source && source.consume) {
      await unlink(source.file).catch(() => {});
    }
    return { key, ...digest() };
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<BlobBody> {
    const Key = this.objectKey(key);
    if (options.range) resolveRange(options.range, Number.MAX_SAFE_INTEGER); // shape check only
    const Range = options.range
      ? `bytes=${options.range.start}-${options.range.end ?? ""}`
      : undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range }));
      const body = this.guard(out.Body as Readable, key);
      const length = out.ContentLength ?? 0;
      const contentRange = out.ContentRange
        ? /bytes (\d+)-(\d+)\/(\d+)/.exec(out.ContentRange)
        : null;
      const size = contentRange ? Number(contentRange[3]) : length;
      return {
        body,
        size,
        length,
        ...(options.range && contentRange
          ? { range: { start: Number(contentRange[1]), end: Number(contentRange[2]) } }
          : {}),
        etag: out.ETag ?? "",
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
      };
    } catch (error) {
      throw this.fail(error, key);
    }
  }

  /**
   * The SDK's body fails with socket and SDK errors; callers get a BlobError instead. Giving up
   * on the returned stream releases the connection.
   */
  private guard(body: Readable, key: string): Readable {
    const out = new PassThrough();
    body.on("error", (error) => out.destroy(this.fail(error, key) as Error));
    out.on("close", () => {
      if (!body.readableEnded) body.destroy();
    });
    body.pipe(out);
    return out;
  }

  async getBytes(key: string): Promise<Buffer> {
    const { body } = await this.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async head(key: string): Promise<BlobInfo | null> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: out.ETag ?? "",
        lastModified: out.LastModified ?? new Date(0),
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
      };
    } catch (error) {
      const translated = this.fail(error, key);
      if (translated instanceof BlobError && translated.code === "not_found") return null;
      throw translated;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.objectKey(from);
    const Key = this.objectKey(to);
    // CopySource is "<bucket>/<key>" with the key URL-encoded (its slashes may stay).
    const CopySource = `${this.bucket}/${source.split("/").map(encodeURIComponent).join("/")}`;
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource }));
    } catch (error) {
      throw this.fail(error, from);
    }
    await this.delete(from);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      const translated = this.fail(error, key);
      if (translated instanceof BlobError && translated.code === "not_found") return;
      throw translated;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertFolderPrefix(prefix);
    let count = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((k) => ({ Key: this.prefix + k })), Quiet: true },
          }),
        );
        if (out.Errors?.length) {
          const first = out.Errors[0];
          throw new BlobError(
            "failed",
            `${out.Errors.length} of ${keys.length} files under "${prefix}" could not be deleted.`,
            { cause: new Error(`${first?.Code}: ${first?.Message} (${first?.Key})`) },
          );
        }
      } catch (error) {
        throw this.fail(error, prefix);
      }
      count += keys.length;
    };
    for await (const { key } of this.list(prefix, { pageSize: DELETE_BATCH })) {
      batch.push(key);
      if (batch.length >= DELETE_BATCH) await flush();
    }
    await flush();
    return count;
  }

  async *list(prefix: string, options: { pageSize?: number } = {}): AsyncIterable<BlobInfo> {
    assertPrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            MaxKeys: options.pageSize ?? 1000,
            ContinuationToken,
          }),
        );
      } catch (error) {
        throw this.fail(error, prefix);
      }
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        yield {
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          etag: item.ETag ?? "",
          lastModified: item.LastModified ?? new Date(0),
        };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  toLocalFile(key: string, file: string, options: { sha256?: string } = {}): Promise<LocalCopy> {
    return copyToLocalFile(this, key, file, options);
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const translated = this.fail(error, "");
      // HeadBucket has no body, so a missing bucket arrives as a bare 404.
      if (translated instanceof BlobError && translated.code === "not_found") {
        throw new BlobError("misconfigured", `The ${where(this.place)} does not exist.`, {
          cause: error,
        });
      }
      throw translated;
    }
  }

  async removeIncomplete(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix || undefined,
            KeyMarker,
            UploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId) continue;
          if ((upload.Initiated?.getTime() ?? 0) >= cutoff) continue;
          await this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          removed++;
        }
        KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (KeyMarker);
    } catch (error) {
      throw this.fail(error, "");
    }
    return removed;
  }

  close(): void {
    this.client.destroy();
  }
}
