export { cropImage } from "./alpha";
export * from "./byte-output";
export * from "./classification";
export * from "./common";
export * from "./model";
export * from "./output-cache";
export * from "./segmentation";
export * from "./squeeze-sync";
export * from "./super-resolution";
