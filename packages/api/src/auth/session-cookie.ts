// The next-auth session of a request read from its cookie, for the API served outside Next.js
// (http/production-server.ts). It is what getServerSession(authOptions) gives the route handlers:
// next-auth's own cookie lookup (secure-prefixed name, chunked cookies) and JWT decryption, then
// the session callback of next-auth.ts (user id and session version). A decrypted cookie is
// remembered until it expires: its content cannot change (it is sealed with NEXTAUTH_SECRET),
// and whether it still counts (the session version against the user row) is checked on every
// request by createInnerContext.
import { parseCookie } from "cookie";
import { decode, getToken } from "next-auth/jwt";
import type { HeaderReader } from "../context";
import type { StudioSession } from "./next-auth";
import { resolveAuthSecret } from "./next-auth";

/** Sessions remembered per process: more than the signed-in browsers of one server. */
const MAX_REMEMBERED = 10_000;

interface RememberedSession {
  session: StudioSession;
  /** When the cookie's JWT expires (ms since the epoch). */
  expiresAt: number;
}

/** Keeps `entry` under `key`, dropping the oldest entry when the map is full. */
function remember(map: Map<string, RememberedSession>, key: string, entry: RememberedSession) {
  if (map.size >= MAX_REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, entry);
}

export function createSessionCookieReader() {
  const remembered = new Map<string, RememberedSession>();
  // A polling page sends the same Cookie header every time: its session is found without
  // parsing the header again (a measurable part of a status poll).
  const byHeader = new Map<string, RememberedSession>();
  return async function readSession(request: {
    headers: HeaderReader;
  }): Promise<StudioSession | null> {
    const secret = resolveAuthSecret();
    const header = request.headers.get("cookie");
    if (!header) return null;
    const seen = byHeader.get(header);
    if (seen) {
      if (seen.expiresAt > Date.now()) return seen.session;
      byHeader.delete(header);
    }
    // next-auth reads parsed cookies (as Next.js hands them over), not the header.
    const cookies = parseCookie(header) as Record<string, string>;
    const raw = await getToken({
      req: { cookies, headers: request.headers } as unknown as Parameters<
        typeof getToken
      >[0]["req"],
      secret,
      raw: true,
    });
    if (!raw) return null;
    const known = remembered.get(raw);
    if (known) {
      if (known.expiresAt > Date.now()) {
        remember(byHeader, header, known);
        return known.session;
      }
      remembered.delete(raw);
      return null;
    }
    // An undecryptable or expired cookie is no session (getServerSession answers null too).
    const token = await decode({ token: raw, secret: secret ?? "" }).catch(() => null);
    if (!token?.uid || typeof token.exp !== "number") return null;
    const session: StudioSession = { user: { id: token.uid, sessionVersion: token.sv ?? 0 } };
    const entry = { session, expiresAt: token.exp * 1000 };
    remember(remembered, raw, entry);
    remember(byHeader, header, entry);
    return session;
  };
}
