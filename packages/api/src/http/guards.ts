// The checks every HTTP entry point of the API applies before any work, in one place: the
// Next.js route handlers (apps/web/src/app/api/**) and createApiHandler (tests, benchmarks,
// token-only deployments) both go through these functions.
import type { Context } from "../context";
import { presentsApiToken } from "../context";
import { env } from "../env";
import { errorResponse, toErrorResponse } from "./files/responses";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** GET, HEAD and OPTIONS only read; every other method may change something. */
export const isStateChanging = (method: string) => !SAFE_METHODS.has(method.toUpperCase());

/**
 * The app's own origin: that of NEXTAUTH_URL, the public address users open. The request's
 * Host is not used: behind a proxy it names the internal address, and it is the client's word.
 */
export function appOrigin(): string {
  return new URL(env().NEXTAUTH_URL).origin;
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Why a state-changing request must be refused as cross-site, or null to let it through.
 * A browser attaches the session cookie to requests any other page makes, so such a request
 * must prove it comes from the app's own pages: by `Origin`, else by `Sec-Fetch-Site`, else
 * by `Referer` (OWASP CSRF cheat sheet, "verifying origin with standard headers" and "fetch
 * metadata"); with none of them it is refused. Browsers set all three themselves; a page
 * cannot forge them. Requests with an Authorization header are not judged by the cookie at
 * all (see presentsApiToken), so API-token clients are never refused here.
 */
export function crossSiteRefusal(request: Request, origin = appOrigin()): string | null {
  if (!isStateChanging(request.method) || presentsApiToken(request.headers)) return null;
  const accepted = `Changes are accepted only from this app's own pages at ${origin} (the address set in NEXTAUTH_URL), or with an API token.`;
  const sentOrigin = request.headers.get("origin");
  if (sentOrigin !== null) {
    if (sentOrigin === origin) return null;
    const from = sentOrigin === "null" ? "a page that hides its address" : sentOrigin;
    return `Refused: this request came from another site (${from}). ${accepted}`;
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) {
    if (site === "same-origin") return null;
    return `Refused: this request came from another site. ${accepted}`;
  }
  const referer = request.headers.get("referer");
  if (referer !== null && originOf(referer) === origin) return null;
  return `Refused: this request does not say which site it came from (no Origin, Sec-Fetch-Site or Referer header). ${accepted}`;
}

/** The 403 a file or auth route answers for a cross-site request, or null when it may pass. */
export function crossSiteResponse(request: Request): Response | null {
  const refusal = crossSiteRefusal(request);
  return refusal ? withSecurityHeaders(errorResponse("cross_site_request", refusal)) : null;
}

/**
 * Headers of every API response: nothing is sniffed into another type, rendered as a page with
 * active content, framed, or embedded by another site.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "same-origin",
};

export function withSecurityHeaders(response: Response): Response {
  try {
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) {
      response.headers.set(name, value);
    }
    return response;
  } catch {
    // Headers of a fetched Response are immutable: copy it.
    const copy = new Response(response.body, response);
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) copy.headers.set(name, value);
    return copy;
  }
}

/**
 * Runs a file route (upload or download) behind the cross-site check, resolving the caller
 * only for requests that pass it, and adds the API headers to whatever it answers.
 */
export async function serveFileRoute(
  request: Request,
  context: (request: Request) => Promise<Context>,
  route: (request: Request, ctx: Context) => Promise<Response>,
): Promise<Response> {
  const refused = crossSiteResponse(request);
  if (refused) return refused;
  let ctx: Context;
  try {
    ctx = await context(request);
  } catch (error) {
    // The store could not be asked who is calling (it is down): the same clean answer as a
    // route's own failure, never an unanswered request.
    return withSecurityHeaders(toErrorResponse(error));
  }
  return withSecurityHeaders(await route(request, ctx));
}
