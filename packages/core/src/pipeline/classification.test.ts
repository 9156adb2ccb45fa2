import { readFileSync } from "node:fs";
import { fixturePath } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { buildClassifierModel } from "../onnx/testing-models";
import type { ClassificationSpec } from "../spec/index";
import { runClassification } from "./classification";
import { prepareFromBytes } from "./testing";

describe("runClassification", () => {
  it("calls the scores of a graph that ends in Softmax probabilities, not logits", async () => {
    const built = buildClassifierModel({ classes: 3, size: 32, softmax: true, seed: 5 });
    const model = await prepareFromBytes<ClassificationSpec>(built.bytes, {
      kind: "classification",
      size: { mode: "fixed", width: 32, height: 32 },
      activation: "none",
      labels: ["up", "left", "down"],
    });
    const res = await runClassification({
      model,
      input: readFileSync(fixturePath("chelsea.png")),
      params: { topK: 3 },
    });
    expect(res.scoreKind).toBe("softmax");
    expect(res.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it("returns softmax top-k with labels, or the raw logits", async () => {
    const built = buildClassifierModel({ classes: 4, size: 32, softmax: false, seed: 11 });
    const model = await prepareFromBytes<ClassificationSpec>(built.bytes, {
      kind: "classification",
      size: { mode: "fixed", width: 32, height: 32 },
      activation: "softmax",
      labels: ["cat", "dog", "car", "tree"],
    });
    const input = readFileSync(fixturePath("chelsea.png"));
    const res = await runClassification({ model, input, params: { topK: 2 } });
    expect(res.top).toHaveLength(2);
    expect(res.scoreKind).toBe("softmax");
    expect(res.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(res.top[0]?.score).toBeGreaterThanOrEqual(res.top[1]?.score ?? 1);
    expect(["cat", "dog", "car", "tree"]).toContain(res.top[0]?.label);

    const logits = await runClassification({
      model,
      input,
      params: { topK: 4, applyActivation: false },
    });
    expect(logits.scoreKind).toBe("logits");
    expect(logits.signature).not.toBe(res.signature);
    const exp = logits.scores.map((v) => Math.exp(v));
    const sum = exp.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 4; i++) expect((exp[i] ?? 0) / sum).toBeCloseTo(res.scores[i] ?? -1, 6);
    // The order of the full ranking follows the scores.
    expect(logits.top.map((t) => t.index)).toEqual(
      [0, 1, 2, 3].sort((a, b) => (logits.scores[b] ?? 0) - (logits.scores[a] ?? 0)),
    );

    // The tensor is the bilinear 32x32 resize of the image; check against a bare session on a 32x32 input.
    const session = await ort.InferenceSession.create(built.bytes);
    const tiny = new Float32Array(3 * 32 * 32).fill(0.5);
    const direct = await session.run({ input: new ort.Tensor("float32", tiny, [1, 3, 32, 32]) });
    const flat = await runClassification({
      model,
      input: {
        width: 32,
        height: 32,
        channels: 3,
        depth: 8,
        data: new Uint8Array(32 * 32 * 3).fill(127.5),
      },
      params: { applyActivation: false, topK: 4 },
    });
    const d = direct.output?.data as Float32Array;
    for (let i = 0; i < 4; i++) expect(flat.scores[i]).toBeCloseTo(d[i] as number, 1);
    await session.release();

    const cropped = await runClassification({
      model,
      input,
      region: { x: 100, y: 50, width: 64, height: 64 },
    });
    expect(cropped.scores).not.toEqual(res.scores);
  });
});
