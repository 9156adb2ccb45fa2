// The service's child processes (task worker, weight validation, previews) run this package's
// TypeScript sources directly, like the service itself, through tsx's loader.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Node flags that let a child process import .ts files. */
export const TSX_EXEC_ARGV: readonly string[] = ["--import", TSX_LOADER];
