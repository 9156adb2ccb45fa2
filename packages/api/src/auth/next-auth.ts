import type { NextAuthOptions } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import type { Db } from "../db";
import { env } from "../env";
import { authorize, SignInError } from "./authorize";
import { clientIpFromHeaders } from "./rate-limit";

// next-auth 4 is CommonJS: Next.js and vitest hand over its `default` export, Node's own ESM
// loader (tsx scripts such as the benchmarks) the whole module object.
const CredentialsProvider =
  (Credentials as unknown as { default?: typeof Credentials }).default ?? Credentials;

declare module "next-auth" {
  interface Session {
    user?: {
      id: string;
      name?: string | null;
      email?: string | null;
      image?: string | null;
      sessionVersion: number;
    };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    sv?: number;
  }
}

/** The shape of `getServerSession(authOptions)` that createTRPCContext reads. */
export interface StudioSession {
  user?: { id?: string; sessionVersion?: number } | null;
}

const SESSION_MAX_AGE_S = 7 * 24 * 3600;

export function resolveAuthSecret(): string | undefined {
  const { NEXTAUTH_SECRET, NODE_ENV } = env();
  if (!NEXTAUTH_SECRET && NODE_ENV === "production") {
    throw new Error("NEXTAUTH_SECRET must be set in production (the quick start generates one).");
  }
  return NEXTAUTH_SECRET;
}

/**
 * next-auth options: credentials sign-in, JWT sessions. The token carries the user id and the
 * session version; createTRPCContext compares the version with the store on every request,
 * so changing the password ends every older session.
 */
export function createAuthOptions(getDb: () => Db): NextAuthOptions {
  return {
    // A getter, read per request, so `next build` (NODE_ENV=production) can import this
    // module without the secret while a production server without one refuses to sign in.
    get secret() {
      return resolveAuthSecret();
    },
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          try {
            const user = await authorize(getDb(), credentials, {
              ip: clientIpFromHeaders(req?.headers),
            });
            return { id: user.id, email: user.email, name: user.name, sv: user.sessionVersion };
          } catch (error) {
            // null makes next-auth answer its generic CredentialsSignin; a thrown Error's
            // message becomes the `error` query parameter: only a back-off is told that way,
            // as `TOO_MANY_ATTEMPTS:<seconds to wait>`, the same for every email.
            if (error instanceof SignInError && error.code === "INVALID_CREDENTIALS") return null;
            if (error instanceof SignInError) {
              throw new Error(`${error.code}:${Math.ceil(error.retryAfterMs / 1000)}`);
            }
            throw error;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.uid = user.id;
          token.sv = (user as { sv?: number }).sv ?? 0;
        }
        return token;
      },
      session({ session, token }) {
        if (token.uid) {
          session.user = {
            id: token.uid,
            name: session.user?.name ?? null,
            email: session.user?.email ?? null,
            sessionVersion: token.sv ?? 0,
          };
        }
        return session;
      },
    },
  };
}
