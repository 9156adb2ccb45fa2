// The task queue primitives (plain functions taking the client), as one subpath.
export * from "./queue/items";
export * from "./queue/stats";
export * from "./queue/status";
export * from "./queue/tasks";
export * from "./queue/wakeups";
export * from "./queue/workers";
