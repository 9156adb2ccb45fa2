// The PDF's typeface: Noto Sans SC (SIL Open Font License 1.1), as TrueType from the
// @expo-google-fonts/noto-sans-sc package, so a fresh install has it and no binary is committed.
// It covers Latin and Simplified Chinese in one face. PDFKit embeds only the glyphs a report
// uses (a subset), so a report carries tens of KB of font, not the file's 10 MB.

const FILES = {
  regular: "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
  bold: "@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf",
} as const;

export type FontName = keyof typeof FILES;

/** Where a face's file is on this machine (PDFKit reads it when a report first uses it). */
export function fontPath(name: FontName): string {
  // Node's resolver, reached through process.getBuiltinModule so that a bundler (Next.js compiles
  // this package into the web app) does not take the font for a module to bundle and fail on it.
  const { createRequire } = process.getBuiltinModule("node:module") as typeof import("node:module");
  return createRequire(import.meta.url).resolve(FILES[name]);
}
