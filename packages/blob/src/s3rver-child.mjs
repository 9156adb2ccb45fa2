// Runs s3rver in its own process for tests (started by testing.ts, never by hand).
//
// A separate process because s3rver signs ListObjectsV2 continuation tokens with DES, which
// OpenSSL 3 only offers with `--openssl-legacy-provider`; that flag cannot be switched on inside
// a running vitest worker. It also lets a test stop, freeze (SIGSTOP) or restart the server like
// a real outage. The process exits when its parent goes away (stdin closes).
//
// s3rver 3.7.1 implements neither AbortMultipartUpload nor ListMultipartUploads, which the
// store relies on (abort on failure) and the tests check (no part left behind); both are added
// below over s3rver's own upload directory. No other npm S3 server runs here (see
// ARCHITECTURE.md), so this is the smallest way to get them.
import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import S3rver from "s3rver";

const [directory, bucket, portArg] = process.argv.slice(2);
if (!directory || !bucket) {
  console.error("usage: s3rver-child.mjs <directory> <bucket> [port]");
  process.exit(2);
}

const server = new S3rver({
  port: Number(portArg ?? 0),
  address: "127.0.0.1",
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});

// Where s3rver's FilesystemStore keeps pending multipart uploads: one folder per upload id
// holding `key`, `metadata` and the parts (see s3rver/lib/stores/filesystem.js).
const uploadsDir = (name) => path.join(directory, name, "._S3rver_uploads");

const xmlEscape = (s) => String(s).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function xmlError(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = "application/xml";
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
}

async function listUploads(ctx, name) {
  const dir = uploadsDir(name);
  const ids = await readdir(dir).catch(() => []);
  const uploads = [];
  for (const id of ids) {
    try {
      const key = await readFile(path.join(dir, id, "key"), "utf8");
      const initiated = (await stat(path.join(dir, id))).mtime.toISOString();
      if (ctx.query.prefix && !key.startsWith(ctx.query.prefix)) continue;
      uploads.push(
        `<Upload><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`,
      );
    } catch {
      // An upload completed or aborted while we looked: not pending any more.
    }
  }
  ctx.status = 200;
  ctx.type = "application/xml";
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${xmlEscape(name)}</Bucket><IsTruncated>false</IsTruncated>${uploads.join("")}</ListMultipartUploadsResult>`;
}

async function abortUpload(ctx, name, uploadId) {
  if (!/^[0-9a-f]+$/.test(uploadId)) return xmlError(ctx, 404, "NoSuchUpload", "no such upload");
  const dir = path.join(uploadsDir(name), uploadId);
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!exists) return xmlError(ctx, 404, "NoSuchUpload", "The specified upload does not exist.");
  await rm(dir, { recursive: true, force: true });
  ctx.status = 204;
  ctx.body = null;
}

// Runs before s3rver's router (Koa composes `middleware` when the server starts listening).
server.middleware.unshift(async (ctx, next) => {
  const parts = ctx.path.split("/").filter(Boolean);
  const name = parts[0] ? decodeURIComponent(parts[0]) : undefined;
  if (name && parts.length === 1 && ctx.method === "GET" && "uploads" in ctx.query) {
    return listUploads(ctx, name);
  }
  if (name && parts.length > 1 && ctx.method === "DELETE" && ctx.query.uploadId) {
    return abortUpload(ctx, name, String(ctx.query.uploadId));
  }
  return next();
});

const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

const shutdown = () => {
  server.close().finally(() => process.exit(0));
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.resume();
