import { describe, expect, it } from "vitest";
import { clDice, skeletonCounts } from "./cldice";
import { zhangSuenSkeleton } from "./skeleton";

/** Rows of "#"/"." as a mask. */
function grid(rows: string[]) {
  const height = rows.length;
  const width = (rows[0] as string).length;
  const data = rows.flatMap((r) => [...r].map((c) => (c === "#" ? 1 : 0)));
  return { width, height, data };
}
const show = (s: Uint8Array, width: number) =>
  Array.from({ length: s.length / width }, (_, y) =>
    [...s.subarray(y * width, (y + 1) * width)].map((v) => (v ? "#" : ".")).join(""),
  );

describe("Zhang-Suen skeleton", () => {
  it("leaves a one-pixel line as it is", () => {
    const line = grid(["........", ".######.", "........"]);
    expect(show(zhangSuenSkeleton(line.data, line.width, line.height), line.width)).toEqual([
      "........",
      ".######.",
      "........",
    ]);
  });

  it("thins a three-pixel bar to one pixel on its middle row", () => {
    const bar = grid(["..........", ".########.", ".########.", ".########.", ".........."]);
    const s = zhangSuenSkeleton(bar.data, bar.width, bar.height);
    const rows = show(s, bar.width);
    // As the textbook algorithm (a separate Python version of it) gives: the middle row, its
    // ends eaten by the subiterations' asymmetry.
    expect(rows).toEqual(["..........", "..........", "..#####...", "..........", ".........."]);
  });

  it("reduces a filled square to a small core, never to nothing", () => {
    const sq = grid([".......", ".#####.", ".#####.", ".#####.", ".#####.", ".#####.", "......."]);
    const s = zhangSuenSkeleton(sq.data, sq.width, sq.height);
    const n = s.reduce((a, v) => a + v, 0);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(3);
  });
});

describe("clDice", () => {
  it("is 1 for a perfect thin structure and 2/3 when half of a line is found", () => {
    const full = grid(["............", ".##########.", "............"]);
    const half = grid(["............", ".#####......", "............"]);
    expect(clDice(full.data, full.data, full.width, full.height)).toBe(1);
    // S(P) = 5 pixels, all inside L: Tprec = 1. S(L) = 10 pixels, 5 inside P: Tsens = 0.5.
    expect(skeletonCounts(half.data, full.data, full.width, full.height)).toEqual({
      predictedSkeletonInReference: 5,
      predictedSkeleton: 5,
      referenceSkeletonInPrediction: 5,
      referenceSkeleton: 10,
    });
    expect(clDice(half.data, full.data, full.width, full.height)).toBeCloseTo(2 / 3, 12);
  });

  it("sees a broken vessel where Dice barely does", () => {
    const ref = grid([
      "..............................",
      ".############################.",
      ".############################.",
      "..............................",
    ]);
    // The same vessel with a gap of 10 pixels in the middle.
    const gap = grid([
      "..............................",
      ".#########..........#########.",
      ".#########..........#########.",
      "..............................",
    ]);
    const c = clDice(gap.data, ref.data, ref.width, ref.height);
    expect(c).toBeLessThan(0.85);
    expect(c).toBeGreaterThan(0.5);
  });

  it("is 1 for two empty masks and 0 when a structure is missed entirely", () => {
    const empty = grid(["....", "...."]);
    const line = grid(["....", "####"]);
    expect(clDice(empty.data, empty.data, 4, 2)).toBe(1);
    expect(clDice(empty.data, line.data, 4, 2)).toBe(0);
  });
});
