import { describe, expect, it } from "vitest";
import {
  fileStem,
  mainOutput,
  resultFileName,
  safeFileName,
  safeFolder,
  UniqueNames,
} from "./download-names";
import { contentDisposition } from "./responses";

describe("result file names", () => {
  it("say what the file is and never equal the original's", () => {
    const sr = { taskKind: "super_resolution", output: "result", ext: ".png" };
    expect(resultFileName("motorcycle_left.png", { ...sr, scale: 4 })).toBe(
      "motorcycle_left_x4.png",
    );
    expect(resultFileName("photo.jpeg", { ...sr, scale: 2 })).toBe("photo_x2.png");
    expect(resultFileName("photo.jpeg", { ...sr, scale: null })).toBe("photo_upscaled.png");
    const seg = { taskKind: "segmentation", ext: ".png" };
    expect(resultFileName("page.png", { ...seg, output: "mask" })).toBe("page_mask.png");
    expect(resultFileName("page.png", { ...seg, output: "probability" })).toBe(
      "page_probability.png",
    );
    expect(resultFileName("page.png", { ...seg, output: "overlay" })).toBe("page_overlay.png");
    expect(
      resultFileName("猫.webp", { taskKind: "classification", output: "scores", ext: ".json" }),
    ).toBe("猫_scores.json");
    // An original already named like a result still gets a different name.
    expect(resultFileName("a_x4.png", { ...sr, scale: 4 })).toBe("a_x4_x4.png");
    expect(fileStem(".png")).toBe(".png");
    expect(fileStem("archive.tar.gz")).toBe("archive.tar");
  });

  it("knows which output a segmentation item's main file is", () => {
    const meta = { probabilityPath: "results/t/0-p.png", overlayPath: "results/t/0-o.png" };
    expect(mainOutput("segmentation", "results/t/0.png", meta)).toBe("mask");
    expect(mainOutput("segmentation", "results/t/0-p.png", meta)).toBe("probability");
    expect(
      mainOutput("segmentation", "results/t/0-o.png", { overlayPath: "results/t/0-o.png" }),
    ).toBe("overlay");
  });
});

describe("zip entry names", () => {
  it("keep the dataset's folders, safely", () => {
    expect(safeFolder("cats/small/a.jpg")).toBe("cats/small/");
    expect(safeFolder("a.jpg")).toBe("");
    expect(safeFolder("../../etc/passwd")).toBe("etc/");
    expect(safeFolder("/abs//x/./y.png")).toBe("abs/x/");
    expect(safeFolder("win\\dir\\a.png")).toBe("win/dir/");
    expect(safeFolder("bad:na*me?/con/a.png")).toBe("bad_na_me_/_con/");
    expect(safeFileName('we"ird|name.png')).toBe("we_ird_name.png");
  });

  it("add a number to a name already taken, ignoring case", () => {
    const names = new UniqueNames();
    expect(names.claim("cats/a_x4.png")).toBe("cats/a_x4.png");
    expect(names.claim("cats/A_x4.png")).toBe("cats/A_x4 (2).png");
    expect(names.claim("cats/a_x4.png")).toBe("cats/a_x4 (3).png");
    expect(names.claim("dogs/a_x4.png")).toBe("dogs/a_x4.png");
    expect(names.claim("v1.2/noext")).toBe("v1.2/noext");
    expect(names.claim("v1.2/noext")).toBe("v1.2/noext (2)");
  });
});

describe("Content-Disposition", () => {
  it("has an ASCII fallback and the exact UTF-8 name (RFC 5987)", () => {
    // A plain ASCII name needs no filename*.
    expect(contentDisposition("cat_x4.png")).toBe(`attachment; filename="cat_x4.png"`);
    const chinese = contentDisposition("摩托车 左_x4.png", true);
    expect(chinese).toBe(
      `inline; filename="_ __x4.png"; filename*=UTF-8''%E6%91%A9%E6%89%98%E8%BD%A6%20%E5%B7%A6_x4.png`,
    );
    // Accents drop to their letters; quotes and "%" never reach the quoted form; ' ( ) * are
    // not attr-chars, so they are percent-encoded in filename*.
    expect(contentDisposition(`Café "1" 100%(b)*'.png`)).toBe(
      `attachment; filename="Cafe _1_ 100_(b)*'.png"; filename*=UTF-8''Caf%C3%A9%20%221%22%20100%25%28b%29%2A%27.png`,
    );
    // What a client decoding filename* gets back.
    const star = /filename\*=UTF-8''(.+)$/.exec(chinese)?.[1] ?? "";
    expect(decodeURIComponent(star)).toBe("摩托车 左_x4.png");
  });
});
