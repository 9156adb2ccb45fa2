// The weights page labels each hyperparameter detection reports (import-report.tsx reads
// `weights.importReport.hyperparameter.<key>`); every key the architecture families document
// must have a label in every language, or the page shows the bare key.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ARCHITECTURE_FAMILY_DOCS } from "@studio/core/architectures/catalog";
import { describe, expect, it } from "vitest";

const MESSAGES = path.resolve(import.meta.dirname, "../apps/web/messages");

describe("hyperparameter labels", () => {
  it("exist in every language for every documented hyperparameter", () => {
    const keys = [
      ...new Set(ARCHITECTURE_FAMILY_DOCS.flatMap((f) => f.hyperparameters.map((h) => h.key))),
    ];
    // What detection reports besides the documented hyperparameters (RRDBNet, U-Net).
    keys.push("upsamplings", "pixelUnshuffle", "inputSize");
    const files = readdirSync(MESSAGES).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const messages = JSON.parse(readFileSync(path.join(MESSAGES, file), "utf8"));
      const labels = messages.weights?.importReport?.hyperparameter ?? {};
      const missing = keys.filter((key) => typeof labels[key] !== "string");
      expect([file, missing]).toEqual([file, []]);
    }
  });
});
