// Official weights are grouped by purpose in the task form, each with one line on what it is
// good for in every language of the app.
import { readFileSync } from "node:fs";
import { OFFICIAL_MODELS } from "@studio/core/official/catalog";
import { describe, expect, it } from "vitest";
import { groupWeights, type OfficialPurposes, WEIGHT_GROUPS } from "./weight-groups";

const load = (locale: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../../../../messages/${locale}.json`, import.meta.url), "utf8"),
  );

const purposes: OfficialPurposes = Object.fromEntries(
  OFFICIAL_MODELS.map((m) => [m.onnx.sha256, { name: m.name, group: m.purpose.group }]),
);

describe("weight groups", () => {
  it("orders official weights by purpose, the team's own last, keeping the list order within a group", () => {
    const official = (name: string) => {
      const m = OFFICIAL_MODELS.find((x) => x.name === name);
      if (!m) throw new Error(`no official model ${name}`);
      return { id: name, isOfficial: true, sha256: m.onnx.sha256 };
    };
    const list = [
      { id: "mine", isOfficial: false, sha256: "0".repeat(64) },
      official("waifu2x-cunet-denoise3"),
      official("realcugan-se-x4"),
      official("realcugan-se-x2"),
      // the same bytes uploaded by a team are that team's weight
      { id: "copy", isOfficial: false, sha256: official("realcugan-se-x3").sha256 },
      official("waifu2x-cunet-x2"),
    ];
    expect(groupWeights(list, purposes).map(({ group, weight }) => [group, weight.id])).toEqual([
      ["upscale-x2", "realcugan-se-x2"],
      ["upscale-x2", "waifu2x-cunet-x2"],
      ["upscale-x4", "realcugan-se-x4"],
      ["denoise", "waifu2x-cunet-denoise3"],
      ["team", "mine"],
      ["team", "copy"],
    ]);
  });

  it("names every group and says what every official model is for, in every language", () => {
    for (const locale of ["en", "zh-CN"]) {
      const messages = load(locale).newTask;
      for (const group of WEIGHT_GROUPS) {
        expect([locale, group, typeof messages.weightGroups[group]]).toEqual([
          locale,
          group,
          "string",
        ]);
      }
      for (const model of OFFICIAL_MODELS) {
        const line = messages.weightPurposes[model.name] as string | undefined;
        expect([locale, model.name, typeof line]).toEqual([locale, model.name, "string"]);
        if (locale === "zh-CN")
          expect([model.name, /[\u4e00-\u9fff]{4}/.test(line ?? "")]).toEqual([model.name, true]);
      }
    }
  });
});
