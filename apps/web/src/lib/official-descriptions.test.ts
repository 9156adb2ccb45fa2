// Every official model of the catalog has its description in each of the app's languages, so a
// Chinese page never falls back to the catalog's English notice.
import { readFileSync } from "node:fs";
import { OFFICIAL_MODELS } from "@studio/core/official/catalog";
import { createTranslator } from "next-intl";
import { describe, expect, it } from "vitest";
import { weightDescription } from "./official-descriptions";

const load = (locale: string) =>
  JSON.parse(readFileSync(new URL(`../../messages/${locale}.json`, import.meta.url), "utf8"));

describe("official weight descriptions", () => {
  it("has one for every official model, in every language", () => {
    for (const locale of ["en", "zh-CN"]) {
      const descriptions = load(locale).weights.officialDescriptions as Record<string, string>;
      for (const model of OFFICIAL_MODELS) {
        expect([locale, model.name, typeof descriptions[model.name]]).toEqual([
          locale,
          model.name,
          "string",
        ]);
        if (locale === "zh-CN") {
          expect([model.name, /[\u4e00-\u9fff]{4}/.test(descriptions[model.name] ?? "")]).toEqual([
            model.name,
            true,
          ]);
        }
      }
    }
  });

  it("shows an official weight's by its model and any other weight's as its uploader wrote it", () => {
    const t = createTranslator({
      locale: "zh-CN",
      messages: load("zh-CN"),
      namespace: "weights.officialDescriptions",
    });
    const model = OFFICIAL_MODELS[0];
    if (!model) throw new Error("the catalog is empty");
    const ids = { [model.onnx.sha256]: model.name };
    const official = {
      isOfficial: true,
      sha256: model.onnx.sha256,
      description: model.license.notice,
    };
    expect(weightDescription(official, ids, t)).not.toBe(model.license.notice);
    expect(weightDescription(official, ids, t)).toBeTruthy();
    // The same bytes uploaded by a team are that team's weight, described in its own words.
    const own = { ...official, isOfficial: false, description: "Our fine-tune" };
    expect(weightDescription(own, ids, t)).toBe("Our fine-tune");
    expect(weightDescription({ ...own, description: "" }, ids, t)).toBeNull();
  });
});
