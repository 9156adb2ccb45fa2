// PyTorch files for the weight import tests, written with the same helpers the API's import
// tests use (torch.save zip + pickle). SRVGGNetCompact `realesr-animevideov3` (621k parameters)
// keeps the upload and the server's build + validation quick on the shared machine.
import { getArchitecture } from "@studio/core/architectures";
import { type EncodedStateDict, toPth } from "@studio/core/testing";

export const SRVGG_ID = "realesr-animevideov3";

/**
 * Deterministic float16 weights of magnitude ~0.004..0.008 (random sign and mantissa, fixed
 * exponent): small enough that the network stays near its nearest-upsampled residual.
 */
export function srvggStateDict(seed = 5): EncodedStateDict {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state;
  };
  const out: EncodedStateDict = {};
  for (const p of getArchitecture(SRVGG_ID).parameters) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const halves = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const r = random();
      halves[i] = ((r >>> 31) << 15) | (7 << 10) | ((r >>> 8) & 0x3ff);
    }
    out[p.name] = { shape: p.shape, dtype: "F16", data: new Uint8Array(halves.buffer) };
  }
  return out;
}

/** The state_dict as a `.pth`, without `drop` keys and with `extra` unexpected keys added. */
export function srvggPth(options: { drop?: string[]; extra?: string[] } = {}): Uint8Array {
  const tensors = srvggStateDict();
  for (const key of options.drop ?? []) delete tensors[key];
  for (const key of options.extra ?? [])
    tensors[key] = { shape: [2], dtype: "F16", data: new Uint8Array(4) };
  return toPth(tensors);
}
