"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { QueryTable } from "~/components/data-table";
import { Form, formText, MutationFeedback, SubmitButton, TextField } from "~/components/form";
import { LocaleSwitcher } from "~/components/locale-switcher";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { TD, TR } from "~/components/ui/table";
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
  if (me.isPending || me.error) return <QueryFallback query={me} />;
  return (
    <FormCard
      title={t("settings.profile")}
      description={t("settings.profileHint")}
      onValues={(form) => update.mutate({ name: formText(form, "name") })}
    >
      <TextField
        id="profile-name"
        name="name"
        label={t("auth.name")}
        defaultValue={me.data.name}
        required
        maxLength={100}
      />
      <TextField
        id="profile-email"
        label={t("auth.email")}
        value={me.data.email}
        readOnly
        disabled
      />
      <MutationFeedback
        error={update.error}
        success={update.isSuccess ? t("common.saved") : null}
      />
      <div>
        <SubmitButton pending={update.isPending} pendingLabel={t("common.saving")}>
          {t("common.save")}
        </SubmitButton>
      </div>
    </FormCard>
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
    <FormCard
      title={t("settings.password")}
      description={t("settings.passwordHint")}
      onValues={(form) =>
        change.mutate({
          currentPassword: formText(form, "currentPassword"),
          newPassword: formText(form, "newPassword"),
        })
      }
    >
      <TextField
        id="current-password"
        name="currentPassword"
        label={t("settings.currentPassword")}
        type="password"
        autoComplete="current-password"
        required
      />
      <TextField
        id="new-password"
        name="newPassword"
        label={t("settings.newPassword")}
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        hint={t("auth.passwordHint")}
      />
      <MutationFeedback
        error={change.error}
        success={change.isSuccess ? t("settings.passwordChanged") : null}
      />
      <div>
        <SubmitButton pending={change.isPending} disabled={change.isSuccess}>
          {t("settings.changePassword")}
        </SubmitButton>
      </div>
    </FormCard>
  );
}

/** A settings section that is one form: its fields, feedback and submit button go inside. */
function FormCard({
  title,
  description,
  onValues,
  children,
}: {
  title: React.ReactNode;
  description: React.ReactNode;
  onValues: (form: FormData) => void;
  children: React.ReactNode;
}) {
  return (
    <TitledCard title={title} description={description}>
      <Form className="grid gap-3 sm:max-w-md" onValues={onValues}>
        {children}
      </Form>
    </TitledCard>
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
    <TitledCard
      title={t("settings.tokens")}
      description={t("settings.tokensHint")}
      contentClassName="grid gap-4"
    >
      <Form
        className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-end"
        resetAfterSubmit
        onValues={(form) => {
          const days = Number(form.get("days") || 0);
          create.mutate({
            name: formText(form, "name"),
            expiresInDays: days > 0 ? days : null,
          });
        }}
      >
        <TextField
          id="token-name"
          name="name"
          label={t("settings.tokenName")}
          required
          maxLength={100}
        />
        <TextField
          id="token-days"
          name="days"
          label={t("settings.tokenExpires")}
          type="number"
          min={1}
          max={3650}
          inputMode="numeric"
        />
        <SubmitButton pending={create.isPending}>{t("settings.createToken")}</SubmitButton>
      </Form>
      <MutationFeedback error={create.error} />
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
      <QueryTable
        query={tokens}
        empty={<p className="text-sm text-muted-foreground">{t("settings.noTokens")}</p>}
        columns={[
          t("common.name"),
          { label: t("settings.prefix"), className: "hidden sm:table-cell" },
          { label: t("settings.lastUsed"), className: "hidden md:table-cell" },
          { label: t("settings.expires"), className: "hidden md:table-cell" },
          t("settings.status"),
        ]}
        actions
      >
        {(token) => (
          <TR key={token.id}>
            {/* On a phone the prefix sits under the name and the dates are left out, so the
                row's Revoke button stays on screen. */}
            <TD className="w-full max-w-0 sm:w-auto sm:max-w-none">
              <span className="block truncate font-medium">{token.name}</span>
              <span className="block font-mono text-xs text-muted-foreground sm:hidden">
                {token.prefix}…
              </span>
            </TD>
            <TD className="hidden font-mono text-xs sm:table-cell">{token.prefix}…</TD>
            <TD className="hidden md:table-cell">{date(token.lastUsedAt)}</TD>
            <TD className="hidden md:table-cell">
              {token.expiresAt ? date(token.expiresAt) : "—"}
            </TD>
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
        )}
      </QueryTable>
    </TitledCard>
  );
}

export function SettingsView() {
  const t = useTranslations("settings");
  return (
    <>
      <PageHeader title={t("title")} />
      <div className="grid gap-4">
        <ProfileCard />
        <TitledCard title={t("preferences")} contentClassName="flex items-center gap-3">
          <span className="text-sm">{t("language")}</span>
          <LocaleSwitcher />
        </TitledCard>
        <PasswordCard />
        <TokensCard />
      </div>
    </>
  );
}
