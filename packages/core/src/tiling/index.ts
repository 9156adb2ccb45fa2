export * from "./auto";
export * from "./exact";
export * from "./grid";
export * from "./run";
