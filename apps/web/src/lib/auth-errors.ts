/** Maps next-auth's sign-in error codes to message keys under `auth.errors`. */
export function signInErrorKey(code: string): "invalidCredentials" | "tooManyAttempts" | "network" {
  if (code === "TOO_MANY_ATTEMPTS") return "tooManyAttempts";
  if (code === "NETWORK") return "network";
  return "invalidCredentials";
}
