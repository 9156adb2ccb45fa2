import { z } from "zod";

// Runs before any page code. Zod decides whether to compile parsers with `new Function` when
// an object schema is built, and shared packages build theirs as soon as they are imported.
// The pages' content security policy forbids eval, so the probe only produces a policy
// violation report; parsing without compiled parsers gives the same results.
z.config({ jitless: true });
