import { getDb } from "@studio/db/client";
import { createAuthOptions } from "./next-auth";

/** next-auth options for apps/web, on the process's shared store client. */
export const authOptions = createAuthOptions(getDb);

export { authorize, normalizeEmail, SignInError } from "./authorize";
export { createAuthOptions, resolveAuthSecret, type StudioSession } from "./next-auth";
export { hashPassword, verifyPassword } from "./password";
export { CLIENT_ADDRESS_HEADER, clientIpFromHeaders } from "./rate-limit";
export { createApiToken, listApiTokens, revokeApiToken, verifyApiToken } from "./tokens";
