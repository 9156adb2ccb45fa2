import { cachedAuthLookup } from "./auth/auth-cache";
import type { StudioSession } from "./auth/next-auth";
import { clientIpFromHeaders } from "./auth/rate-limit";
import { verifyApiTokenCached } from "./auth/tokens";
import { type Db, getDb } from "./db";
import { getInferenceClient, type InferenceClient } from "./inference";

export type AuthVia = "session" | "token";

/** The signed-in user as re-read from the store for this request. */
export interface AuthUser {
  id: string;
  email: string;
  name: string;
  isSiteAdmin: boolean;
  sessionVersion: number;
}

export interface Context {
  db: Db;
  user: AuthUser | null;
  via: AuthVia | null;
  /** The API token behind this request, when via is "token". */
  tokenId: string | null;
  /** Client address from the proxy headers, for rate limits; null when unknown. */
  clientIp: string | null;
  /** The inference service (previews, weight validation, system status). */
  inference: InferenceClient;
  /**
   * Whether this request's user and memberships come through the auth cache (auth/auth-cache.ts):
   * true for HTTP requests, false for contexts built directly (server-side callers, tests), which
   * read the store every time.
   */
  cachedAuth: boolean;
}

export interface InnerContextOptions {
  db: Db;
  userId: string | null;
  via: AuthVia | null;
  tokenId?: string | null;
  /** When given (sessions), a user whose sessionVersion moved on is treated as signed out. */
  sessionVersion?: number;
  clientIp?: string | null;
  /** Defaults to the client configured by INFERENCE_URL / INFERENCE_TOKEN. */
  inference?: InferenceClient;
  /** The user row when this request already read it (token lookup joins it). */
  user?: AuthUser;
  /** Read the user and memberships through the auth cache (HTTP requests do). */
  cachedAuth?: boolean;
}

/**
 * The part of the context that does not depend on HTTP; tests build it directly for
 * createCaller. The user row is read on every request so a removed user, a demoted site
 * admin or a changed password takes effect at once.
 */
export async function createInnerContext(options: InnerContextOptions): Promise<Context> {
  const { db, userId, via } = options;
  const clientIp = options.clientIp ?? null;
  // Creating the client does no I/O; it only remembers the URL and token.
  const cachedAuth = options.cachedAuth ?? false;
  const base = { db, clientIp, inference: options.inference ?? getInferenceClient(), cachedAuth };
  const anonymous = (): Context => ({ ...base, user: null, via: null, tokenId: null });
  if (!userId || !via) return anonymous();
  const user =
    options.user?.id === userId
      ? options.user
      : cachedAuth
        ? await cachedAuthLookup(db, "user", userId, () => readAuthUser(db, userId))
        : await readAuthUser(db, userId);
  if (!user) return anonymous();
  if (options.sessionVersion !== undefined && options.sessionVersion !== user.sessionVersion) {
    return anonymous();
  }
  return { ...base, user, via, tokenId: options.tokenId ?? null };
}

/** The caller's membership of one team, as the team procedures check it. */
export interface TeamMembership {
  id: string;
  name: string;
  isPersonal: boolean;
  role: "ADMIN" | "MEMBER";
}

/**
 * Reads the user's membership of a team: one query on the unique (userId, teamId) index with
 * the team joined in, meant for teamProcedure (trpc.ts), which runs it on every team-scoped
 * call so that a removed member or a changed role takes effect at once. Null when not a member.
 */
export async function readTeamMembership(
  db: Db,
  userId: string,
  teamId: string,
): Promise<TeamMembership | null> {
  const [row] = await db.$queryRaw<Array<Omit<TeamMembership, "role"> & { role: string }>>`
    SELECT t."id", t."name", t."isPersonal", m."role"
    FROM "Membership" m
    JOIN "Team" t ON t."id" = m."teamId"
    WHERE m."userId" = ${userId} AND m."teamId" = ${teamId}`;
  if (!row) return null;
  return { ...row, role: row.role === "ADMIN" ? "ADMIN" : "MEMBER" };
}

/**
 * The caller's membership of a team as teamProcedure checks it on every call: through the auth
 * cache for HTTP requests (a change made by this process counts from its next request, one made
 * elsewhere within a second), straight from the store otherwise.
 */
export function membershipForRequest(ctx: Context, userId: string, teamId: string) {
  if (!ctx.cachedAuth) return readTeamMembership(ctx.db, userId, teamId);
  return cachedAuthLookup(ctx.db, "membership", `${userId}\n${teamId}`, () =>
    readTeamMembership(ctx.db, userId, teamId),
  );
}

/** The user row a request runs as: one primary-key read, every request (see createInnerContext). */
async function readAuthUser(db: Db, userId: string): Promise<AuthUser | null> {
  const [row] = await db.$queryRaw<AuthUser[]>`
    SELECT "id", "email", "name", "isSiteAdmin", "sessionVersion" FROM "User" WHERE "id" = ${userId}`;
  return row ?? null;
}

/** The request headers the context reads: a Web `Headers`, or the production lane's view of node's. */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface CreateTRPCContextOptions {
  headers: HeaderReader;
  /** The store; the process's shared client when omitted (the web app's route handlers). */
  db?: Db;
  inference?: InferenceClient;
  /** Reads the next-auth session of this request (for example `getServerSession(authOptions)`). */
  getSession: () => Promise<StudioSession | null>;
}

/**
 * Whether the request names its caller in an Authorization header. Such a request is judged by
 * that header alone, never by the session cookie, so a foreign page gains nothing from the
 * victim's cookie with it (and a browser sends it cross-origin only after a CORS preflight this
 * API never grants): the cross-site check of http/guards.ts skips it.
 */
export function presentsApiToken(headers: HeaderReader): boolean {
  return Boolean(headers.get("authorization"));
}

/** Resolves `Authorization: Bearer <api token>` or the request's next-auth session. */
export async function resolveAuth(options: CreateTRPCContextOptions): Promise<InnerContextOptions> {
  const { headers } = options;
  const db = options.db ?? getDb();
  const clientIp = clientIpFromHeaders(headers);
  const inference = options.inference;
  if (presentsApiToken(headers)) {
    const authorization = headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const verified = match?.[1] ? await verifyApiTokenCached(db, match[1]) : null;
    // A bad token must not fall back to a cookie: the caller asked to be someone specific.
    if (!verified) return { db, userId: null, via: null, clientIp, inference, cachedAuth: true };
    return {
      db,
      userId: verified.userId,
      via: "token",
      tokenId: verified.tokenId,
      user: verified.user,
      clientIp,
      inference,
      cachedAuth: true,
    };
  }
  const session = await options.getSession();
  const userId = session?.user?.id;
  if (!userId) return { db, userId: null, via: null, clientIp, inference, cachedAuth: true };
  return {
    db,
    userId,
    via: "session",
    sessionVersion: session.user?.sessionVersion ?? 0,
    clientIp,
    inference,
    cachedAuth: true,
  };
}

/** First address of X-Forwarded-For (set by the proxy in front of the app), else X-Real-IP. */
// The client address is trusted from forwarding headers only behind a proxy (TRUST_PROXY).
export { clientIpFromHeaders };

export async function createTRPCContext(options: CreateTRPCContextOptions): Promise<Context> {
  return createInnerContext(await resolveAuth(options));
}
