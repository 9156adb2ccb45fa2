// The product's own calibration images (assets/calibration, see LICENSES.md there), prepared as
// the pipeline prepares a model input for the spec: decoded by the pipeline's decoder, colour
// order and normalisation by the same affine, fixed-size models resized bilinearly like
// segmentation's octaStyleTensor, dynamic ones padded by reflection to the size multiple.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import type { ModelSpec } from "../spec/index";
import { fillTensorRegion, inputAffine, modelChannels, resizeBilinear } from "../tensor/index";
import type { CalibrationInput } from "./calibrate";

export const CALIBRATION_IMAGES = [
  "chelsea.png",
  "text.png",
  "coffee.png",
  "astronaut.png",
] as const;

/** The folder of the calibration images; they ship with the package (the service quantises). */
export const CALIBRATION_DIR = fileURLToPath(new URL("../../assets/calibration/", import.meta.url));

export async function loadCalibrationImages(): Promise<RawImage[]> {
  return Promise.all(
    CALIBRATION_IMAGES.map(async (name) =>
      decodeImage(await readFile(`${CALIBRATION_DIR}${name}`)),
    ),
  );
}

/**
 * One model input from an image: the whole image (or, with `side`, a side x side window of it,
 * reflected past its edges) in the spec's colour order and normalisation.
 */
export function modelInput(img: RawImage, spec: ModelSpec, side?: number): CalibrationInput {
  const c = modelChannels(spec.colorOrder);
  const affine = inputAffine(spec.normalization, spec.colorOrder, img.depth);
  if (spec.size.mode === "fixed") {
    const src = new Float32Array(c * img.width * img.height);
    const rect = { x: 0, y: 0, width: img.width, height: img.height };
    fillTensorRegion(img, rect, spec.colorOrder, affine, src);
    const { width, height } = spec.size;
    const data =
      img.width === width && img.height === height
        ? src
        : resizeBilinear(src, c, img.width, img.height, width, height);
    return { data, dims: [1, c, height, width] };
  }
  const { multipleOf: m, minSize } = spec.size;
  const fit = (n: number) => Math.max(minSize, Math.ceil(n / m) * m);
  const width = fit(side ?? img.width);
  const height = fit(side ?? img.height);
  const data = new Float32Array(c * width * height);
  fillTensorRegion(img, { x: 0, y: 0, width, height }, spec.colorOrder, affine, data);
  return { data, dims: [1, c, height, width] };
}
