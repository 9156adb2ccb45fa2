// Comparing computed numbers in tests. Free of vitest: this package's testing subpath is loaded
// by benches too.

/** The largest absolute difference between two equally long arrays (which it checks). */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return max;
}
