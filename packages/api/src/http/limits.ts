// Request limits of the tRPC endpoint. Dependency-free, so browser code and the typed client
// can import the numbers and never send what the server refuses.

/** Most procedure calls one tRPC HTTP request (a batch) may carry. */
export const TRPC_MAX_BATCH_SIZE = 20;

/** Largest tRPC request body; files go through the file routes, which have their own limits. */
export const TRPC_MAX_BODY_BYTES = 1024 * 1024;

/** Deepest nesting accepted in a tRPC input (its JSON and its superjson annotations). */
export const TRPC_MAX_INPUT_DEPTH = 64;

/** Most superjson annotation entries one input may carry (each is applied one by one). */
export const TRPC_MAX_META_NODES = 10_000;
