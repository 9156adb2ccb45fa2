// Names of objects in the blob store (@studio/blob), as requests to the inference service carry
// them. The web app and the nodes share no disk: the web app puts what a node must read into the
// store (an upload to check under incoming/, say) and names its key; a node reads it through its
// own copy of the store (in place for the local directory, a cached download for S3).
import { z } from "zod";

/**
 * Where the web app stages uploads it hands to a node (checks, validation, conversion) and where
 * a node leaves what it made for the web app (a converted ONNX file). The web app deletes what it
 * staged once done; the cleanup job removes what an interrupted request left.
 */
export const INCOMING_PREFIX = "incoming/";

/** A store key (relative, `/`-separated, no `.` or `..` segment) under one of `prefixes`. */
export function storeKeySchema(...prefixes: [string, ...string[]]) {
  return z
    .string()
    .min(1)
    .max(700)
    .refine(
      (key) =>
        prefixes.some((prefix) => key.startsWith(prefix) && key.length > prefix.length) &&
        !key.includes("\\") &&
        !key.includes("\0") &&
        !key.split("/").some((part) => part === "" || part === "." || part === ".."),
      { message: `key must name an object under ${prefixes.join(" or ")} in the store` },
    );
}
