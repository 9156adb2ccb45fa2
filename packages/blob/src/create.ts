import { type BlobStoreConfig, blobEnv } from "./env";
import { LocalBlobStore } from "./local";
import { S3BlobStore } from "./s3";
import type { BlobStore } from "./store";

/** The store this process is configured for (see env.ts), or the one `config` describes. */
export function createBlobStore(config: BlobStoreConfig = blobEnv()): BlobStore {
  if (config.kind === "local") return new LocalBlobStore(config.rootDir);
  const { kind: _kind, ...options } = config;
  return new S3BlobStore(options);
}
