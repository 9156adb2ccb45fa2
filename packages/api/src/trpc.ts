import { getTRPCErrorFromUnknown, initTRPC, type TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { type AuthUser, type Context, membershipForRequest } from "./context";
import { isProduction } from "./env";
import { AppError, appErrorOf, forbidden, notFound, toTRPCError, unauthorized } from "./errors";
import { checkInputEnvelope, MalformedInputError } from "./http/input-envelope";
import { serializeOutput } from "./output-serializer";

export type TeamRole = "ADMIN" | "MEMBER";

export interface TeamAccess {
  id: string;
  name: string;
  isPersonal: boolean;
  role: TeamRole;
}

/** Every builder declares who may call it; the authorisation matrix test reads this. */
export type Access = "public" | "protected" | "team" | "teamAdmin" | "siteAdmin";
export interface Meta {
  access: Access;
}

/**
 * superjson, with every HTTP input's envelope checked first: superjson itself recurses without
 * bound on malformed annotations. Any error it still throws is the client's malformed input.
 */
const transformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize(value: unknown): unknown {
      try {
        checkInputEnvelope(value);
      } catch (error) {
        if (error instanceof MalformedInputError) {
          throw toTRPCError(new AppError("bad_request", error.message));
        }
        throw error;
      }
      try {
        return superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]);
      } catch {
        throw toTRPCError(
          new AppError(
            "bad_request",
            "Malformed request input: its superjson annotations do not fit its value.",
          ),
        );
      }
    },
  },
  // The same wire format as superjson, written faster for the plain data answers are.
  output: {
    serialize: serializeOutput,
    deserialize: (value: unknown) =>
      superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]),
  },
};

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer,
    isDev: !isProduction(),
    // Every error, whoever raised it, carries the stable code (`appCode`) clients key on; an
    // unexpected error's message may hold paths or SQL, so production answers a fixed one.
    errorFormatter({ shape, error }) {
      const production = isProduction();
      const app = appErrorOf(error);
      const zodError = error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null;
      const { stack: _stack, ...data } = shape.data;
      return {
        ...shape,
        message: !app.known && production ? "Internal server error." : shape.message,
        data: {
          ...(production ? data : shape.data),
          appCode: app.code,
          ...(app.details === undefined ? {} : { details: app.details }),
          zodError,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/**
 * AppErrors and store errors get the table's tRPC code for every procedure, HTTP or createCaller
 * alike. Unexpected errors are logged here, since their message never reaches the client.
 */
function mapErrors<R extends { ok: true } | { ok: false; error: TRPCError }>(
  result: R,
  path: string,
): R {
  if (!result.ok) {
    const mapped = toTRPCError(result.error);
    if (appErrorOf(mapped).code === "internal") {
      console.error(`[api] ${path} failed:`, result.error.cause ?? result.error);
    }
    if (mapped !== result.error) throw mapped;
  }
  return result;
}

const cleanErrors = t.middleware(async ({ next, path }) => mapErrors(await next(), path));

export const publicProcedure = t.procedure.meta({ access: "public" }).use(cleanErrors);

// Error mapping and the sign-in check in one middleware: every level of tRPC's middleware chain
// copies the call's options and context, a measurable share of a status poll (README
// "Performance"). Middlewares hand on only what they add (`ctx: { user }`); tRPC merges it.
export const protectedProcedure = t.procedure
  .meta({ access: "protected" })
  .use(async ({ ctx, next, path }) => {
    if (!ctx.user) throw toTRPCError(unauthorized());
    return mapErrors(await next({ ctx: { user: ctx.user as AuthUser } }), path);
  });

export const teamIdInput = z.object({ teamId: z.string().min(1).max(64) });

/**
 * Procedures on one team's data. Membership is checked on every call, so removing a member or
 * changing a role takes effect on the next request. A team the user is not in
 * answers NOT_FOUND: its existence is nobody else's business. The sign-in check, the membership
 * and error mapping are one middleware here (see protectedProcedure for why).
 */
export const teamProcedure = t.procedure
  .meta({ access: "team" })
  .input(teamIdInput)
  .use(async ({ ctx, input, next, path }) => {
    if (!ctx.user) throw toTRPCError(unauthorized());
    // Checked on every call so a removal or demotion takes effect at once (see
    // membershipForRequest for the cache's freshness rule). A store failure here is mapped
    // like one in the procedure.
    const team = await membershipForRequest(ctx, ctx.user.id, input.teamId).catch(
      (error: unknown) => {
        const failed = { ok: false as const, error: getTRPCErrorFromUnknown(error) };
        throw mapErrors(failed, path).error;
      },
    );
    if (!team) throw toTRPCError(notFound("Team not found."));
    return mapErrors(await next({ ctx: { user: ctx.user as AuthUser, team } }), path);
  });

export const teamAdminProcedure = teamProcedure
  .meta({ access: "teamAdmin" })
  .use(({ ctx, next }) => {
    if (ctx.team.role !== "ADMIN") {
      throw forbidden("Only team admins may do this.");
    }
    return next({ ctx: { team: { ...ctx.team, role: "ADMIN" as const } } });
  });

export const siteAdminProcedure = protectedProcedure
  .meta({ access: "siteAdmin" })
  .use(({ ctx, next }) => {
    if (!ctx.user.isSiteAdmin) {
      throw forbidden("Only site admins may do this.");
    }
    return next({ ctx });
  });
