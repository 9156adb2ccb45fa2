"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { ConfirmButton } from "~/components/confirm-button";
import { QueryTable } from "~/components/data-table";
import {
  Field,
  Form,
  formText,
  MutationFeedback,
  SubmitButton,
  TextField,
} from "~/components/form";
import { PageHeader } from "~/components/page-header";
import { SelectControl } from "~/components/select-field";
import { useTeam } from "~/components/team-context";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { NativeSelect } from "~/components/ui/native-select";
import { TD, TR } from "~/components/ui/table";
import { useTeamName } from "~/lib/team-name";
import { useTeamPage } from "~/lib/use-team-page";
import { ResultSettings } from "./result-settings";

const ROLES = ["MEMBER", "ADMIN"] as const;

export function TeamView() {
  const { t, format, trpc, queryClient, teamId } = useTeamPage();
  const { team, setTeamId } = useTeam();
  const teamName = useTeamName();
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
      <PageHeader title={t("team.title")} description={team ? teamName(team) : undefined} />
      <div className="grid gap-4">
        {isAdmin ? (
          <TitledCard
            data-testid="team-admin-controls"
            title={t("team.addMember")}
            description={t("team.inviteHint")}
          >
            <Form
              className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end"
              onValues={(form) =>
                add.mutate({
                  teamId,
                  email: formText(form, "email"),
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
          </TitledCard>
        ) : (
          <Alert variant="info">{t("team.membersOnlyAdmins")}</Alert>
        )}
        <MutationFeedback error={mutationError} />
        <TitledCard title={t("team.members")}>
          <QueryTable
            query={members}
            columns={[
              t("common.name"),
              { label: t("team.email"), className: "hidden md:table-cell" },
              t("team.role"),
              { label: t("team.joined"), className: "hidden sm:table-cell" },
            ]}
            actions
          >
            {(member) => {
              const self = member.userId === me.data?.id;
              return (
                <TR key={member.userId}>
                  {/* On a phone the email sits under the name: a column of its own would be
                      squeezed to a letter per line. */}
                  <TD className="w-full max-w-0 md:w-auto md:max-w-none">
                    <span className="font-medium">
                      {member.name} {self ? <Badge>{t("team.you")}</Badge> : null}
                    </span>
                    <span className="block break-all text-xs text-muted-foreground md:hidden">
                      {member.email}
                    </span>
                  </TD>
                  <TD className="hidden break-all md:table-cell">{member.email}</TD>
                  <TD>
                    {isAdmin ? (
                      <SelectControl
                        ariaLabel={t("team.changeRole", { name: member.name })}
                        className="w-28 sm:w-32"
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
                  <TD className="hidden sm:table-cell">
                    {format.dateTime(member.joinedAt, { dateStyle: "medium" })}
                  </TD>
                  <TD className="text-right">
                    {(isAdmin || self) && !team?.isPersonal ? (
                      <ConfirmButton
                        size="sm"
                        variant="outline"
                        disabled={remove.isPending}
                        confirmation={t("team.confirmRemove", { name: member.name })}
                        onConfirm={() => remove.mutate({ teamId, userId: member.userId })}
                      >
                        {self ? t("team.leave") : t("team.remove")}
                      </ConfirmButton>
                    ) : null}
                  </TD>
                </TR>
              );
            }}
          </QueryTable>
        </TitledCard>
        {isAdmin && !team?.isPersonal ? (
          <TitledCard data-testid="team-invitations" title={t("team.invitations")}>
            <QueryTable
              query={invitations}
              empty={<p className="text-sm text-muted-foreground">{t("team.noInvitations")}</p>}
              columns={[
                t("team.email"),
                t("team.role"),
                { label: t("team.invitedAt"), className: "hidden sm:table-cell" },
                { label: t("team.invitedBy"), className: "hidden md:table-cell" },
              ]}
              actions
            >
              {(invitation) => (
                <TR key={invitation.id}>
                  <TD className="w-full max-w-0 sm:w-auto sm:max-w-none">
                    <span className="block truncate sm:whitespace-normal sm:break-all">
                      {invitation.email}
                    </span>
                  </TD>
                  <TD>{t(`roles.${invitation.role}`)}</TD>
                  <TD className="hidden sm:table-cell">
                    {format.dateTime(invitation.invitedAt, { dateStyle: "medium" })}
                  </TD>
                  <TD className="hidden md:table-cell">{invitation.invitedBy ?? ""}</TD>
                  <TD className="text-right">
                    <ConfirmButton
                      size="sm"
                      variant="outline"
                      disabled={revokeInvitation.isPending}
                      confirmation={t("team.confirmRevokeInvitation", {
                        email: invitation.email,
                      })}
                      onConfirm={() =>
                        revokeInvitation.mutate({ teamId, invitationId: invitation.id })
                      }
                    >
                      {t("team.revokeInvitation")}
                    </ConfirmButton>
                  </TD>
                </TR>
              )}
            </QueryTable>
          </TitledCard>
        ) : null}
        <ResultSettings isAdmin={isAdmin} />
        <TitledCard title={t("team.newTeam")}>
          <Form
            className="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end"
            resetAfterSubmit
            onValues={(form) => createTeam.mutate({ name: formText(form, "teamName") })}
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
        </TitledCard>
      </div>
    </>
  );
}
