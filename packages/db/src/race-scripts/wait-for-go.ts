/**
 * Race scripts print "ready" once connected and start when the test writes a line to their
 * stdin, so every process starts competing at the same moment however slow its start-up was.
 */
export async function waitForGo(): Promise<void> {
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    process.stdin.once("data", () => resolve());
  });
  process.stdin.pause();
}
