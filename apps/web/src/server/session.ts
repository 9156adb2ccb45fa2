import { authOptions } from "@studio/api/auth";
import { getServerSession } from "next-auth";

/** The next-auth session of the current request, or null when signed out. */
export function getSession() {
  return getServerSession(authOptions);
}
