export * from "./auto";
export * from "./grid";
export * from "./run";
