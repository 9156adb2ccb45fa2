import { beforeAll, describe, expect, it } from "vitest";
import { callerFor } from "../test-caller";
import { makeUser, type TestUser } from "../test-helpers";
import { useTestStore } from "../test-hooks";

const t = useTestStore();
let user: TestUser;

beforeAll(async () => {
  user = await makeUser(t.db);
});

describe("weights.architectureFamilies", () => {
  it("documents every detected family with the hyperparameters and ranges accepted", async () => {
    const caller = await callerFor(t.db, user.id);
    const families = await caller.weights.architectureFamilies();
    expect(families.map((f) => f.family)).toEqual(
      expect.arrayContaining(["rrdb", "srvgg", "span", "unet"]),
    );
    const span = families.find((f) => f.family === "span");
    expect(span).toMatchObject({
      taskKind: "super_resolution",
      idPattern: expect.stringMatching(/^span-x/),
    });
    expect(span?.hyperparameters.find((h) => h.key === "scale")?.range).toEqual({ min: 1, max: 8 });
    expect(span?.hyperparameters.find((h) => h.key === "normalisation")?.values).toHaveLength(2);
    const unet = families.find((f) => f.family === "unet");
    expect(unet?.hyperparameters.find((h) => h.key === "batchNorm")?.values).toEqual(["yes", "no"]);
    expect(unet?.hyperparameters.find((h) => h.key === "depth")?.range).toEqual({ min: 1, max: 6 });

    const segmentation = await caller.weights.architectureFamilies({ taskKind: "segmentation" });
    expect(segmentation.map((f) => f.family)).toEqual(["unet"]);
  });
});
