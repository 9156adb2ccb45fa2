// Paths that clients name inside the shared DATA_DIR. The web app and this service share the
// directory, so a request carries a relative path; it is resolved with symlinks followed and
// must still lie inside the allowed folder, whatever `..`, absolute or symlinked form it takes.
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { HttpError } from "./http/errors";

async function resolveInside(root: string, relative: string, what: string): Promise<string> {
  let resolved: string;
  try {
    resolved = await realpath(path.resolve(root, relative));
  } catch {
    throw new HttpError(404, "not_found", `no file ${relative} in the data directory`);
  }
  if (resolved !== root && !resolved.startsWith(`${root}${path.sep}`)) {
    throw new HttpError(400, "bad_request", `path leaves ${what}`);
  }
  return resolved;
}

/** A path under DATA_DIR, with symlinks resolved, that really stays inside it. */
export async function resolveDataPath(dataDir: string, relative: string): Promise<string> {
  return resolveInside(await realpath(dataDir), relative, "the data directory");
}

/**
 * A file under DATA_DIR/tmp (where the web app puts uploads it has received), with symlinks
 * resolved, that really stays inside tmp/: nothing else in the data directory (the store,
 * other weights, results) can be named through it.
 */
export async function resolveTmpPath(dataDir: string, relative: string): Promise<string> {
  const parts = relative.split("/");
  if (parts[0] !== "tmp" || parts.length < 2) {
    throw new HttpError(400, "bad_request", "path must name a file under tmp/");
  }
  const tmp = await resolveDataPath(dataDir, "tmp");
  const resolved = await resolveInside(tmp, parts.slice(1).join("/"), "DATA_DIR/tmp");
  if (!(await stat(resolved)).isFile()) {
    throw new HttpError(400, "bad_request", `${relative} is not a file`);
  }
  return resolved;
}
