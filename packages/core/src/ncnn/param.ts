// Parser for NCNN's text `.param` format:
//   7767517
//   <layer count> <blob count>
//   <type> <name> <bottom count> <top count> <bottoms...> <tops...> <key=value ...>
// A negative key -23300-N holds array param N as "count,v1,v2,...".

export const NCNN_MAGIC = "7767517";

export type ParamValue = number | number[];

export interface NcnnLayer {
  type: string;
  name: string;
  bottoms: string[];
  tops: string[];
  /** Param id -> scalar or array (arrays stored under their id N, not -23300-N). */
  params: Map<number, ParamValue>;
  /** 1-based line number in the .param file, for error messages. */
  line: number;
}

export interface NcnnParam {
  layers: NcnnLayer[];
  blobCount: number;
}

export class NcnnFormatError extends Error {
  override name = "NcnnFormatError";
}

function parseNumber(text: string, where: string): number {
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) {
    throw new NcnnFormatError(`${where}: "${text}" is not a number`);
  }
  return value;
}

export function parseNcnnParam(text: string): NcnnParam {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== NCNN_MAGIC) {
    throw new NcnnFormatError(
      `not an NCNN .param file: the first line must be the magic ${NCNN_MAGIC} (binary .param.bin files are not supported)`,
    );
  }
  const counts = (lines[1] ?? "").trim().split(/\s+/);
  if (counts.length !== 2)
    throw new NcnnFormatError(".param line 2 must be '<layer count> <blob count>'");
  const layerCount = parseNumber(counts[0] as string, ".param line 2");
  const blobCount = parseNumber(counts[1] as string, ".param line 2");
  const layers: NcnnLayer[] = [];
  for (let i = 2; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === "") continue;
    const line = i + 1;
    const fields = raw.split(/\s+/);
    const [type, name, bottomText, topText] = fields;
    const where = `.param line ${line} (${type ?? "?"} ${name ?? "?"})`;
    if (!type || !name || bottomText === undefined || topText === undefined) {
      throw new NcnnFormatError(`${where}: expected '<type> <name> <bottoms> <tops> ...'`);
    }
    const bottomCount = parseNumber(bottomText, where);
    const topCount = parseNumber(topText, where);
    const bottoms = fields.slice(4, 4 + bottomCount);
    const tops = fields.slice(4 + bottomCount, 4 + bottomCount + topCount);
    if (bottoms.length !== bottomCount || tops.length !== topCount) {
      throw new NcnnFormatError(`${where}: fewer blob names than the declared counts`);
    }
    const params = new Map<number, ParamValue>();
    for (const entry of fields.slice(4 + bottomCount + topCount)) {
      const eq = entry.indexOf("=");
      if (eq <= 0) throw new NcnnFormatError(`${where}: malformed param "${entry}"`);
      const key = parseNumber(entry.slice(0, eq), where);
      const valueText = entry.slice(eq + 1);
      if (key <= -23300) {
        const [countText, ...items] = valueText.split(",");
        const count = parseNumber(countText ?? "", where);
        if (items.length !== count) {
          throw new NcnnFormatError(
            `${where}: array param ${key} declares ${count} values, has ${items.length}`,
          );
        }
        params.set(
          -key - 23300,
          items.map((v) => parseNumber(v, where)),
        );
      } else {
        params.set(key, parseNumber(valueText, where));
      }
    }
    layers.push({ type, name, bottoms, tops, params, line });
  }
  if (layers.length !== layerCount) {
    throw new NcnnFormatError(`.param declares ${layerCount} layers but lists ${layers.length}`);
  }
  return { layers, blobCount };
}

/** Scalar param with a default. */
export function intParam(layer: NcnnLayer, id: number, fallback: number): number {
  const value = layer.params.get(id);
  if (value === undefined) return fallback;
  if (Array.isArray(value)) {
    throw new NcnnFormatError(`layer ${layer.name} (${layer.type}): param ${id} must be a scalar`);
  }
  return value;
}

export function arrayParam(layer: NcnnLayer, id: number): number[] {
  const value = layer.params.get(id);
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
