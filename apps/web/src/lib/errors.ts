/**
 * Turns a tRPC or fetch error into words for the user. The server already sends safe,
 * plain messages (no stack traces); codes without a useful message get a translated one.
 */
export function errorMessage(
  error: unknown,
  t: (key: "notSignedIn" | "forbidden" | "notFound") => string,
): string {
  const e = error as { message?: string; data?: { code?: string } } | null;
  const code = e?.data?.code;
  if (code === "UNAUTHORIZED") return t("notSignedIn");
  if (code === "FORBIDDEN" && !e?.message) return t("forbidden");
  if (code === "NOT_FOUND" && !e?.message) return t("notFound");
  return e?.message || String(error);
}
