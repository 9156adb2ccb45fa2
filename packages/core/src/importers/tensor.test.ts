import { describe, expect, it } from "vitest";
import { float16BitsToFloat32 } from "../onnx/float16";
import { halfToFloat, toFloat32 } from "./tensor";
import { floatToBfloat16, floatToHalf } from "./testing/half";

describe("half-precision conversion", () => {
  it("decodes all 65536 float16 patterns like the ONNX package's independent decoder", () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const ours = halfToFloat(bits);
      const theirs = float16BitsToFloat32(bits);
      const same = Number.isNaN(theirs) ? Number.isNaN(ours) : ours === theirs;
      const roundTrips = Number.isNaN(ours) || floatToHalf(ours) === bits;
      if (!same || !roundTrips) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });

  it("decodes bfloat16 as the upper half of a float32", () => {
    for (const value of [1, -2.5, 3.140625, 1e-20, -65536]) {
      const bits = floatToBfloat16(value);
      const data = Uint8Array.of(bits & 0xff, bits >> 8);
      expect(toFloat32({ dtype: "BF16", shape: [1], data })[0]).toBe(
        new Float32Array(new Uint32Array([bits << 16]).buffer)[0],
      );
    }
  });
});
