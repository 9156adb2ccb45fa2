import { describe, expect, it } from "vitest";
import { resetEnvForTests } from "../env";
import { dummyHash, hashPassword, verifyPassword } from "./password";

describe("password hashing", () => {
  it("hashes with scrypt N=2^17 r=8 p=1 by default and verifies", async () => {
    // The suite runs at a lower cost (vitest.config.ts); the product's default is checked here.
    const saved = process.env.PASSWORD_SCRYPT_LOG_N;
    delete process.env.PASSWORD_SCRYPT_LOG_N;
    resetEnvForTests();
    try {
      const hash = await hashPassword("correct horse battery");
      expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(await verifyPassword("correct horse battery", hash)).toBe(true);
      expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    } finally {
      if (saved !== undefined) process.env.PASSWORD_SCRYPT_LOG_N = saved;
      resetEnvForTests();
    }
  });

  it("hashes new passwords at the configured cost; a hash keeps its own", async () => {
    const cheap = await hashPassword("secret words");
    expect(cheap).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword("secret words", cheap)).toBe(true);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hashPassword("same"), hashPassword("same")]);
    expect(a).not.toBe(b);
  });

  it("rejects malformed or absurd hashes without throwing", async () => {
    expect(await verifyPassword("x", "not-a-hash")).toBe(false);
    expect(await verifyPassword("x", "scrypt$1073741824$8$1$AAAA$AAAA")).toBe(false);
  });

  it("provides one dummy hash that never verifies a guess", async () => {
    const a = await dummyHash();
    expect(await dummyHash()).toBe(a);
    expect(await verifyPassword("", a)).toBe(false);
  });
});
