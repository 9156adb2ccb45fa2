// Walks every procedure of appRouter, so a procedure added later is covered without editing
// this file: each must declare its access level, have input and output schemas, refuse the
// anonymous caller (unless listed public), refuse members on admin procedures, and hide other
// teams behind NOT_FOUND.
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { createInnerContext } from "./context";
import { appRouter, createCaller } from "./index";
import { makeAdminAndMember, makeUser } from "./test-helpers";
import { useTestDb } from "./test-hooks";
import type { Access } from "./trpc";

/** Procedures anyone may call. Adding one here is a deliberate, reviewed decision. */
const PUBLIC = new Set(["auth.register", "system.health"]);

interface ProcedureLike {
  _def: { type: string; meta?: { access?: Access }; inputs: unknown[]; output?: unknown };
}
const procedures = Object.entries(
  (appRouter._def as unknown as { procedures: Record<string, ProcedureLike> }).procedures,
);

const t = useTestDb();
let teamId: string;
const callers: Record<
  "anon" | "member" | "outsider" | "admin",
  ReturnType<typeof createCaller>
> = {} as never;

beforeAll(async () => {
  const { admin, member, teamId: team } = await makeAdminAndMember(t.db);
  const outsider = await makeUser(t.db);
  teamId = team;
  const ctx = (userId: string | null) =>
    createInnerContext({ db: t.db, userId, via: userId ? "session" : null });
  callers.anon = createCaller(await ctx(null));
  callers.member = createCaller(await ctx(member.id));
  callers.outsider = createCaller(await ctx(outsider.id));
  callers.admin = createCaller(await ctx(admin.id));
});

async function codeOf(caller: ReturnType<typeof createCaller>, path: string, input: unknown) {
  // biome-ignore lint/suspicious/noExplicitAny: walking the caller proxy by path
  const fn = path.split(".").reduce<any>((node, key) => node[key], caller);
  try {
    await fn(input);
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("authorisation matrix", () => {
  it("finds the procedures", () => {
    expect(procedures.length).toBeGreaterThan(10);
  });

  it("keeps invitations to team admins", () => {
    const access = Object.fromEntries(procedures.map(([path, p]) => [path, p._def.meta?.access]));
    for (const path of [
      "teams.invite",
      "teams.addMember",
      "teams.invitations",
      "teams.revokeInvitation",
    ]) {
      expect(access[path], path).toBe("teamAdmin");
    }
  });

  it("lets every member of a team rename its tasks, not only admins", () => {
    const rename = procedures.find(([path]) => path === "tasks.rename");
    expect(rename?.[1]._def.meta?.access).toBe("team");
  });

  it("lets every member take an image out of a team dataset (the library keeps it)", () => {
    const remove = procedures.find(([path]) => path === "datasets.removeImages");
    expect(remove?.[1]._def.meta?.access).toBe("team");
  });

  it("keeps the INT8 check to team admins for team weights and site admins for official ones", async () => {
    // One procedure for both kinds of weight, so its access is "team" and the weight decides.
    const check = procedures.find(([path]) => path === "weights.checkInt8");
    expect(check?.[1]._def.meta?.access).toBe("team");
    const weight = (teamOf: string | null) =>
      t.db.weight.create({
        data: {
          teamId: teamOf,
          isOfficial: teamOf === null,
          taskKind: "super_resolution",
          name: "w",
          family: "int8-matrix",
          version: Math.random().toString(36).slice(2),
          sha256: "c".repeat(64),
          sizeBytes: 1,
          spec: "{}",
          status: "ready",
        },
        select: { id: true },
      });
    const own = await weight(teamId);
    const official = await weight(null);
    const checkInt8 = (who: keyof typeof callers, weightId: string) =>
      codeOf(callers[who], "weights.checkInt8", { teamId, weightId });
    expect(await checkInt8("member", own.id)).toBe("FORBIDDEN");
    expect(await checkInt8("admin", official.id)).toBe("FORBIDDEN");
    expect(await checkInt8("member", official.id)).toBe("FORBIDDEN");
    expect(await checkInt8("outsider", own.id)).toBe("NOT_FOUND");
    expect(await checkInt8("anon", own.id)).toBe("UNAUTHORIZED");
  });

  it.each(procedures)("%s declares access, input and output", (path, procedure) => {
    const access = procedure._def.meta?.access;
    expect(access, path).toBeDefined();
    expect(access === "public", `${path} is public but not in the PUBLIC list`).toBe(
      PUBLIC.has(path),
    );
    expect(procedure._def.inputs.length, `${path} has no .input()`).toBeGreaterThan(0);
    expect(procedure._def.output, `${path} has no .output()`).toBeDefined();
  });

  // Who is refused which procedures, and with what code.
  type Entry = (typeof procedures)[number];
  const notPublic = ([path]: Entry) => !PUBLIC.has(path);
  const accessIn =
    (...levels: string[]) =>
    ([, p]: Entry) =>
      levels.includes(p._def.meta?.access ?? "");
  const refusals = [
    ["refuses the anonymous caller", "anon", "UNAUTHORIZED", notPublic],
    ["refuses a team member who is not admin", "member", "FORBIDDEN", accessIn("teamAdmin")],
    ["hides a team from a non-member", "outsider", "NOT_FOUND", accessIn("team", "teamAdmin")],
    ["refuses a user who is not site admin", "admin", "FORBIDDEN", accessIn("siteAdmin")],
  ] as const;
  for (const [what, who, code, applies] of refusals) {
    it.each(procedures.filter(applies))(`%s ${what}`, async (path) => {
      expect(await codeOf(callers[who], path, { teamId })).toBe(code);
    });
  }
});
