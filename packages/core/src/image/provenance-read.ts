// `@studio/core/image/provenance-read`: finds the provenance a result file carries, from its bytes
// alone, without sharp, so the browser can read a result dropped on the New task page. Both
// places the product writes it are plain text inside the file: a PNG's uncompressed iTXt chunk,
// and the XMP packet of WebP, JPEG, AVIF and TIFF results (stored as it is in every one of those
// containers), so a byte search finds it without decoding the image.

/** The iTXt keyword (1..79 Latin-1 characters) that holds the provenance JSON in a PNG. */
export const PROVENANCE_KEYWORD = "vision-studio:provenance";

/** Version of the JSON's shape, for readers (a result dropped on the New task page). */
export const PROVENANCE_SCHEMA = 1;

/** XMP namespace of the provenance element (`vs:provenance`, the JSON as its text). */
export const PROVENANCE_XMP_NS = "https://vision-studio.dev/ns/provenance/1.0/";

export interface ResultProvenance {
  schema: typeof PROVENANCE_SCHEMA;
  product: { name: string; version: string };
  /** The compute pipeline's version (part of the parameter signature). */
  pipeline: string;
  taskKind: string;
  /** Which output of the run this file is: result, mask, probability, overlay, scores. */
  output: string;
  weight: { name: string | null; family?: string; version?: string; sha256: string };
  signature: string;
  /** The parameters after validation and defaults, as the signature covers them. */
  params: unknown;
  /** How the image was cut into tiles (null when it ran whole). */
  tiling: unknown;
  device: string;
  input: { sha256: string };
}

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function indexOf(bytes: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  outer: for (
    let i = bytes.indexOf(first as number, from);
    i >= 0;
    i = bytes.indexOf(first as number, i + 1)
  ) {
    if (i + needle.length > bytes.length) return -1;
    for (let k = 1; k < needle.length; k++) if (bytes[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** The JSON text parsed when it is a provenance of a schema this reader knows. */
export function parseProvenance(text: string): ResultProvenance | null {
  try {
    const value = JSON.parse(text) as ResultProvenance;
    return value?.schema === PROVENANCE_SCHEMA && typeof value.weight?.sha256 === "string"
      ? value
      : null;
  } catch {
    return null;
  }
}

/** `&lt;` and friends back to characters (the XMP writer escapes exactly these five). */
export function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => {
    const map: Record<string, string> = { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" };
    return map[name] as string;
  });
}

/** The provenance JSON inside an XMP packet's text, or null. */
export function provenanceFromXmp(xmp: string): ResultProvenance | null {
  const match = /<vs:provenance>([\s\S]*?)<\/vs:provenance>/.exec(xmp);
  return match ? parseProvenance(unescapeXml(match[1] as string)) : null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The provenance a PNG's iTXt chunk holds, walking the chunks up to the image data. */
function fromPng(bytes: Uint8Array): ResultProvenance | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keyword = ascii(`${PROVENANCE_KEYWORD}\0`);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length));
    if (type === "iTXt" && indexOf(data, keyword) === 0) {
      // keyword NUL, compression flag, method, language NUL, translated keyword NUL, text.
      if (data[keyword.length] !== 0) return null;
      let p = keyword.length + 2;
      p = data.indexOf(0, p) + 1;
      p = data.indexOf(0, p) + 1;
      return p > 0 ? parseProvenance(new TextDecoder().decode(data.subarray(p))) : null;
    }
    if (type === "IEND") break;
    at += 12 + length;
  }
  return null;
}

/** The provenance a result file carries (PNG iTXt or XMP), or null when it has none. */
export function findProvenance(bytes: Uint8Array): ResultProvenance | null {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const png = fromPng(bytes);
    if (png) return png;
  }
  const open = ascii("<vs:provenance>");
  const start = indexOf(bytes, open);
  if (start < 0) return null;
  const end = indexOf(bytes, ascii("</vs:provenance>"), start);
  if (end < 0) return null;
  return parseProvenance(
    unescapeXml(new TextDecoder().decode(bytes.subarray(start + open.length, end))),
  );
}
