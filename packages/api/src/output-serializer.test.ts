import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { serializeOutput } from "./output-serializer";

const at = (iso: string) => new Date(iso);

/** Answers of the shapes the API sends, and values only superjson's general walk handles. */
const plainAnswers: Record<string, unknown> = {
  "a task with items": {
    id: "t1",
    progress: 0.5,
    cancelRequested: false,
    error: null,
    createdAt: at("2026-12-03T08:00:00.000Z"),
    startedAt: null,
    params: { tile: "auto", tuning: { preset: "gentle", sharpen: 0.3 } },
    items: [
      { id: "i0", finishedAt: at("2026-12-03T08:00:01.250Z"), timings: { model: 12.5 } },
      { id: "i1", finishedAt: null, resultMeta: { top: [{ label: "cat", score: 0.9 }] } },
    ],
  },
  "keys with dots and backslashes": {
    "a.b": { "c\\d": at("2020-01-01T00:00:00.000Z"), list: [at("2021-01-01T00:00:00.000Z")] },
  },
  "empty containers and a bare array": [[], {}, "x", 0, -1.5, true],
  "no dates": { ok: true, count: 3, names: ["a", "b"] },
  "an object without a prototype": Object.assign(Object.create(null), { n: 1 }),
};

const generalValues: Record<string, unknown> = {
  "an undefined property": { a: undefined, b: 1 },
  "undefined in an array": [1, undefined],
  NaN: { n: Number.NaN },
  "-0": { n: -0 },
  Infinity: [Number.POSITIVE_INFINITY],
  "a Map": { m: new Map([["k", 1]]) },
  "a Set": { s: new Set([1]) },
  "a bigint": { b: 10n },
  "a Date at the root": at("2026-01-01T00:00:00.000Z"),
  "an invalid Date": { d: new Date(Number.NaN) },
  "a class instance": { u: new URL("https://example.com/") },
  "a regular expression": { r: /x/g },
};

describe("serializeOutput", () => {
  it.each(Object.entries(plainAnswers))("writes superjson's format for %s", (_name, value) => {
    const fast = serializeOutput(value);
    expect(fast).toStrictEqual(superjson.serialize(value));
    expect(superjson.deserialize(fast)).toStrictEqual(
      superjson.deserialize(superjson.serialize(value)),
    );
  });

  it.each(Object.entries(generalValues))("leaves %s to superjson", (_name, value) => {
    expect(serializeOutput(value)).toStrictEqual(superjson.serialize(value));
  });

  it("reads back an object shared by two fields as two equal values", () => {
    const when = at("2026-12-03T08:00:00.000Z");
    const weight = { id: "w", name: "x4" };
    const value = { a: weight, b: weight, createdAt: when, updatedAt: when };
    // superjson also records that the two are one object; the client gets equal copies instead.
    expect(superjson.deserialize(serializeOutput(value))).toStrictEqual(value);
  });
});
