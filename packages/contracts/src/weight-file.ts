// What a weight file's first bytes say it is, and whether that is what an upload expects. The
// browser reads the head of the chosen file (File.slice) and the upload route the first chunk of
// the request body, both with this one function, so a PNG or a PyTorch checkpoint chosen as
// ONNX is refused before its bytes travel (browser) or are stored (server). Hand-written: no
// package identifies these model containers from a few kilobytes without loading them, and
// the checks are magic bytes plus a bounded walk of the ONNX protobuf's first fields.

/** How many leading bytes the check reads: enough for every rule below. */
export const WEIGHT_HEAD_BYTES = 4096;

/** What the head looks like. Only the first group are weight files. */
export const WEIGHT_FILE_KINDS = [
  "onnx",
  "pytorch_zip",
  "pytorch_pickle",
  "safetensors",
  "ncnn_param",
  "zip",
  "png",
  "jpeg",
  "gif",
  "webp",
  "gzip",
  "pdf",
  "html",
  "json",
  "text",
  "empty",
  "unknown",
] as const;
export type WeightFileKind = (typeof WEIGHT_FILE_KINDS)[number];

/**
 * What an upload slot takes: an ONNX model; a PyTorch or safetensors state_dict; the two files of
 * an NCNN pair (the browser zips them; the server receives that zip).
 */
export const WEIGHT_EXPECTATIONS = [
  "onnx",
  "state_dict",
  "ncnn_param",
  "ncnn_bin",
  "ncnn_zip",
] as const;
export type WeightExpectation = (typeof WEIGHT_EXPECTATIONS)[number];

/**
 * Kinds that are plainly something else: an NCNN .bin (raw numbers, no magic) is none of them,
 * so every recognised kind except "unknown".
 */
const NOT_RAW_WEIGHTS: ReadonlySet<WeightFileKind> = new Set(
  WEIGHT_FILE_KINDS.filter((kind) => kind !== "unknown"),
);

const ACCEPTED: Record<Exclude<WeightExpectation, "ncnn_bin">, ReadonlySet<WeightFileKind>> = {
  onnx: new Set(["onnx"]),
  // The importer finds the container itself (a .pth may be safetensors); a zip that is not
  // recognisably PyTorch's is left to it too.
  state_dict: new Set(["pytorch_zip", "pytorch_pickle", "safetensors", "zip"]),
  ncnn_param: new Set(["ncnn_param"]),
  ncnn_zip: new Set(["zip", "pytorch_zip"]),
};

export function acceptsWeightFile(expected: WeightExpectation, kind: WeightFileKind): boolean {
  if (expected === "ncnn_bin") return !NOT_RAW_WEIGHTS.has(kind);
  return ACCEPTED[expected].has(kind);
}

export type WeightHeadCheck =
  | { ok: true; found: WeightFileKind }
  | { ok: false; found: WeightFileKind; expected: WeightExpectation };

/**
 * Identifies `head` (the file's first bytes, at least WEIGHT_HEAD_BYTES or the whole file) and
 * says whether `expected` takes it. `size` is the whole file's, when known: it bounds lengths.
 */
export function checkWeightHead(
  head: Uint8Array,
  expected: WeightExpectation,
  size?: number,
): WeightHeadCheck {
  const found = identifyWeightHead(head, size);
  return acceptsWeightFile(expected, found) ? { ok: true, found } : { ok: false, found, expected };
}

const ascii = (bytes: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...bytes.subarray(from, Math.min(to, bytes.length)));

/** Legacy torch.save (before 1.6) pickles this number first: `\x80\x02\x8a\x0a` + 10 bytes. */
const LEGACY_TORCH_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8];

export function identifyWeightHead(head: Uint8Array, size?: number): WeightFileKind {
  if (head.length === 0) return "empty";
  const b = head;
  if (b[0] === 0x89 && ascii(b, 1, 4) === "PNG") return "png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (ascii(b, 0, 4) === "GIF8") return "gif";
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "webp";
  if (b[0] === 0x1f && b[1] === 0x8b) return "gzip";
  if (ascii(b, 0, 5) === "%PDF-") return "pdf";
  if (ascii(b, 0, 4) === "PK\u0003\u0004") return isTorchZip(b) ? "pytorch_zip" : "zip";
  if (ascii(b, 0, 4) === "PK\u0005\u0006") return "zip";
  // A pickle starts with PROTO (0x80) and its version; torch.save uses 2, newer pickles up to 5.
  if (b[0] === 0x80 && b.length > 1 && (b[1] as number) >= 2 && (b[1] as number) <= 5) {
    return "pytorch_pickle";
  }
  if (isSafetensors(b, size)) return "safetensors";
  if (/^7767517(?:\s|$)/.test(ascii(b, 0, 8))) return "ncnn_param";
  if (isText(b)) {
    const start = ascii(b, 0, 64).trimStart();
    if (start.startsWith("<")) return "html";
    if (start.startsWith("{") || start.startsWith("[")) return "json";
    return "text";
  }
  if (isOnnxModel(b, size)) return "onnx";
  return "unknown";
}

/** Whether the head starts with the pickled magic number of a legacy (pre-zip) torch.save. */
export function isLegacyTorchSave(head: Uint8Array): boolean {
  return LEGACY_TORCH_MAGIC.every((byte, i) => head[i] === byte);
}

/** torch.save's zip: the first entry is `<name>/data.pkl` (name from the file). */
function isTorchZip(b: Uint8Array): boolean {
  if (b.length < 30) return false;
  const nameLength = (b[26] as number) | ((b[27] as number) << 8);
  const name = ascii(b, 30, 30 + nameLength);
  return name === "data.pkl" || name.endsWith("/data.pkl");
}

/** safetensors: u64 little-endian header length, then a JSON object of that length. */
function isSafetensors(b: Uint8Array, size: number | undefined): boolean {
  if (b.length < 10 || b[8] !== 0x7b) return false;
  let length = 0;
  for (let i = 7; i >= 0; i--) length = length * 256 + (b[i] as number);
  // The format caps the header at 100 MB; the JSON holds at least "{}".
  if (length < 2 || length > 100_000_000) return false;
  return size === undefined || 8 + length <= size;
}

/** Printable ASCII or UTF-8 text with tabs and line breaks only. */
function isText(b: Uint8Array): boolean {
  for (const byte of b) {
    if (byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    if (byte < 0x20 || byte === 0x7f) return false;
  }
  return true;
}

/** ModelProto's fields (onnx.proto3): number -> wire type (0 varint, 2 length-delimited). */
const MODEL_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0], // ir_version
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [8, 2], // opset_import
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
  [26, 2], // configuration
]);
/** GraphProto's fields, all length-delimited: node, name, initializer, doc, inputs, outputs, ... */
const GRAPH_FIELDS: ReadonlySet<number> = new Set([1, 2, 5, 10, 11, 12, 13, 14, 15]);
const GRAPH_FIELD = 7;
const IR_VERSION_FIELD = 1;

/** A varint at `pos`: [value, next position], or null when the head ends inside it. */
function varint(b: Uint8Array, pos: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < b.length && i < pos + 10; i++) {
    const byte = b[i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  return null;
}

/**
 * Walks the ModelProto's top-level fields that lie in the head: every tag must be a ModelProto
 * field with its wire type, every length must fit in the file, the IR version must be
 * plausible, and the graph's first field must be a GraphProto field. Protobuf writers emit
 * fields in number order, so the graph (the bulk) starts within the first few hundred bytes.
 */
function isOnnxModel(b: Uint8Array, size: number | undefined): boolean {
  const total = size ?? Number.POSITIVE_INFINITY;
  const whole = size !== undefined && b.length >= size;
  let pos = 0;
  let fields = 0;
  let sawGraph = false;
  while (pos < b.length) {
    const tag = varint(b, pos);
    if (!tag) return !whole && fields > 0;
    const [key, afterTag] = tag;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (MODEL_FIELDS.get(field) !== wire) return false;
    const value = varint(b, afterTag);
    if (!value) return !whole && fields > 0;
    const [number, afterValue] = value;
    fields++;
    if (wire === 0) {
      if (field === IR_VERSION_FIELD && (number < 1 || number > 100)) return false;
      pos = afterValue;
      continue;
    }
    if (afterValue + number > total) return false;
    if (field === GRAPH_FIELD) {
      sawGraph = true;
      const inner = varint(b, afterValue);
      if (inner && number > 0) {
        const innerField = Math.floor(inner[0] / 8);
        if (inner[0] % 8 !== 2 || !GRAPH_FIELDS.has(innerField)) return false;
      }
    }
    pos = afterValue + number;
  }
  // The whole file was read: a model has a graph. A head that ends on a field boundary: so far so good.
  return whole ? sawGraph : fields > 0;
}

const KIND_WORDS: Record<WeightFileKind, string> = {
  onnx: "an ONNX model",
  pytorch_zip: "a PyTorch checkpoint (.pth/.pt, ZIP format)",
  pytorch_pickle: "a PyTorch checkpoint in the legacy pickle format",
  safetensors: "a safetensors file",
  ncnn_param: "an NCNN .param file",
  zip: "a ZIP archive",
  png: "a PNG image",
  jpeg: "a JPEG image",
  gif: "a GIF image",
  webp: "a WebP image",
  gzip: "a gzip-compressed file",
  pdf: "a PDF document",
  html: "an HTML or XML page",
  json: "a JSON document",
  text: "a text file",
  empty: "empty",
  unknown: "none of the known weight formats",
};

const EXPECTED_WORDS: Record<WeightExpectation, string> = {
  onnx: "an ONNX model (.onnx)",
  state_dict: "a PyTorch state_dict (.pth/.pt, ZIP or legacy pickle format) or a .safetensors file",
  ncnn_param: 'an NCNN .param file (text starting with "7767517")',
  ncnn_bin: "an NCNN .bin file (the raw weights that go with the .param)",
  ncnn_zip: "a ZIP archive with one NCNN .param and one .bin file",
};

const WEIGHT_KINDS: ReadonlySet<WeightFileKind> = new Set([
  "onnx",
  "pytorch_zip",
  "pytorch_pickle",
  "safetensors",
  "ncnn_param",
]);

/** Whether the kind is a weight format of its own (then the fix is to upload it as that format). */
export const isWeightFormat = (kind: WeightFileKind) => WEIGHT_KINDS.has(kind);

/** The refusal in English words (the server's message; the web app words it per kind). */
export function weightMismatchMessage(found: WeightFileKind, expected: WeightExpectation): string {
  const looks =
    found === "empty" ? "The file is empty" : `The file looks like ${KIND_WORDS[found]}`;
  const fix = isWeightFormat(found) ? " Upload it as that format instead." : "";
  return `${looks}; this upload takes ${EXPECTED_WORDS[expected]}.${fix}`;
}
