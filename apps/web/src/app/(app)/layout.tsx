import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { AppNav } from "~/components/app-nav";
import { TeamProvider } from "~/components/team-context";
import { TeamGate } from "~/components/team-gate";
import { getSession } from "~/server/session";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const session = await getSession();
  if (!session?.user) redirect("/sign-in");
  const t = await getTranslations("app");
  const user = { name: session.user.name ?? "", email: session.user.email ?? "" };
  return (
    <TeamProvider>
      <div className="min-h-dvh md:grid md:grid-cols-[15rem_minmax(0,1fr)] print:block">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-background focus:px-3 focus:py-2 focus:shadow"
        >
          {t("skipToContent")}
        </a>
        <AppNav user={user} />
        <main
          id="main"
          className="mx-auto w-full min-w-0 max-w-6xl px-4 py-6 sm:px-6 lg:px-8 print:max-w-none print:p-0"
        >
          <TeamGate>{children}</TeamGate>
        </main>
      </div>
    </TeamProvider>
  );
}
