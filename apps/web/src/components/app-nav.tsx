"use client";

import {
  Boxes,
  FolderOpen,
  LayoutDashboard,
  ListChecks,
  LogOut,
  Menu,
  PlusCircle,
  Settings,
  UserRound,
  Users,
} from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useTranslations } from "next-intl";
import { Dialog as SheetPrimitive } from "radix-ui";
import { useState } from "react";
import { LocaleSwitcher } from "~/components/locale-switcher";
import { useTeam } from "~/components/team-context";
import { TeamSwitcher } from "~/components/team-switcher";
import { Button } from "~/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "~/components/ui/dropdown-menu";
import { routes } from "~/lib/routes";
import { cn } from "~/lib/utils";

const links = [
  { href: routes.dashboard, key: "dashboard", icon: LayoutDashboard },
  { href: (teamId: string) => routes.newTask(teamId), key: "newTask", icon: PlusCircle },
  { href: routes.tasks, key: "tasks", icon: ListChecks },
  { href: routes.datasets, key: "datasets", icon: FolderOpen },
  { href: routes.weights, key: "weights", icon: Boxes },
  { href: routes.team, key: "team", icon: Users },
  { href: routes.settings, key: "settings", icon: Settings },
] as const;

function isActive(pathname: string, href: string, tasksHref: string): boolean {
  if (href === tasksHref) {
    return pathname === href || (pathname.startsWith(`${href}/`) && pathname !== `${href}/new`);
  }
  return pathname === href || pathname.startsWith(`${href}/`);
}

/** The team the links point into; on a team the user cannot open, their personal one. */
function useNavTeamId(): string | null {
  const { team, teams } = useTeam();
  return (team ?? teams.find((item) => item.isPersonal) ?? teams[0])?.id ?? null;
}

function NavLinks({ onNavigate }: { onNavigate?: () => void }) {
  const t = useTranslations("nav");
  const pathname = usePathname();
  const teamId = useNavTeamId();
  if (!teamId) return null;
  return (
    <ul className="grid gap-1">
      {links.map(({ href: hrefFor, key, icon: Icon }) => {
        const href = hrefFor(teamId);
        const active = isActive(pathname, href, routes.tasks(teamId));
        return (
          <li key={key}>
            <Link
              href={href}
              onClick={onNavigate}
              aria-current={active ? "page" : undefined}
              className={cn(
                "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-muted-foreground transition-colors hover:bg-muted hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                active && "bg-muted text-foreground",
              )}
            >
              <Icon className="size-4" aria-hidden />
              {t(key)}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

function UserMenu({ user }: { user: { name: string; email: string } }) {
  const t = useTranslations("nav");
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" className="w-full justify-start gap-2 px-2" data-testid="user-menu">
          <UserRound aria-hidden />
          <span className="truncate">{user.name || user.email}</span>
          <span className="sr-only">{t("account")}</span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="w-56">
        <DropdownMenuLabel className="truncate">{user.email}</DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <Link href={routes.settings()}>
            <Settings className="size-4" aria-hidden />
            {t("settings")}
          </Link>
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={() => void signOut({ callbackUrl: "/sign-in?signedOut=1" })}>
          <LogOut className="size-4" aria-hidden />
          {t("signOut")}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

export function AppNav({ user }: { user: { name: string; email: string } }) {
  const t = useTranslations();
  const [open, setOpen] = useState(false);
  const navTeamId = useNavTeamId();
  // The nav renders beside the team gate, before the team is known.
  const home = navTeamId ? routes.dashboard(navTeamId) : "/";
  return (
    <>
      {/* Phones: a top bar with a slide-in menu. */}
      <header className="no-print sticky top-0 z-40 flex items-center justify-between border-b border-border bg-background/95 px-3 py-2 backdrop-blur md:hidden">
        <SheetPrimitive.Root open={open} onOpenChange={setOpen}>
          <SheetPrimitive.Trigger asChild>
            <Button variant="ghost" size="icon" aria-label={t("nav.openMenu")}>
              <Menu aria-hidden />
            </Button>
          </SheetPrimitive.Trigger>
          <SheetPrimitive.Portal>
            <SheetPrimitive.Overlay className="fixed inset-0 z-50 bg-black/40" />
            <SheetPrimitive.Content className="fixed inset-y-0 left-0 z-50 flex w-72 max-w-[85vw] flex-col gap-4 border-r border-border bg-background p-4 shadow-lg">
              <SheetPrimitive.Title className="px-3 text-base font-semibold">
                {t("app.name")}
              </SheetPrimitive.Title>
              <SheetPrimitive.Description className="sr-only">
                {t("nav.main")}
              </SheetPrimitive.Description>
              <TeamSwitcher />
              <nav aria-label={t("nav.main")} className="flex-1">
                <NavLinks onNavigate={() => setOpen(false)} />
              </nav>
              <UserMenu user={user} />
              <SheetPrimitive.Close asChild>
                <Button variant="outline">{t("nav.closeMenu")}</Button>
              </SheetPrimitive.Close>
            </SheetPrimitive.Content>
          </SheetPrimitive.Portal>
        </SheetPrimitive.Root>
        <Link href={home} className="text-sm font-semibold">
          {t("app.name")}
        </Link>
        <LocaleSwitcher />
      </header>

      {/* Desktop: a fixed sidebar. */}
      <aside className="no-print sticky top-0 hidden h-dvh min-w-0 flex-col gap-4 border-r border-border bg-muted/30 p-4 md:flex">
        <Link href={home} className="px-3 py-1 text-base font-semibold">
          {t("app.name")}
        </Link>
        <TeamSwitcher />
        <nav aria-label={t("nav.main")} className="flex-1 overflow-y-auto">
          <NavLinks />
        </nav>
        <div className="grid gap-1 border-t border-border pt-3">
          <LocaleSwitcher />
          <UserMenu user={user} />
        </div>
      </aside>
    </>
  );
}
