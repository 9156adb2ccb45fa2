import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isImmutableAnswer, markImmutable, validatedOnce } from "./immutable-answers";
import { serializeOutput } from "./output-serializer";

/** A schema that counts its runs (a transform runs once per parse). */
function countingSchema() {
  const runs = { count: 0 };
  const schema = z
    .object({ id: z.string(), at: z.date(), tags: z.array(z.string()) })
    .transform((value) => {
      runs.count++;
      return value;
    });
  return { schema, runs };
}

const answer = () => ({ id: "a", at: new Date(0), tags: ["x"] });

describe("validatedOnce", () => {
  it("validates an ordinary answer every time, and refuses an invalid one", () => {
    const { schema, runs } = countingSchema();
    const { parse } = validatedOnce(schema);
    const value = answer();
    expect(parse(value)).toStrictEqual(value);
    parse(value);
    expect(runs.count).toBe(2);
    expect(() => parse({ id: 1 })).toThrow();
  });

  it("validates an immutable answer once and hands out the same (immutable) parse again", () => {
    const { schema, runs } = countingSchema();
    const { parse } = validatedOnce(schema);
    const kept = markImmutable(answer());
    const parsed = parse(kept);
    expect(parse(kept)).toBe(parsed);
    expect(runs.count).toBe(1);
    expect(isImmutableAnswer(parsed)).toBe(true);
    expect(Object.isFrozen((parsed as { tags: string[] }).tags)).toBe(true);
    // An equal but distinct object is another answer.
    parse(markImmutable(answer()));
    expect(runs.count).toBe(2);
  });

  it("refuses an invalid immutable answer, every time", () => {
    const { parse } = validatedOnce(countingSchema().schema);
    const bad = markImmutable({ id: 1 });
    expect(() => parse(bad)).toThrow();
    expect(() => parse(bad)).toThrow();
  });
});

describe("serializeOutput of an immutable answer", () => {
  it("serialises it once, as superjson does", () => {
    const kept = markImmutable(answer());
    const serialized = serializeOutput(kept);
    expect(serializeOutput(kept)).toBe(serialized);
    expect(serialized).toStrictEqual(superjson.serialize(answer()));
    expect(serializeOutput(answer())).not.toBe(serialized);
  });
});
