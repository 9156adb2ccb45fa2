// Blob store failures as answers of this service. The messages are the store's own (written for
// the person who reads them, keys but no server paths) except where the store is down or refuses
// us: then the caller hears what to do, and the detail stays in the log. A store that is down or
// full is shared by every node: 502 storage_unavailable, which callers do not fail over on or
// hold against this node; one that refuses this node's settings is this node's problem (503).
import { BlobError } from "@studio/blob/errors";
import { HttpError } from "./errors";

export const STORE_UNREACHABLE_MESSAGE = "File storage is unreachable; try again shortly";

/** The HttpError a BlobError answers as; any other error is returned as it is. */
export function fromBlobError(error: unknown): unknown {
  if (!(error instanceof BlobError)) return error;
  switch (error.code) {
    case "not_found":
      return new HttpError(404, "not_found", error.message);
    case "invalid_key":
      return new HttpError(400, "bad_request", error.message);
    case "unavailable":
      return new HttpError(502, "storage_unavailable", STORE_UNREACHABLE_MESSAGE, undefined, {
        "retry-after": "5",
      });
    case "misconfigured":
      return new HttpError(
        503,
        "unavailable",
        "File storage refuses this service; an operator must check its settings",
      );
    case "storage_full":
      return new HttpError(502, "storage_unavailable", "File storage has no room left");
    default:
      return error;
  }
}
