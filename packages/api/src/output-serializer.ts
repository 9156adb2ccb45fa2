// The API's answers in superjson's wire format, fast. superjson walks every value of an answer
// with a general algorithm (class registry, custom transformers, referential equalities); on a
// tasks.get of ten items that was a third of the request's CPU (README "Performance"). Answers
// are zod-validated plain data: objects, arrays, strings, finite numbers, booleans, null and
// Dates. For exactly that, this writes the same format superjson.serialize writes (the JSON with
// each Date as its ISO string, and `meta.values` naming the Dates' paths), in one pass; anything
// else (undefined, NaN, a Map, a class instance, a Date at the root, ...) goes to superjson itself,
// so the client's superjson.deserialize reads every answer as before. Hand-written because
// superjson has no fast path for plain data; output-serializer.test.ts holds it to superjson's
// own output.
import superjson from "superjson";
import { rememberedForImmutable } from "./immutable-answers";

type SuperJSONResult = ReturnType<typeof superjson.serialize>;

/** Thrown inside the walk when a value needs superjson's general handling. */
const NOT_PLAIN = Symbol("not plain");

/** superjson's path escaping (pathstringifier.ts): backslashes and dots in keys. */
function escapeKey(key: string): string {
  return key.includes("\\") || key.includes(".")
    ? key.replace(/\\/g, "\\\\").replace(/\./g, "\\.")
    : key;
}

/** An immutable answer (immutable-answers.ts), handed out again unchanged, is serialised once. */
export const serializeOutput = rememberedForImmutable(serializePlainData);

function serializePlainData(value: unknown): SuperJSONResult {
  const dates: Record<string, ["Date"]> = {};
  let dateCount = 0;
  const path: string[] = [];

  function walk(v: unknown): unknown {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      // NaN, ±Infinity and -0 carry superjson annotations of their own.
      if (!Number.isFinite(v) || Object.is(v, -0)) throw NOT_PLAIN;
      return v;
    }
    if (typeof v !== "object") throw NOT_PLAIN;
    if (v instanceof Date) {
      if (path.length === 0 || Number.isNaN(v.getTime())) throw NOT_PLAIN;
      dates[path.join(".")] = ["Date"];
      dateCount++;
      return v.toISOString();
    }
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        path.push(String(i));
        out[i] = walk(v[i]);
        path.pop();
      }
      return out;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, unknown>)[key];
      // superjson annotates undefined properties and refuses these keys: its own handling.
      if (item === undefined || key === "__proto__" || key === "constructor" || key === "prototype")
        throw NOT_PLAIN;
      path.push(escapeKey(key));
      out[key] = walk(item);
      path.pop();
    }
    return out;
  }

  let json: unknown;
  try {
    json = walk(value);
  } catch (error) {
    if (error === NOT_PLAIN) return superjson.serialize(value);
    throw error;
  }
  return (dateCount > 0 ? { json, meta: { values: dates, v: 1 } } : { json }) as SuperJSONResult;
}
