import { TRPCError } from "@trpc/server";

// Prisma error codes a client may hear about, in words that leak no SQL, table or column.
const PRISMA_CODES: Record<string, { code: TRPCError["code"]; message: string }> = {
  P2002: { code: "CONFLICT", message: "A record with these values already exists." },
  P2003: { code: "CONFLICT", message: "The record is still in use." },
  P2014: { code: "CONFLICT", message: "The record is still in use." },
  P2025: { code: "NOT_FOUND", message: "Not found." },
  P2034: { code: "CONFLICT", message: "The store was busy; try again." },
};

function isPrismaError(error: unknown): error is Error & { code?: string } {
  if (!(error instanceof Error)) return false;
  return error.name.startsWith("PrismaClient") || error.name === "DriverAdapterError";
}

/**
 * Turns store errors into clean tRPC errors. Anything else that is not already a TRPCError
 * becomes INTERNAL_SERVER_ERROR whose message the formatter hides in production.
 */
export function toClientError(error: unknown): TRPCError | null {
  const cause = error instanceof TRPCError ? (error.cause ?? error) : error;
  if (!isPrismaError(cause)) return null;
  const known = cause.code ? PRISMA_CODES[cause.code] : undefined;
  if (known) return new TRPCError({ code: known.code, message: known.message, cause });
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error.", cause });
}

/** Errors services throw; routers need not translate them. */
export const notFound = (what = "Not found.") =>
  new TRPCError({ code: "NOT_FOUND", message: what });
export const forbidden = (message = "You are not allowed to do this.") =>
  new TRPCError({ code: "FORBIDDEN", message });
export const badRequest = (message: string) => new TRPCError({ code: "BAD_REQUEST", message });
export const conflict = (message: string) => new TRPCError({ code: "CONFLICT", message });
export const tooManyRequests = (message: string) =>
  new TRPCError({ code: "TOO_MANY_REQUESTS", message });
