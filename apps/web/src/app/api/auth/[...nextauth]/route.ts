import { authOptions } from "@studio/api/auth";
import { crossSiteResponse } from "@studio/api/http/guards";
import NextAuth from "next-auth";
import "~/env";

const handler = NextAuth(authOptions);

// next-auth checks its own CSRF token on sign-in, sign-out, the credentials callback and session
// updates; the origin check is the same guard every other state-changing route passes, so a
// page on another site (or another port of this host) cannot even reach those checks.
async function post(
  request: Request,
  context: { params: Promise<{ nextauth: string[] }> },
): Promise<Response> {
  return crossSiteResponse(request) ?? handler(request, context);
}

export { handler as GET, post as POST };
