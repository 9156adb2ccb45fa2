"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { useTeamId } from "~/components/team-context";
import { useTRPC } from "~/trpc/react";

/**
 * What a page of the current team works with: its messages and formats in the user's language,
 * the API with its cache, the router, and the team id that scopes every request.
 */
export function useTeamPage() {
  return {
    t: useTranslations(),
    format: useFormatter(),
    locale: useLocale(),
    trpc: useTRPC(),
    teamId: useTeamId(),
    queryClient: useQueryClient(),
    router: useRouter(),
  };
}
