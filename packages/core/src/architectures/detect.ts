// Recognises an architecture family from a state_dict's key names and reads its hyperparameters
// from the tensor shapes, the way spandrel (Python) does, but on keys and shapes alone: nothing
// of the file is executed and no weight values are looked at. A configuration is only accepted
// when the architecture it describes expects exactly the file's keys with exactly its shapes;
// anything else is refused with the closest family and what did not match.
import {
  ARCHITECTURE_FAMILIES,
  type ArchitectureConfig,
  type ArchitectureFamily,
  infoFor,
  LIMITS,
  parameterCount,
  rrdbShape,
  SPAN_IMG_RANGE,
  SPAN_RGB_MEAN,
} from "./catalog";
import { architectureId, architectureName } from "./ids";
import type { RrdbLayout } from "./param-specs";
import { detectSwinir, SWINIR_KEY_PATTERN } from "./swinir-detect";

/** What detection needs of a tensor: its shape (a StateDict entry fits). */
export type KeyShapes = ReadonlyMap<string, { shape: readonly number[] }>;

export interface DetectedArchitecture {
  family: ArchitectureFamily;
  /** The generated id (ids.ts), from which the architecture can be rebuilt. */
  id: string;
  name: string;
  config: ArchitectureConfig;
  /** What the UI shows: scale, channels, blocks, features, ... */
  hyperparameters: Record<string, number | string>;
  parameterCount: number;
  /** What the weights cannot tell and was assumed. */
  notes: string[];
}

export type Detection =
  | { ok: true; detected: DetectedArchitecture }
  | {
      ok: false;
      /** The family whose key names the file resembles most, if any. */
      closest: ArchitectureFamily | null;
      problems: string[];
      /** One sentence: "looks like RRDBNet, but `conv_up4.weight` is not a known key". */
      message: string;
    };

/** Key names of each family (and layout), used to pick the closest family. */
const SIGNATURES: { family: ArchitectureFamily; layout?: RrdbLayout; pattern: RegExp }[] = [
  {
    family: "rrdb",
    layout: "basicsr",
    pattern:
      /^(conv_first|conv_body|conv_up\d+|conv_hr|conv_last|body\.\d+\.rdb\d+\.conv\d+)\.(weight|bias)$/,
  },
  {
    family: "rrdb",
    layout: "esrgan",
    pattern: /^model\.(\d+|1\.sub\.\d+|1\.sub\.\d+\.RDB\d+\.conv\d+\.0)\.(weight|bias)$/,
  },
  { family: "srvgg", pattern: /^body\.\d+\.(weight|bias)$/ },
  {
    family: "unet",
    pattern:
      /^((enc\d+|bottleneck|dec\d+)\.[0-4]\.(weight|bias|running_mean|running_var|num_batches_tracked)|(upconv\d+|final_conv)\.(weight|bias))$/,
  },
  {
    family: "span",
    pattern:
      /^(no_norm|(conv_1|conv_2|block_\d+\.c\d_r)\.(sk|conv\.\d|eval_conv)\.(weight|bias)|(conv_cat|upsampler\.0)\.(weight|bias))$/,
  },
  { family: "swinir", pattern: SWINIR_KEY_PATTERN },
];

class Mismatch extends Error {}

function reader(tensors: KeyShapes) {
  const shapeOf = (key: string, rank?: number): number[] => {
    const shape = tensors.get(key)?.shape;
    if (!shape) throw new Mismatch(`\`${key}\` is missing`);
    if (rank !== undefined && shape.length !== rank) {
      throw new Mismatch(`\`${key}\` has shape [${shape.join(", ")}], expected ${rank} dimensions`);
    }
    return [...shape];
  };
  /** How many of name(start), name(start+1), ... exist, stopping at the first gap. */
  const count = (name: (i: number) => string, start = 0): number => {
    let i = start;
    while (tensors.has(name(i))) i++;
    return i - start;
  };
  return { shapeOf, count };
}

function bounded(what: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Mismatch(`${what} ${value} is outside 1..${max}`);
  }
  return value;
}

/** conv_first takes in*r^2 channels after a pixel-unshuffle by r (BasicSR's x2 and x1 models). */
function unshuffleOf(firstIn: number, outC: number): number {
  if (firstIn === outC * 16) return 4;
  if (firstIn === outC * 4) return 2;
  return 1;
}

function detectRrdb(tensors: KeyShapes, layout: RrdbLayout): DetectedFields {
  const { shapeOf, count } = reader(tensors);
  const esrgan = layout === "esrgan";
  const first = shapeOf(esrgan ? "model.0.weight" : "conv_first.weight", 4);
  const rdbConv = (b: number) =>
    esrgan ? `model.1.sub.${b}.RDB1.conv1.0.weight` : `body.${b}.rdb1.conv1.weight`;
  const blocks = count(rdbConv);
  if (blocks === 0) throw new Mismatch(`\`${rdbConv(0)}\` (the first dense block) is missing`);
  const grow = shapeOf(rdbConv(0), 4)[0] as number;
  let upsamples: number;
  let last: number[];
  if (esrgan) {
    // model.{3u+4} is conv_last: the highest top-level convolution tells the upsamplings.
    const top = [...tensors.keys()]
      .map((key) => /^model\.(\d+)\.weight$/.exec(key)?.[1])
      .filter((index): index is string => index !== undefined)
      .map(Number);
    const highest = Math.max(...top);
    if ((highest - 4) % 3 !== 0 || highest < 4) {
      throw new Mismatch(
        `its last layer is \`model.${highest}\`, which is not model.4, model.7, model.10 or model.13 (conv_last after 0-3 upsamplings)`,
      );
    }
    upsamples = (highest - 4) / 3;
    last = shapeOf(`model.${highest}.weight`, 4);
  } else {
    upsamples = count((u) => `conv_up${u}.weight`, 1);
    last = shapeOf("conv_last.weight", 4);
  }
  const outC = bounded("output channels", last[0] as number, LIMITS.channels);
  const unshuffle = unshuffleOf(first[1] as number, outC);
  const inC = bounded("input channels", (first[1] as number) / unshuffle ** 2, LIMITS.channels);
  const scale = 2 ** upsamples / unshuffle;
  if (![1, 2, 4, 8].includes(scale)) {
    throw new Mismatch(
      `${upsamples} upsampling(s) after a pixel-unshuffle by ${unshuffle} make scale ${scale}, not 1, 2, 4 or 8`,
    );
  }
  const config = {
    id: "",
    name: "",
    inChannels: inC,
    outChannels: outC,
    numFeat: bounded("num_feat", first[0] as number, LIMITS.features),
    numBlock: bounded("num_block", blocks, LIMITS.rrdbBlocks),
    numGrowCh: bounded("num_grow_ch", grow, LIMITS.features),
    scale,
    upsamples,
    layout,
  };
  const shape = rrdbShape(config);
  return {
    entry: { family: "rrdb", config },
    hyperparameters: {
      layout: esrgan ? "ESRGAN (model.N)" : "BasicSR",
      scale,
      inChannels: inC,
      outChannels: outC,
      numFeat: shape.feat,
      numBlock: blocks,
      numGrowCh: grow,
      upsamplings: upsamples,
      pixelUnshuffle: unshuffle,
    },
    notes:
      unshuffle > 1
        ? [
            `the input is pixel-unshuffled by ${unshuffle}: image sides must be multiples of ${unshuffle}`,
          ]
        : [],
  };
}

function detectSrvgg(tensors: KeyShapes): DetectedFields {
  const { shapeOf } = reader(tensors);
  const first = shapeOf("body.0.weight", 4);
  const convs = [...tensors.entries()]
    .filter(([key, t]) => /^body\.\d+\.weight$/.test(key) && t.shape.length === 4)
    .map(([key]) => Number(key.split(".")[1]));
  const highest = Math.max(...convs);
  if (highest < 2 || highest % 2 !== 0) {
    throw new Mismatch(`its last convolution is \`body.${highest}\`, expected body.{2*num_conv+2}`);
  }
  const inC = bounded("channels", first[1] as number, LIMITS.channels);
  const lastOut = shapeOf(`body.${highest}.weight`, 4)[0] as number;
  const scale = Math.round(Math.sqrt(lastOut / inC));
  if (scale < 1 || scale * scale * inC !== lastOut) {
    throw new Mismatch(
      `its last convolution gives ${lastOut} channels, not ${inC} x scale^2 for a whole scale`,
    );
  }
  const prelu = tensors.has("body.1.weight");
  const notes = prelu
    ? []
    : [
        "no PReLU slopes: the activation is ReLU or LeakyReLU(0.1), which weights cannot tell apart; ReLU was assumed (name the architecture with -lrelu to choose LeakyReLU)",
      ];
  const config = {
    id: "",
    name: "",
    inChannels: inC,
    outChannels: inC,
    numFeat: bounded("num_feat", first[0] as number, LIMITS.features),
    numConv: bounded("num_conv", (highest - 2) / 2, LIMITS.srvggConvs),
    upscale: bounded("scale", scale, 8),
    activation: prelu ? ("prelu" as const) : ("relu" as const),
  };
  return {
    entry: { family: "srvgg", config },
    hyperparameters: {
      scale,
      channels: inC,
      numFeat: config.numFeat,
      numConv: config.numConv,
      activation: prelu ? "PReLU" : "ReLU (assumed)",
    },
    notes,
  };
}

function detectUNet(tensors: KeyShapes): DetectedFields {
  const { shapeOf, count } = reader(tensors);
  const depth = bounded(
    "depth",
    count((k) => `enc${k}.0.weight`, 1),
    LIMITS.unetDepth,
  );
  const first = shapeOf("enc1.0.weight", 4);
  // BatchNorm sits at .1 (its weight is 1-D); without it the second convolution is .2.
  const batchNorm = tensors.has("enc1.1.weight") || !tensors.has("enc1.2.weight");
  const config = {
    depth,
    base: bounded("base width", first[0] as number, LIMITS.unetBase),
    inChannels: bounded("input channels", first[1] as number, LIMITS.channels),
    outChannels: bounded(
      "output channels",
      shapeOf("final_conv.weight", 4)[0] as number,
      LIMITS.channels,
    ),
    ...(batchNorm ? {} : { batchNorm: false }),
  };
  return {
    entry: { family: "unet", config },
    hyperparameters: { ...config, batchNorm: batchNorm ? "yes" : "no", inputSize: 256 },
    notes: ["the input size is fixed at 256x256 (the OCTA U-Net's contract)"],
  };
}

/**
 * SPAN as spandrel reads it: num_in_ch and feature_channels from conv_1's skip, scale and output
 * channels from the pixel-shuffle convolution (out x scale^2 channels, out tried as the input
 * channels, then 3, 4, 1), and no input normalisation when the file has the `no_norm` buffer.
 */
function detectSpan(tensors: KeyShapes): DetectedFields {
  const { shapeOf } = reader(tensors);
  const skip = shapeOf("conv_1.sk.weight", 4);
  const inC = bounded("input channels", skip[1] as number, LIMITS.channels);
  const feat = bounded("feature_channels", skip[0] as number, LIMITS.features);
  const shuffled = shapeOf("upsampler.0.weight", 4)[0] as number;
  const outC = [inC, 3, 4, 1].find(
    (c) => shuffled % c === 0 && Number.isInteger(Math.sqrt(shuffled / c)),
  );
  if (outC === undefined) {
    throw new Mismatch(
      `\`upsampler.0.weight\` gives ${shuffled} channels, which is not (1, 3, 4 or ${inC} channels) x scale^2`,
    );
  }
  const scale = bounded("scale", Math.sqrt(shuffled / outC), LIMITS.spanScale);
  const norm = !tensors.has("no_norm");
  if (norm && inC !== 3) {
    throw new Mismatch(
      `it normalises its input with a 3-channel RGB mean but takes ${inC} channel(s) (PyTorch cannot run it); a ${inC}-channel SPAN must be saved with norm=False (the \`no_norm\` buffer)`,
    );
  }
  const config = {
    id: "",
    name: "",
    inChannels: inC,
    outChannels: outC,
    numFeat: feat,
    upscale: scale,
    ...(norm ? {} : { norm: false }),
  };
  return {
    entry: { family: "span", config },
    hyperparameters: {
      scale,
      inChannels: inC,
      outChannels: outC,
      featureChannels: feat,
      normalisation: norm ? `(x - rgb_mean) * ${SPAN_IMG_RANGE}` : "none (no_norm)",
    },
    notes: norm
      ? [
          `the input normalisation is not stored in the weights: SPAN's defaults were assumed (rgb_mean ${SPAN_RGB_MEAN.join(", ")}, img_range ${SPAN_IMG_RANGE}), as spandrel does`,
        ]
      : [],
  };
}

interface DetectedFields {
  entry: ArchitectureConfig;
  hyperparameters: Record<string, number | string>;
  notes: string[];
}

/** Compares the file with what the configuration expects, key by key and shape by shape. */
function mismatches(tensors: KeyShapes, entry: ArchitectureConfig): string[] {
  const problems: string[] = [];
  const expected = new Set<string>();
  for (const spec of infoFor(entry).parameters) {
    expected.add(spec.name);
    const shape = tensors.get(spec.name)?.shape;
    if (!shape) {
      if (spec.required) problems.push(`\`${spec.name}\` is missing`);
    } else if (shape.join(",") !== spec.shape.join(",")) {
      problems.push(
        `\`${spec.name}\` has shape [${shape.join(", ")}] where [${spec.shape.join(", ")}] was expected`,
      );
    }
  }
  for (const key of tensors.keys()) {
    if (!expected.has(key)) problems.push(`\`${key}\` is not a known key`);
  }
  return problems;
}

function closestSignature(tensors: KeyShapes, family?: ArchitectureFamily) {
  const scored = SIGNATURES.filter((s) => !family || s.family === family).map((signature) => ({
    signature,
    score: [...tensors.keys()].filter((key) => signature.pattern.test(key)).length,
  }));
  scored.sort((a, b) => b.score - a.score);
  const best = scored[0];
  return best && best.score > 0 ? best.signature : null;
}

/**
 * Recognises the architecture of a state_dict (keys after the `module.` prefix is stripped).
 * With `family`, only that family is considered (an upload that names the family).
 */
export function detectArchitecture(
  tensors: KeyShapes,
  options: { family?: ArchitectureFamily } = {},
): Detection {
  const signature = closestSignature(tensors, options.family);
  if (!signature) {
    const sample = [...tensors.keys()].slice(0, 5).map((key) => `\`${key}\``);
    const families = options.family
      ? ARCHITECTURE_FAMILIES[options.family]
      : Object.values(ARCHITECTURE_FAMILIES).join(", ");
    const message = `no known architecture (${families}) uses keys like ${sample.join(", ") || "these"}`;
    return { ok: false, closest: options.family ?? null, problems: [message], message };
  }
  const familyName = ARCHITECTURE_FAMILIES[signature.family];
  let fields: DetectedFields;
  let problems: string[];
  try {
    fields =
      signature.family === "rrdb"
        ? detectRrdb(tensors, signature.layout ?? "basicsr")
        : signature.family === "srvgg"
          ? detectSrvgg(tensors)
          : signature.family === "span"
            ? detectSpan(tensors)
            : signature.family === "swinir"
              ? detectSwinir(tensors, (message) => new Mismatch(message))
              : detectUNet(tensors);
    problems = mismatches(tensors, fields.entry);
  } catch (error) {
    if (!(error instanceof Mismatch)) throw error;
    problems = [error.message];
    fields = undefined as never;
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join("; ");
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : "";
    return {
      ok: false,
      closest: signature.family,
      problems,
      message: `looks like ${familyName}, but ${shown}${more}`,
    };
  }
  const id = architectureId(fields.entry);
  const name = architectureName(fields.entry);
  const config = { ...fields.entry.config, id, name };
  const entry = { family: fields.entry.family, config } as ArchitectureConfig;
  return {
    ok: true,
    detected: {
      family: signature.family,
      id,
      name,
      config: entry,
      hyperparameters: fields.hyperparameters,
      parameterCount: parameterCount(infoFor(entry)),
      notes: fields.notes,
    },
  };
}
