import { hitRateLimit } from "../../auth/rate-limit";
import type { AuthUser, Context, CreateTRPCContextOptions } from "../../context";
import { createTRPCContext } from "../../context";
import { env } from "../../env";
import { AppError, badRequest, forbidden, notFound, unauthorized } from "../../errors";
import { formatBytes } from "../../storage/files";
import type { TeamAccess } from "../../trpc";

/**
 * The same authentication as tRPC (session cookie or bearer token) for a route handler:
 * `authenticateRequest(request, { db, getSession })`.
 */
export function authenticateRequest(
  request: Request,
  options: Omit<CreateTRPCContextOptions, "headers">,
): Promise<Context> {
  return createTRPCContext({ ...options, headers: request.headers });
}

export function requireUser(ctx: Context): AuthUser {
  if (!ctx.user) throw unauthorized();
  return ctx.user;
}

/** Membership re-read from the store, like teamProcedure; other teams are NOT_FOUND. */
export async function requireTeam(
  ctx: Context,
  teamId: string | null,
  admin = false,
): Promise<TeamAccess> {
  const user = requireUser(ctx);
  if (!teamId) throw badRequest("teamId is required.");
  const membership = await ctx.db.membership.findUnique({
    where: { userId_teamId: { userId: user.id, teamId } },
    select: { role: true, team: { select: { id: true, name: true, isPersonal: true } } },
  });
  if (!membership) throw notFound("Team not found.");
  const role = membership.role === "ADMIN" ? "ADMIN" : "MEMBER";
  if (admin && role !== "ADMIN") throw forbidden("Only team admins may do this.");
  return { ...membership.team, role };
}

/**
 * Per-user upload rate and stored-bytes quota, checked before a byte is received. Images,
 * archives and weights share both: every upload counts against the rate, and the quota
 * covers the images and weights the user uploaded.
 */
export async function checkUploadLimits(
  ctx: Context,
  user: AuthUser,
  incomingBytes: number | null,
) {
  const { UPLOADS_PER_MINUTE } = env();
  const rate = await hitRateLimit(ctx.db, `upload:${user.id}`, {
    limit: UPLOADS_PER_MINUTE,
    windowMs: 60_000,
  });
  if (!rate.allowed) {
    throw new AppError(
      "too_many_requests",
      `Too many uploads: the limit is ${UPLOADS_PER_MINUTE} per minute; try again in ${Math.ceil(rate.retryAfterMs / 1000)} s.`,
    );
  }
  await checkStorageQuota(ctx, user, incomingBytes ?? 0);
}

/**
 * The quota alone, for bytes known only once received (a body without Content-Length, or a
 * weight whose stored ONNX differs in size from the upload).
 */
export async function checkStorageQuota(ctx: Context, user: AuthUser, incomingBytes: number) {
  const { USER_QUOTA_BYTES } = env();
  const [images, weights] = await Promise.all([
    ctx.db.image.aggregate({ where: { uploadedById: user.id }, _sum: { sizeBytes: true } }),
    ctx.db.weight.aggregate({ where: { uploadedById: user.id }, _sum: { sizeBytes: true } }),
  ]);
  const total = (images._sum.sizeBytes ?? 0) + (weights._sum.sizeBytes ?? 0) + incomingBytes;
  if (total > USER_QUOTA_BYTES) {
    throw new AppError(
      "quota_exceeded",
      `Your images and weights would use ${formatBytes(total)}; the per-user storage quota is ${formatBytes(USER_QUOTA_BYTES)}. Delete some images or weights first.`,
    );
  }
}

/** Content-Length when the client sent one, so an oversized body is refused before reading it. */
export function declaredLength(request: Request): number | null {
  const value = request.headers.get("content-length");
  if (!value) return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
