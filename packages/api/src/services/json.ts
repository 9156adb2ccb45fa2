/** Parses a JSON column written by us; a damaged value reads as `fallback` instead of throwing. */
export function parseJson<T = unknown>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
