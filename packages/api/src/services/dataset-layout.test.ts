import { describe, expect, it } from "vitest";
import { detectLayout, MAX_VOC_XML_CHARS } from "./dataset-layout";

const voc = (body: string) => `<annotation><filename>a.jpg</filename>${body}</annotation>`;

describe("detectLayout VOC", () => {
  it("reads boxes and labels, trimming whitespace", () => {
    const xml = voc(
      "<object><name> cat </name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>22</ymax></bndbox></object>" +
        "<object><name>dog</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>",
    );
    const r = detectLayout(["imgs/a.jpg"], new Map([["Annotations/a.xml", xml]]), []);
    expect(r.layout).toBe("voc");
    expect(r.report.classes).toEqual(["cat", "dog"]);
    expect(r.annotations.get("imgs/a.jpg")?.boxes?.[0]).toMatchObject({
      label: "cat",
      x: 1,
      y: 2,
      width: 10,
      height: 20,
    });
  });

  it("handles a hostile file without a closing tag in linear time", () => {
    // Took ~12 s with the old lazy regex at 2.5 KB; the larger one here is 200 KB.
    const detect = (n: number) => {
      const hostile = `<annotation><filename>${" ".repeat(n)}x${" ".repeat(n)}`;
      const objectsOnly = `<annotation>${"<object>".repeat(n / 2)}`;
      let best = Number.POSITIVE_INFINITY;
      let layout = "";
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        layout = detectLayout(
          ["a.jpg"],
          new Map([
            ["a.xml", hostile],
            ["b.xml", objectsOnly],
          ]),
          [],
        ).layout;
        best = Math.min(best, performance.now() - started);
      }
      return { ms: best, layout };
    };
    // Linear: four times the input, about four times the time (quadratic would be sixteen),
    // measured against this machine's own time for the smaller input, not a fixed bound.
    const small = detect(25_000);
    const large = detect(100_000);
    expect(large.layout).toBe("voc");
    expect(large.ms).toBeLessThan(Math.max(10 * small.ms, 20));
  });

  it("skips XML files above the size cap", () => {
    const big = voc(" ".repeat(MAX_VOC_XML_CHARS));
    const r = detectLayout(["a.jpg"], new Map([["a.xml", big]]), []);
    expect(r.layout).toBe("none");
  });
});
