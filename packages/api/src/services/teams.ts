import { forgetAuth } from "../auth/auth-cache";
import type { Db, DbOrTx } from "../db";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import type { TeamAccess, TeamRole } from "../trpc";

export async function listMyTeams(db: Db, userId: string) {
  const rows = await db.membership.findMany({
    where: { userId },
    orderBy: [{ team: { isPersonal: "desc" } }, { createdAt: "asc" }],
    select: {
      role: true,
      team: {
        select: {
          id: true,
          name: true,
          isPersonal: true,
          createdAt: true,
          _count: { select: { memberships: true } },
        },
      },
    },
  });
  return rows.map(({ role, team }) => ({
    id: team.id,
    name: team.name,
    isPersonal: team.isPersonal,
    createdAt: team.createdAt,
    memberCount: team._count.memberships,
    role: role as TeamRole,
  }));
}

export async function createTeam(db: Db, userId: string, name: string) {
  return db.team.create({
    data: { name, memberships: { create: { userId, role: "ADMIN" } } },
    select: { id: true, name: true, isPersonal: true, createdAt: true },
  });
}

export async function renameTeam(db: Db, team: TeamAccess, name: string) {
  return db.team.update({
    where: { id: team.id },
    data: { name },
    select: { id: true, name: true, isPersonal: true, createdAt: true },
  });
}

export async function listMembers(db: Db, teamId: string) {
  const rows = await db.membership.findMany({
    where: { teamId },
    orderBy: { createdAt: "asc" },
    select: {
      role: true,
      createdAt: true,
      user: { select: { id: true, email: true, name: true } },
    },
  });
  return rows.map((m) => ({
    userId: m.user.id,
    email: m.user.email,
    name: m.user.name,
    role: m.role as TeamRole,
    joinedAt: m.createdAt,
  }));
}

/** Pending invitations one team may hold; beyond it, revoke some first. */
export const MAX_PENDING_INVITATIONS = 500;

const invitationSelect = {
  id: true,
  email: true,
  role: true,
  createdAt: true,
  invitedBy: { select: { name: true } },
} as const;

function invitationRow(row: {
  id: string;
  email: string;
  role: string;
  createdAt: Date;
  invitedBy: { name: string } | null;
}) {
  return {
    id: row.id,
    email: row.email,
    role: row.role as TeamRole,
    invitedAt: row.createdAt,
    invitedBy: row.invitedBy?.name ?? null,
  };
}

/**
 * Records an invitation for the email, whether or not it has an account, and answers with the
 * pending invitation either way: the admin must not learn who has an account. The invitation
 * becomes a membership when the email registers, or for an existing account at its next
 * sign-in or visit. Inviting again changes the role. Only an email that is already a member
 * (which the member list shows anyway) is refused.
 */
export async function inviteByEmail(
  db: Db,
  team: TeamAccess,
  invitedById: string,
  email: string,
  role: TeamRole,
) {
  if (team.isPersonal) throw badRequest("A personal team has exactly one member.");
  const member = await db.membership.findFirst({
    where: { teamId: team.id, user: { email } },
    select: { id: true },
  });
  if (member) throw conflict("This person is already a member of the team.");
  const pending = await db.teamInvitation.count({ where: { teamId: team.id, NOT: { email } } });
  if (pending >= MAX_PENDING_INVITATIONS) {
    throw badRequest(
      `This team already has ${MAX_PENDING_INVITATIONS} pending invitations; revoke some first.`,
    );
  }
  const row = await db.teamInvitation.upsert({
    where: { teamId_email: { teamId: team.id, email } },
    create: { teamId: team.id, email, role, invitedById },
    update: { role, invitedById },
    select: invitationSelect,
  });
  return invitationRow(row);
}

export async function listInvitations(db: Db, teamId: string) {
  const rows = await db.teamInvitation.findMany({
    where: { teamId },
    orderBy: { createdAt: "asc" },
    select: invitationSelect,
  });
  return rows.map(invitationRow);
}

export async function revokeInvitation(db: Db, team: TeamAccess, invitationId: string) {
  const { count } = await db.teamInvitation.deleteMany({
    where: { id: invitationId, teamId: team.id },
  });
  if (count === 0) throw notFound("Invitation not found; it may have been accepted or revoked.");
  return { invitationId };
}

/** The user's membership of the team, or a not-found error. */
async function membershipOf(tx: DbOrTx, teamId: string, userId: string) {
  const member = await tx.membership.findUnique({
    where: { userId_teamId: { userId, teamId } },
    select: { id: true, role: true },
  });
  if (!member) throw notFound("Member not found.");
  return member;
}

/** Fails when the change would leave the team without an admin. */
async function assertAnotherAdmin(tx: DbOrTx, teamId: string, userId: string) {
  const admins = await tx.membership.count({
    where: { teamId, role: "ADMIN", NOT: { userId } },
  });
  if (admins === 0) throw conflict("A team needs at least one admin; promote someone first.");
}

export async function changeRole(db: Db, team: TeamAccess, userId: string, role: TeamRole) {
  if (team.isPersonal) throw badRequest("Roles in a personal team cannot change.");
  const changed = await db.$transaction(async (tx) => {
    const member = await membershipOf(tx, team.id, userId);
    if (member.role === role) return { userId, role };
    if (role === "MEMBER") await assertAnotherAdmin(tx, team.id, userId);
    await tx.membership.update({ where: { id: member.id }, data: { role }, select: { id: true } });
    return { userId, role };
  });
  forgetAuth(db);
  return changed;
}

/** An admin removes anyone; a member may only remove themself (leave). */
export async function removeMember(db: Db, team: TeamAccess, actorId: string, userId: string) {
  if (userId !== actorId && team.role !== "ADMIN")
    throw forbidden("Only team admins may remove others.");
  if (team.isPersonal) throw badRequest("A personal team cannot be left.");
  await db.$transaction(async (tx) => {
    const member = await membershipOf(tx, team.id, userId);
    if (member.role === "ADMIN") await assertAnotherAdmin(tx, team.id, userId);
    await tx.membership.delete({ where: { id: member.id }, select: { id: true } });
  });
  forgetAuth(db);
  return { userId };
}
