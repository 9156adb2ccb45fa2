export { cropImage } from "./alpha";
export * from "./classification";
export * from "./common";
export * from "./model";
export * from "./segmentation";
export * from "./super-resolution";
