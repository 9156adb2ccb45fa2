import { z } from "zod";
import { resultNamePatternSchema } from "../http/files/download-names";
import { emailSchema } from "../services/account";
import { getResultSettings, setResultSettings } from "../services/team-settings";
import {
  changeRole,
  createTeam,
  inviteByEmail,
  listInvitations,
  listMembers,
  listMyTeams,
  removeMember,
  renameTeam,
  revokeInvitation,
} from "../services/teams";
import { protectedProcedure, router, teamAdminProcedure, teamProcedure } from "../trpc";
import { id, roleSchema } from "./schemas";

const teamOutput = z.object({
  id: z.string(),
  name: z.string(),
  isPersonal: z.boolean(),
  createdAt: z.date(),
});
const memberOutput = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  joinedAt: z.date(),
});
const teamName = z.string().trim().min(1).max(100);
const resultSettingsOutput = z.object({ keepGps: z.boolean(), namePattern: z.string().nullable() });
const resultSettingsInput = z.object({
  keepGps: z.boolean().optional(),
  /** Left out: unchanged; null or "": back to the default names. */
  namePattern: resultNamePatternSchema.nullable().optional(),
});
const invitationOutput = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  invitedAt: z.date(),
  invitedBy: z.string().nullable(),
});
const inviteInput = z.object({ email: emailSchema, role: roleSchema.default("MEMBER") });

export const teamsRouter = router({
  mine: protectedProcedure
    .input(z.void())
    .output(z.array(teamOutput.extend({ role: roleSchema, memberCount: z.number().int() })))
    .query(({ ctx }) => listMyTeams(ctx.db, ctx.user.id)),

  create: protectedProcedure
    .input(z.object({ name: teamName }))
    .output(teamOutput)
    .mutation(({ ctx, input }) => createTeam(ctx.db, ctx.user.id, input.name)),

  rename: teamAdminProcedure
    .input(z.object({ name: teamName }))
    .output(teamOutput)
    .mutation(({ ctx, input }) => renameTeam(ctx.db, ctx.team, input.name)),

  /** Whether results copy the input's GPS position (off unless an admin allows it). */
  resultSettings: teamProcedure
    .output(resultSettingsOutput)
    .query(({ ctx }) => getResultSettings(ctx.db, ctx.team.id)),

  setResultSettings: teamAdminProcedure
    .input(resultSettingsInput)
    .output(resultSettingsOutput)
    .mutation(({ ctx, input }) => setResultSettings(ctx.db, ctx.team.id, input)),

  members: teamProcedure
    .output(z.array(memberOutput))
    .query(({ ctx }) => listMembers(ctx.db, ctx.team.id)),

  /**
   * Invites an email; answers with the pending invitation whether or not the email has an
   * account (see inviteByEmail), so it cannot be used to find out who is registered.
   */
  invite: teamAdminProcedure
    .input(inviteInput)
    .output(invitationOutput)
    .mutation(({ ctx, input }) =>
      inviteByEmail(ctx.db, ctx.team, ctx.user.id, input.email, input.role),
    ),

  /** The former name of `invite`, kept for existing clients; it now invites too. */
  addMember: teamAdminProcedure
    .input(inviteInput)
    .output(invitationOutput)
    .mutation(({ ctx, input }) =>
      inviteByEmail(ctx.db, ctx.team, ctx.user.id, input.email, input.role),
    ),

  invitations: teamAdminProcedure
    .output(z.array(invitationOutput))
    .query(({ ctx }) => listInvitations(ctx.db, ctx.team.id)),

  revokeInvitation: teamAdminProcedure
    .input(z.object({ invitationId: id }))
    .output(z.object({ invitationId: z.string() }))
    .mutation(({ ctx, input }) => revokeInvitation(ctx.db, ctx.team, input.invitationId)),

  changeRole: teamAdminProcedure
    .input(z.object({ userId: id, role: roleSchema }))
    .output(z.object({ userId: z.string(), role: roleSchema }))
    .mutation(({ ctx, input }) => changeRole(ctx.db, ctx.team, input.userId, input.role)),

  /** Admins remove anyone; anyone may remove themself (leave). The last admin cannot go. */
  removeMember: teamProcedure
    .input(z.object({ userId: id }))
    .output(z.object({ userId: z.string() }))
    .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.team, ctx.user.id, input.userId)),
});
