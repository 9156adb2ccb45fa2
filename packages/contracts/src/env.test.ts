import { describe, expect, it } from "vitest";
import { z } from "zod";
import { booleanFlag, createEnv, sharedEnv } from "./env";

const shape = {
  NODE_ENV: sharedEnv.NODE_ENV,
  INFERENCE_URL: sharedEnv.INFERENCE_URL,
  PORT: z.coerce.number().int().max(65535).default(4010),
  ENABLED: booleanFlag().default(true),
};

describe("createEnv", () => {
  it("applies the defaults and treats an empty value as unset", () => {
    expect(createEnv("p", shape, { INFERENCE_URL: "", ENABLED: "off", OTHER: "x" })).toEqual({
      NODE_ENV: "development",
      INFERENCE_URL: "http://127.0.0.1:4010",
      PORT: 4010,
      ENABLED: false,
    });
  });

  it("names the process and every bad variable in one error", () => {
    const bad = () => createEnv("@studio/x", shape, { NODE_ENV: "staging", PORT: "70000" });
    expect(bad).toThrow(/^Invalid environment for @studio\/x:/);
    expect(bad).toThrow(/NODE_ENV/);
    expect(bad).toThrow(/PORT/);
  });
});
