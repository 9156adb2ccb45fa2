import { describe, expect, it } from "vitest";
import { classificationScores, confusionMatrix, labelRank } from "./classification";

describe("classification scores", () => {
  const predictions = [
    { label: "cat", top: ["cat", "dog"] },
    { label: "cat", top: ["dog", "cat"] },
    { label: "dog", top: ["Dog ", "cat"] },
    { label: "dog", top: ["fox", "cat"] },
    { label: "fox", top: ["fox", "dog"] },
  ];

  it("computes top-1 and top-k accuracy by hand", () => {
    const s = classificationScores(predictions, 2);
    // top-1 right: 1st, 3rd (case and spaces ignored), 5th = 3/5; top-2 adds the 2nd = 4/5
    expect(s.top1).toBeCloseTo(3 / 5, 12);
    expect(s.topK).toBeCloseTo(4 / 5, 12);
    expect(s.images).toBe(5);
  });

  it("builds the confusion matrix: rows are references, columns predictions", () => {
    expect(confusionMatrix(predictions)).toEqual({
      labels: ["cat", "dog", "fox"],
      counts: [
        [1, 1, 0],
        [0, 1, 1],
        [0, 0, 1],
      ],
    });
  });

  it("adds a column for a label the model predicts but no folder has", () => {
    const m = confusionMatrix([{ label: "0", top: ["180"] }]);
    expect(m).toEqual({
      labels: ["0", "180"],
      counts: [
        [0, 1],
        [0, 0],
      ],
    });
    expect(labelRank("0", ["180"])).toBeNull();
  });
});
