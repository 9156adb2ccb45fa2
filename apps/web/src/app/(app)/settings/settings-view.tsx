"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { LocaleSwitcher } from "~/components/locale-switcher";
import { PageHeader } from "~/components/page-header";
import { ErrorState, Loading } from "~/components/query-state";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Table, TD, TH, THead, TR } from "~/components/ui/table";
import { errorMessage } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";

function ProfileCard() {
  const t = useTranslations();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const update = useMutation(
    trpc.account.updateProfile.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() }),
    }),
  );
  if (me.isPending) return <Loading />;
  if (me.error) return <ErrorState error={me.error} />;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("settings.profile")}</CardTitle>
        <CardDescription>{t("settings.profileHint")}</CardDescription>
      </CardHeader>
      <CardContent>
        <form
          className="grid gap-3 sm:max-w-md"
          onSubmit={(e) => {
            e.preventDefault();
            const name = String(new FormData(e.currentTarget).get("name") ?? "");
            update.mutate({ name });
          }}
        >
          <div className="grid gap-2">
            <Label htmlFor="profile-name">{t("auth.name")}</Label>
            <Input
              id="profile-name"
              name="name"
              defaultValue={me.data.name}
              required
              maxLength={100}
            />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="profile-email">{t("auth.email")}</Label>
            <Input id="profile-email" value={me.data.email} readOnly disabled />
          </div>
          {update.error ? (
            <Alert>{errorMessage(update.error, (k) => t(`common.${k}`))}</Alert>
          ) : null}
          {update.isSuccess ? <Alert variant="success">{t("common.saved")}</Alert> : null}
          <div>
            <Button type="submit" disabled={update.isPending}>
              {update.isPending ? t("common.saving") : t("common.save")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function PasswordCard() {
  const t = useTranslations();
  const trpc = useTRPC();
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      // Every session ends on a password change; go back to sign in with the new one.
      onSuccess: () => setTimeout(() => void signOut({ callbackUrl: "/sign-in" }), 1200),
    }),
  );
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("settings.password")}</CardTitle>
        <CardDescription>{t("settings.passwordHint")}</CardDescription>
      </CardHeader>
      <CardContent>
        <form
          className="grid gap-3 sm:max-w-md"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            change.mutate({
              currentPassword: String(form.get("currentPassword") ?? ""),
              newPassword: String(form.get("newPassword") ?? ""),
            });
          }}
        >
          <div className="grid gap-2">
            <Label htmlFor="current-password">{t("settings.currentPassword")}</Label>
            <Input
              id="current-password"
              name="currentPassword"
              type="password"
              autoComplete="current-password"
              required
            />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="new-password">{t("settings.newPassword")}</Label>
            <Input
              id="new-password"
              name="newPassword"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
            />
            <p className="text-xs text-muted-foreground">{t("auth.passwordHint")}</p>
          </div>
          {change.error ? (
            <Alert>{errorMessage(change.error, (k) => t(`common.${k}`))}</Alert>
          ) : null}
          {change.isSuccess ? (
            <Alert variant="success">{t("settings.passwordChanged")}</Alert>
          ) : null}
          <div>
            <Button type="submit" disabled={change.isPending || change.isSuccess}>
              {t("settings.changePassword")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function TokensCard() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.account.tokens.list.queryOptions());
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.account.tokens.list.queryKey() });
  const [created, setCreated] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const create = useMutation(
    trpc.account.tokens.create.mutationOptions({
      onSuccess: (data) => {
        setCreated(data.token);
        setCopied(false);
        void invalidate();
      },
    }),
  );
  const revoke = useMutation(
    trpc.account.tokens.revoke.mutationOptions({ onSuccess: () => void invalidate() }),
  );
  const date = (d: Date | null) =>
    d ? format.dateTime(d, { dateStyle: "medium", timeStyle: "short" }) : t("settings.never");

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("settings.tokens")}</CardTitle>
        <CardDescription>{t("settings.tokensHint")}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <form
          className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            const days = Number(form.get("days") || 0);
            create.mutate({
              name: String(form.get("name") ?? ""),
              expiresInDays: days > 0 ? days : null,
            });
            e.currentTarget.reset();
          }}
        >
          <div className="grid gap-2">
            <Label htmlFor="token-name">{t("settings.tokenName")}</Label>
            <Input id="token-name" name="name" required maxLength={100} />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="token-days">{t("settings.tokenExpires")}</Label>
            <Input
              id="token-days"
              name="days"
              type="number"
              min={1}
              max={3650}
              inputMode="numeric"
            />
          </div>
          <Button type="submit" disabled={create.isPending}>
            {t("settings.createToken")}
          </Button>
        </form>
        {create.error ? <Alert>{errorMessage(create.error, (k) => t(`common.${k}`))}</Alert> : null}
        {created ? (
          <Alert variant="success" className="grid gap-2">
            <span>{t("settings.tokenCreated")}</span>
            <div className="flex flex-wrap items-center gap-2">
              <code
                data-testid="new-token"
                className="break-all rounded bg-background px-2 py-1 font-mono text-xs"
              >
                {created}
              </code>
              <Button
                size="sm"
                variant="outline"
                onClick={() =>
                  void navigator.clipboard?.writeText(created).then(() => setCopied(true))
                }
              >
                {copied ? t("common.copied") : t("common.copy")}
              </Button>
            </div>
          </Alert>
        ) : null}
        {tokens.isPending ? (
          <Loading />
        ) : tokens.error ? (
          <ErrorState error={tokens.error} />
        ) : tokens.data.length === 0 ? (
          <p className="text-sm text-muted-foreground">{t("settings.noTokens")}</p>
        ) : (
          <Table>
            <THead>
              <tr>
                <TH>{t("common.name")}</TH>
                <TH>{t("settings.prefix")}</TH>
                <TH>{t("settings.lastUsed")}</TH>
                <TH>{t("settings.expires")}</TH>
                <TH>{t("settings.status")}</TH>
                <TH className="sr-only">{t("common.actions")}</TH>
              </tr>
            </THead>
            <tbody>
              {tokens.data.map((token) => (
                <TR key={token.id}>
                  <TD className="font-medium">{token.name}</TD>
                  <TD className="font-mono text-xs">{token.prefix}…</TD>
                  <TD>{date(token.lastUsedAt)}</TD>
                  <TD>{token.expiresAt ? date(token.expiresAt) : "—"}</TD>
                  <TD>
                    {token.revokedAt ? (
                      <Badge tone="danger">{t("settings.revoked")}</Badge>
                    ) : (
                      <Badge tone="success">{t("settings.active")}</Badge>
                    )}
                  </TD>
                  <TD className="text-right">
                    {token.revokedAt ? null : (
                      <Button
                        size="sm"
                        variant="outline"
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate({ tokenId: token.id })}
                      >
                        {t("settings.revoke")}
                      </Button>
                    )}
                  </TD>
                </TR>
              ))}
            </tbody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

export function SettingsView() {
  const t = useTranslations("settings");
  return (
    <>
      <PageHeader title={t("title")} />
      <div className="grid gap-4">
        <ProfileCard />
        <Card>
          <CardHeader>
            <CardTitle>{t("preferences")}</CardTitle>
          </CardHeader>
          <CardContent className="flex items-center gap-3">
            <span className="text-sm">{t("language")}</span>
            <LocaleSwitcher />
          </CardContent>
        </Card>
        <PasswordCard />
        <TokensCard />
      </div>
    </>
  );
}
