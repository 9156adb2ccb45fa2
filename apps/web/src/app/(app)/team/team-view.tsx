"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { DataTableHeader } from "~/components/data-table-header";
import { Field, Form, MutationFeedback, SubmitButton, TextField } from "~/components/form";
import { PageHeader } from "~/components/page-header";
import { ErrorState, Loading } from "~/components/query-state";
import { SelectControl } from "~/components/select-field";
import { useTeam, useTeamId } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { NativeSelect } from "~/components/ui/native-select";
import { Table, TD, TR } from "~/components/ui/table";
import { useTRPC } from "~/trpc/react";

const ROLES = ["MEMBER", "ADMIN"] as const;

export function TeamView() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const teamId = useTeamId();
  const { team, setTeamId } = useTeam();
  const me = useQuery(trpc.auth.me.queryOptions());
  const members = useQuery(trpc.teams.members.queryOptions({ teamId }));
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.teams.members.queryKey({ teamId }) });
  const isAdmin = team?.role === "ADMIN";
  // Only admins may list invitations; members would get FORBIDDEN.
  const invitations = useQuery({
    ...trpc.teams.invitations.queryOptions({ teamId }),
    enabled: isAdmin,
  });
  const invalidateInvitations = () =>
    queryClient.invalidateQueries({ queryKey: trpc.teams.invitations.queryKey({ teamId }) });
  const add = useMutation(
    trpc.teams.invite.mutationOptions({ onSuccess: () => void invalidateInvitations() }),
  );
  const revokeInvitation = useMutation(
    trpc.teams.revokeInvitation.mutationOptions({ onSuccess: () => void invalidateInvitations() }),
  );
  const changeRole = useMutation(
    trpc.teams.changeRole.mutationOptions({ onSuccess: () => void invalidate() }),
  );
  const remove = useMutation(
    trpc.teams.removeMember.mutationOptions({
      onSuccess: () => {
        void invalidate();
        void queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
      },
    }),
  );
  const createTeam = useMutation(
    trpc.teams.create.mutationOptions({
      onSuccess: async (created) => {
        await queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
        setTeamId(created.id);
      },
    }),
  );
  const mutationError =
    add.error ?? revokeInvitation.error ?? changeRole.error ?? remove.error ?? createTeam.error;

  return (
    <>
      <PageHeader title={t("team.title")} description={team?.name} />
      <div className="grid gap-4">
        {isAdmin ? (
          <Card data-testid="team-admin-controls">
            <CardHeader>
              <CardTitle>{t("team.addMember")}</CardTitle>
              <CardDescription>{t("team.inviteHint")}</CardDescription>
            </CardHeader>
            <CardContent>
              <Form
                className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end"
                onValues={(form) =>
                  add.mutate({
                    teamId,
                    email: String(form.get("email") ?? ""),
                    role: form.get("role") === "ADMIN" ? "ADMIN" : "MEMBER",
                  })
                }
              >
                <TextField
                  id="member-email"
                  name="email"
                  label={t("team.email")}
                  type="email"
                  required
                />
                <Field htmlFor="member-role" label={t("team.role")}>
                  <NativeSelect id="member-role" name="role" defaultValue="MEMBER">
                    <option value="MEMBER">{t("roles.MEMBER")}</option>
                    <option value="ADMIN">{t("roles.ADMIN")}</option>
                  </NativeSelect>
                </Field>
                <SubmitButton pending={add.isPending}>{t("team.addMember")}</SubmitButton>
              </Form>
              <MutationFeedback
                success={add.data ? t("team.invited", { email: add.data.email }) : null}
                className="mt-3"
              />
            </CardContent>
          </Card>
        ) : (
          <Alert variant="info">{t("team.membersOnlyAdmins")}</Alert>
        )}
        <MutationFeedback error={mutationError} />
        <Card>
          <CardHeader>
            <CardTitle>{t("team.members")}</CardTitle>
          </CardHeader>
          <CardContent>
            {members.isPending ? (
              <Loading />
            ) : members.error ? (
              <ErrorState error={members.error} onRetry={() => void members.refetch()} />
            ) : (
              <Table>
                <DataTableHeader
                  columns={[t("common.name"), t("team.email"), t("team.role"), t("team.joined")]}
                  actions
                />
                <tbody>
                  {members.data.map((member) => {
                    const self = member.userId === me.data?.id;
                    return (
                      <TR key={member.userId}>
                        <TD className="font-medium">
                          {member.name} {self ? <Badge>{t("team.you")}</Badge> : null}
                        </TD>
                        <TD className="break-all">{member.email}</TD>
                        <TD>
                          {isAdmin ? (
                            <SelectControl
                              ariaLabel={t("team.changeRole", { name: member.name })}
                              className="w-32"
                              value={member.role}
                              onValueChange={(role) =>
                                changeRole.mutate({ teamId, userId: member.userId, role })
                              }
                              options={ROLES.map((role) => ({
                                value: role,
                                label: t(`roles.${role}`),
                              }))}
                            />
                          ) : (
                            t(`roles.${member.role}`)
                          )}
                        </TD>
                        <TD>{format.dateTime(member.joinedAt, { dateStyle: "medium" })}</TD>
                        <TD className="text-right">
                          {(isAdmin || self) && !team?.isPersonal ? (
                            <Button
                              size="sm"
                              variant="outline"
                              disabled={remove.isPending}
                              onClick={() => {
                                if (
                                  window.confirm(t("team.confirmRemove", { name: member.name }))
                                ) {
                                  remove.mutate({ teamId, userId: member.userId });
                                }
                              }}
                            >
                              {self ? t("team.leave") : t("team.remove")}
                            </Button>
                          ) : null}
                        </TD>
                      </TR>
                    );
                  })}
                </tbody>
              </Table>
            )}
          </CardContent>
        </Card>
        {isAdmin && !team?.isPersonal ? (
          <Card data-testid="team-invitations">
            <CardHeader>
              <CardTitle>{t("team.invitations")}</CardTitle>
            </CardHeader>
            <CardContent>
              {invitations.isPending ? (
                <Loading />
              ) : invitations.error ? (
                <ErrorState error={invitations.error} onRetry={() => void invitations.refetch()} />
              ) : invitations.data.length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("team.noInvitations")}</p>
              ) : (
                <Table>
                  <DataTableHeader
                    columns={[
                      t("team.email"),
                      t("team.role"),
                      t("team.invitedAt"),
                      t("team.invitedBy"),
                    ]}
                    actions
                  />
                  <tbody>
                    {invitations.data.map((invitation) => (
                      <TR key={invitation.id}>
                        <TD className="break-all">{invitation.email}</TD>
                        <TD>{t(`roles.${invitation.role}`)}</TD>
                        <TD>{format.dateTime(invitation.invitedAt, { dateStyle: "medium" })}</TD>
                        <TD>{invitation.invitedBy ?? ""}</TD>
                        <TD className="text-right">
                          <Button
                            size="sm"
                            variant="outline"
                            disabled={revokeInvitation.isPending}
                            onClick={() => {
                              if (
                                window.confirm(
                                  t("team.confirmRevokeInvitation", { email: invitation.email }),
                                )
                              ) {
                                revokeInvitation.mutate({ teamId, invitationId: invitation.id });
                              }
                            }}
                          >
                            {t("team.revokeInvitation")}
                          </Button>
                        </TD>
                      </TR>
                    ))}
                  </tbody>
                </Table>
              )}
            </CardContent>
          </Card>
        ) : null}
        <Card>
          <CardHeader>
            <CardTitle>{t("team.newTeam")}</CardTitle>
          </CardHeader>
          <CardContent>
            <Form
              className="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end"
              resetAfterSubmit
              onValues={(form) => createTeam.mutate({ name: String(form.get("teamName") ?? "") })}
            >
              <TextField
                id="team-name"
                name="teamName"
                label={t("team.teamName")}
                required
                maxLength={100}
              />
              <SubmitButton variant="outline" pending={createTeam.isPending}>
                {t("team.create")}
              </SubmitButton>
            </Form>
          </CardContent>
        </Card>
      </div>
    </>
  );
}
