// The error a test expects a call to fail with, for tests that go on to check its code and
// message. Free of vitest: this package's testing subpath is loaded by benches too.

/**
 * What `run` rejects (or throws) with, which must be an `ErrorClass`: any other error is thrown
 * on, and a run that succeeds fails the test.
 */
export async function rejectionOf<E extends Error>(
  ErrorClass: abstract new (...args: never[]) => E,
  run: () => Promise<unknown>,
): Promise<E> {
  const failure = await Promise.resolve()
    .then(run)
    .then(
      () => {
        throw new Error(`expected a ${ErrorClass.name}, but the call succeeded`);
      },
      (error: unknown) => ({ error }),
    );
  if (failure.error instanceof ErrorClass) return failure.error;
  throw failure.error;
}
