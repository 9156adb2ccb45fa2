// Generated ids of SwinIR configurations, e.g. the official classical x2 model
// (001_classicalSR_DF2K_s64w8_SwinIR-M_x2) is swinir-x2-e180-d6x6-h6x6-w8-mlp360-s64-pixelshuffle-nf64.
// Every hyperparameter that changes keys, shapes or the graph is spelled out; one canonical
// spelling per configuration (ids.ts refuses a parsed id that does not format back to itself).
import {
  defaultImgSize,
  hasShiftedBlocks,
  isValidSwinir,
  type SwinirConfig,
  type SwinirUpsampler,
  swinirShape,
} from "./swinir-config";

const UPSAMPLER_ID: Record<SwinirUpsampler, string> = {
  pixelshuffle: "pixelshuffle",
  pixelshuffledirect: "pixelshuffledirect",
  "nearest+conv": "nearestconv",
  "": "none",
};

const UPSAMPLER_VARIANT: Record<SwinirUpsampler, string> = {
  pixelshuffle: "classical",
  pixelshuffledirect: "lightweight",
  "nearest+conv": "real-world",
  "": "denoise / JPEG",
};

/** "6x4" when all four entries are 6, else "6.4.2". */
function list(values: readonly number[]): string {
  const first = values[0] as number;
  return values.every((v) => v === first) ? `${first}x${values.length}` : values.join(".");
}

function parseList(text: string): number[] | null {
  const repeated = /^(\d+)x(\d+)$/.exec(text);
  if (repeated) {
    const count = Number(repeated[2]);
    return count >= 1 && count <= 64 ? Array(count).fill(Number(repeated[1])) : null;
  }
  return /^\d+(\.\d+)*$/.test(text) ? text.split(".").map(Number) : null;
}

export function swinirId(config: SwinirConfig): string {
  const s = swinirShape(config);
  const usesFeat = s.upsampler === "pixelshuffle" || s.upsampler === "nearest+conv";
  return [
    `swinir-x${s.scale}-e${s.embed}-d${list(s.depths)}-h${list(s.heads)}-w${s.ws}`,
    `-mlp${s.hidden}`,
    // Without shifted blocks nothing in the file depends on img_size: the id leaves it out.
    hasShiftedBlocks(s.depths) ? `-s${s.imgSize}` : "",
    `-${UPSAMPLER_ID[s.upsampler]}`,
    usesFeat ? `-nf${s.numFeat}` : "",
    s.resi === "3conv" ? "-3conv" : "",
    s.inC === 3 ? "" : `-ch${s.inC}`,
    s.imgRange === 255 ? "-r255" : "",
  ].join("");
}

export function swinirName(config: SwinirConfig): string {
  const s = swinirShape(config);
  const blocks = s.depths.reduce((a, b) => a + b, 0);
  return `SwinIR x${s.scale} ${UPSAMPLER_VARIANT[s.upsampler]} (${s.depths.length} groups, ${blocks} blocks, ${s.embed} dims, window ${s.ws})`;
}

/** The configuration a swinir-... id stands for, or null (not one, or out of range). */
export function parseSwinirId(id: string): SwinirConfig | null {
  const m =
    /^swinir-x(\d+)-e(\d+)-d([\d.x]+)-h([\d.x]+)-w(\d+)-mlp(\d+)(?:-s(\d+))?-(pixelshuffle|pixelshuffledirect|nearestconv|none)(?:-nf(\d+))?(-3conv)?(?:-ch(\d+))?(-r255)?$/.exec(
      id,
    );
  if (!m) return null;
  const depths = parseList(m[3] as string);
  const numHeads = parseList(m[4] as string);
  if (!depths || !numHeads) return null;
  const upsampler = (Object.entries(UPSAMPLER_ID).find(([, v]) => v === m[8])?.[0] ??
    "") as SwinirUpsampler;
  const config: SwinirConfig = {
    id,
    name: "",
    scale: Number(m[1]),
    embedDim: Number(m[2]),
    depths,
    numHeads,
    windowSize: Number(m[5]),
    mlpHidden: Number(m[6]),
    imgSize: m[7] ? Number(m[7]) : defaultImgSize(Number(m[5])),
    upsampler,
    resiConnection: m[10] ? "3conv" : "1conv",
    inChannels: m[11] ? Number(m[11]) : 3,
    imgRange: m[12] ? 255 : 1,
  };
  if (m[9]) config.numFeat = Number(m[9]);
  if (!isValidSwinir(config)) return null;
  config.name = swinirName(config);
  return config;
}
