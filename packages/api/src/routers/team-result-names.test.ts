// A team's result name pattern through the router: validated with a message that lists the
// tokens, set by admins only, read by every member, and "" returns to the default names.
import { describe, expect, it } from "vitest";
import { resultFileName } from "../http/files/download-names";
import { callerFor } from "../test-caller";
import { makeUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";

const t = useTestDb();

describe("result name pattern", () => {
  it("is set by admins, read by members, validated, and cleared with an empty pattern", async () => {
    const alice = await makeUser(t.db);
    const bob = await makeUser(t.db);
    const a = await callerFor(t.db, alice.id);
    const b = await callerFor(t.db, bob.id);
    const team = await a.teams.create({ name: "Lab" });
    await a.teams.invite({ teamId: team.id, email: bob.email });
    await b.auth.me();
    const teamId = team.id;

    expect(await b.teams.resultSettings({ teamId })).toEqual({
      keepGps: false,
      namePattern: null,
    });
    await expect(
      b.teams.setResultSettings({ teamId, namePattern: "{model}_{name}" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    // Changing the pattern keeps the GPS choice, and the other way round.
    await a.teams.setResultSettings({ teamId, keepGps: true });
    expect(await a.teams.setResultSettings({ teamId, namePattern: " {model}_{name} " })).toEqual({
      keepGps: true,
      namePattern: "{model}_{name}",
    });
    expect(await b.teams.resultSettings({ teamId })).toEqual({
      keepGps: true,
      namePattern: "{model}_{name}",
    });

    for (const [pattern, says] of [
      ["{model}_{size}_{name}", "Unknown token {size}"],
      ["{model}_{scale}", "must contain {name} or {index}"],
      ["out/{name}", "no / or \\"],
      ["{name}\\x", "no / or \\"],
      ["{name}_{", "does not belong to a token"],
      [`{name}${"a".repeat(200)}`, "at most 120 characters"],
    ] as const) {
      const error = await a.teams.setResultSettings({ teamId, namePattern: pattern }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code, pattern).toBe("BAD_REQUEST");
      expect(error?.message, pattern).toContain(says);
      if (says.startsWith("Unknown")) {
        expect(error?.message).toContain(
          "{name}, {suffix}, {output}, {scale}, {model}, {task}, {index}",
        );
      }
    }
    // Refused patterns changed nothing.
    expect((await a.teams.resultSettings({ teamId })).namePattern).toBe("{model}_{name}");

    expect(await a.teams.setResultSettings({ teamId, namePattern: "" })).toEqual({
      keepGps: true,
      namePattern: null,
    });
  });

  it("fills every token and keeps the default without a pattern", () => {
    const naming = { taskKind: "super_resolution", scale: 4, output: "result", ext: ".webp" };
    expect(resultFileName("motorcycle left.jpg", naming)).toBe("motorcycle left_x4.webp");
    expect(
      resultFileName(
        "page.tif",
        { taskKind: "segmentation", output: "probability", ext: ".png" },
        {
          pattern: "{task}-{index}-{name}{suffix}-{output}-{scale}-{model}",
          taskName: "Scans",
          weightName: "PP-OCRv4 det.onnx",
          index: 3,
        },
      ),
    ).toBe("Scans-3-page_probability-probability--pp-ocrv4-det.png");
    // A pattern stored before a rule changed falls back to the default names.
    expect(resultFileName("a.png", naming, { pattern: "{oops}" })).toBe("a_x4.webp");
  });
});
