// Recognises the common dataset layouts in an unpacked archive: COCO (annotations JSON),
// Pascal VOC (Annotations/*.xml), YOLO (labels/*.txt + data.yaml), classification folders
// (<class>/<image>). Pure: it gets paths and the text of candidate annotation files.

export const DATASET_LAYOUTS = ["none", "classification", "yolo", "coco", "voc"] as const;
export type Layout = (typeof DATASET_LAYOUTS)[number];

export interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** YOLO boxes are fractions of the image size (centre converted to top-left); others pixels. */
  normalized: boolean;
}

export interface ImageAnnotation {
  label: string | null;
  boxes: Box[] | null;
  /**
   * COCO instance masks of the image's objects (polygon lists or RLE, as in the file): the
   * segmentation reference quality scores are computed against.
   */
  segmentations?: unknown[];
}

export interface LayoutResult {
  layout: Layout;
  annotations: Map<string, ImageAnnotation>;
  report: {
    layout: Layout;
    images: number;
    annotatedImages: number;
    classes: string[];
    annotationFiles: string[];
    unmatchedAnnotations: number;
    ignored: string[];
  };
}

const stem = (p: string) => (p.split("/").pop() ?? p).replace(/\.[^.]+$/, "");
const base = (p: string) => p.split("/").pop() ?? p;
const SPLIT_NAMES = new Set([
  "train",
  "val",
  "valid",
  "validation",
  "test",
  "images",
  "imgs",
  "data",
]);

function byBaseName(images: string[]) {
  const map = new Map<string, string>();
  for (const p of images) map.set(base(p).toLowerCase(), p);
  return map;
}

/** What a layout reader found: annotated images, the files it read, the classes they name. */
interface Found {
  annotations: Map<string, ImageAnnotation>;
  files: string[];
  classes: Set<string>;
  /** Annotations whose image is not in the archive. */
  unmatched: number;
}

const nothingFound = (): Found => ({
  annotations: new Map(),
  files: [],
  classes: new Set(),
  unmatched: 0,
});

function tryCoco(images: string[], texts: Map<string, string>): Found | null {
  const found = nothingFound();
  const lookup = byBaseName(images);
  for (const [file, text] of texts) {
    if (!file.toLowerCase().endsWith(".json")) continue;
    let doc: { images?: unknown; annotations?: unknown; categories?: unknown };
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    if (!Array.isArray(doc.images) || !Array.isArray(doc.annotations)) continue;
    found.files.push(file);
    const categories = new Map<number, string>();
    for (const c of Array.isArray(doc.categories) ? doc.categories : []) {
      if (c && typeof c.id === "number") categories.set(c.id, String(c.name ?? c.id));
    }
    const byId = new Map<number, string>();
    for (const img of doc.images as Array<{ id?: number; file_name?: string }>) {
      const path = img.file_name ? lookup.get(base(img.file_name).toLowerCase()) : undefined;
      if (path && typeof img.id === "number") byId.set(img.id, path);
      else found.unmatched++;
    }
    for (const a of doc.annotations as Array<{
      image_id?: number;
      bbox?: number[];
      category_id?: number;
      segmentation?: unknown;
    }>) {
      const path = typeof a.image_id === "number" ? byId.get(a.image_id) : undefined;
      if (!path || !Array.isArray(a.bbox) || a.bbox.length < 4) continue;
      const label = categories.get(a.category_id ?? -1) ?? String(a.category_id ?? "?");
      found.classes.add(label);
      const entry = found.annotations.get(path) ?? { label: null, boxes: [] };
      const [x, y, width, height] = a.bbox as [number, number, number, number];
      entry.boxes?.push({ label, x, y, width, height, normalized: false });
      const s = a.segmentation;
      const polygons = Array.isArray(s) && s.every((p) => Array.isArray(p));
      const rle = s !== null && typeof s === "object" && !Array.isArray(s) && "counts" in s;
      if (polygons || rle) entry.segmentations = [...(entry.segmentations ?? []), s];
      found.annotations.set(path, entry);
    }
  }
  return found.files.length ? found : null;
}

/** VOC files larger than this are skipped: real annotation files are a few KB. */
export const MAX_VOC_XML_CHARS = 1024 * 1024;

// indexOf instead of regular expressions: a lazy `\s*([^<]*?)\s*` pattern backtracks
// cubically on a missing closing tag, letting a 2 KB upload pin the CPU for seconds.
function tag(xml: string, name: string): string | null {
  const open = `<${name}>`;
  const start = xml.indexOf(open);
  if (start < 0) return null;
  const from = start + open.length;
  const end = xml.indexOf(`</${name}>`, from);
  if (end < 0) return null;
  const value = xml.slice(from, end);
  return value.includes("<") ? null : value.trim();
}

function objects(xml: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const start = xml.indexOf("<object>", at);
    if (start < 0) return out;
    const end = xml.indexOf("</object>", start + 8);
    if (end < 0) return out;
    out.push(xml.slice(start + 8, end));
    at = end + 9;
  }
}

function tryVoc(images: string[], texts: Map<string, string>): Found | null {
  const found = nothingFound();
  const lookup = byBaseName(images);
  for (const [file, text] of texts) {
    if (!file.toLowerCase().endsWith(".xml") || text.length > MAX_VOC_XML_CHARS) continue;
    if (!text.includes("<annotation")) continue;
    found.files.push(file);
    const filename = tag(text, "filename");
    const path =
      (filename && lookup.get(base(filename).toLowerCase())) ??
      images.find((p) => stem(p) === stem(file));
    if (!path) {
      found.unmatched++;
      continue;
    }
    const boxes: Box[] = [];
    for (const object of objects(text)) {
      const label = tag(object, "name") ?? "?";
      const [xmin, ymin, xmax, ymax] = ["xmin", "ymin", "xmax", "ymax"].map((k) =>
        Number(tag(object, k)),
      );
      if ([xmin, ymin, xmax, ymax].some((v) => !Number.isFinite(v))) continue;
      found.classes.add(label);
      boxes.push({
        label,
        x: xmin as number,
        y: ymin as number,
        width: (xmax as number) - (xmin as number),
        height: (ymax as number) - (ymin as number),
        normalized: false,
      });
    }
    found.annotations.set(path, { label: null, boxes });
  }
  return found.files.length ? found : null;
}

/** `names: [a, b]`, or `names:` followed by `  0: a` / `  - a` lines. */
export function yoloNames(yaml: string): string[] {
  const inline = /^names:\s*\[(.*)\]\s*$/m.exec(yaml);
  if (inline?.[1] !== undefined) {
    return inline[1]
      .split(",")
      .map((s) => s.trim().replace(/^['"]|['"]$/g, ""))
      .filter(Boolean);
  }
  const block = /^names:\s*\n((?:[ \t]+.*\n?)*)/m.exec(yaml);
  if (!block?.[1]) return [];
  return block[1]
    .split("\n")
    .map((line) => /^\s*(?:-|\d+\s*:)\s*(.+?)\s*$/.exec(line)?.[1]?.replace(/^['"]|['"]$/g, ""))
    .filter((s): s is string => Boolean(s));
}

function tryYolo(images: string[], texts: Map<string, string>): Found | null {
  const labelFiles = [...texts.keys()].filter(
    (f) => f.endsWith(".txt") && f.split("/").includes("labels"),
  );
  if (labelFiles.length === 0) return null;
  const yamlFile = [...texts.keys()].find((f) => /(^|\/)data\.ya?ml$/.test(f));
  const names = yamlFile ? yoloNames(texts.get(yamlFile) ?? "") : [];
  const annotations = new Map<string, ImageAnnotation>();
  const classes = new Set<string>();
  const byStem = new Map(
    images.map((p) => [p.replace(/(^|\/)images\//, "$1labels/").replace(/\.[^.]+$/, ""), p]),
  );
  const byPlainStem = new Map(images.map((p) => [stem(p), p]));
  let unmatched = 0;
  for (const file of labelFiles) {
    const path = byStem.get(file.replace(/\.txt$/, "")) ?? byPlainStem.get(stem(file));
    if (!path) {
      unmatched++;
      continue;
    }
    const boxes: Box[] = [];
    for (const line of (texts.get(file) ?? "").split("\n")) {
      const parts = line.trim().split(/\s+/).map(Number);
      if (parts.length < 5 || parts.some((v) => !Number.isFinite(v))) continue;
      const [cls, cx, cy, w, h] = parts as [number, number, number, number, number];
      const label = names[cls] ?? String(cls);
      classes.add(label);
      boxes.push({ label, x: cx - w / 2, y: cy - h / 2, width: w, height: h, normalized: true });
    }
    annotations.set(path, { label: null, boxes });
  }
  return {
    annotations,
    files: yamlFile ? [yamlFile, ...labelFiles] : labelFiles,
    classes,
    unmatched,
  };
}

function tryClassification(images: string[]): Found | null {
  const labels = images.map((p) => {
    const dirs = p.split("/").slice(0, -1);
    const last = dirs[dirs.length - 1];
    return last && !SPLIT_NAMES.has(last.toLowerCase()) ? last : null;
  });
  const distinct = new Set(labels.filter((l): l is string => l !== null));
  if (labels.some((l) => l === null) || distinct.size < 2) return null;
  const annotations = new Map<string, ImageAnnotation>();
  images.forEach((p, i) => {
    annotations.set(p, { label: labels[i] ?? null, boxes: null });
  });
  return { annotations, files: [] as string[], classes: distinct, unmatched: 0 };
}

/**
 * `images`: archive paths that hold images; `texts`: the text of every other small file
 * (candidates for annotations); `others`: every remaining path (reported as ignored).
 */
export function detectLayout(
  images: string[],
  texts: Map<string, string>,
  others: string[],
): LayoutResult {
  const attempts: Array<[Layout, Found | null]> = [
    ["coco", tryCoco(images, texts)],
    ["voc", tryVoc(images, texts)],
    ["yolo", tryYolo(images, texts)],
    ["classification", tryClassification(images)],
  ];
  const found = attempts.find(
    ([, r]) => r !== null && (r.annotations.size > 0 || r.files.length > 0),
  );
  const layout: Layout = found?.[0] ?? "none";
  const result = found?.[1] ?? null;
  const used = new Set(result?.files ?? []);
  const ignored = [...others, ...[...texts.keys()].filter((f) => !used.has(f))].sort();
  return {
    layout,
    annotations: result?.annotations ?? new Map(),
    report: {
      layout,
      images: images.length,
      annotatedImages: result?.annotations.size ?? 0,
      classes: [...(result?.classes ?? [])].sort(),
      annotationFiles: [...used].sort().slice(0, 100),
      unmatchedAnnotations: result?.unmatched ?? 0,
      ignored: ignored.slice(0, 200),
    },
  };
}
