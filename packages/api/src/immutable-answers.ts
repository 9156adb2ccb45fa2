// Answers the API hands out again, unchanged, while the store says they are current (task polls
// keep recent answers by version: services/kept-answers.ts). Such an answer is marked immutable:
// deep-frozen, so nothing downstream can change it after its output validation and serialisation
// were done, and both are then remembered by the object's identity. Every answer sent is still
// one that passed the procedure's output schema; an identical answer object passes it once. On a
// polled task page that is what a poll costs beyond the version read (README "Performance").
import type { z } from "zod";

const immutableAnswers = new WeakSet<object>();

function deepFreeze(value: unknown) {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
}

/** Freezes `answer` all the way down and records it as safe to remember results for. */
export function markImmutable<T extends object>(answer: T): T {
  deepFreeze(answer);
  immutableAnswers.add(answer);
  return answer;
}

export function isImmutableAnswer(value: unknown): value is object {
  return typeof value === "object" && value !== null && immutableAnswers.has(value);
}

/**
 * `compute(answer)`, remembered by the answer's identity when the answer is immutable (a result
 * that is an object is then marked immutable too); computed every time for any other answer.
 */
export function rememberedForImmutable<Result extends object | string>(
  compute: (answer: unknown) => Result,
): (answer: unknown) => Result {
  const results = new WeakMap<object, Result>();
  return (answer) => {
    if (!isImmutableAnswer(answer)) return compute(answer);
    let result = results.get(answer);
    if (result === undefined) {
      result = compute(answer);
      if (typeof result === "object") markImmutable(result);
      results.set(answer, result);
    }
    return result;
  };
}

/**
 * `schema.parse` as a procedure's output parser: an immutable answer object is validated once
 * and its (likewise immutable) parse handed out again; other answers are parsed every time.
 */
export function validatedOnce<Schema extends z.ZodType<object>>(schema: Schema) {
  const parse = rememberedForImmutable((answer): z.output<Schema> => schema.parse(answer));
  // `_input` and `_output` exist only as types, as on a zod schema itself: tRPC reads from them
  // what the resolver may return (the schema's input) and what the caller gets (its output).
  return { parse } as { parse: typeof parse; _input: z.input<Schema>; _output: z.output<Schema> };
}
