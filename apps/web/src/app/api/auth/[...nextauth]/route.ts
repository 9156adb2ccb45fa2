import { authOptions } from "@studio/api/auth";
import NextAuth from "next-auth";
import "~/env";

const handler = NextAuth(authOptions);

export { handler as GET, handler as POST };
