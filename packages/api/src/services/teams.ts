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

export async function addMemberByEmail(db: Db, team: TeamAccess, email: string, role: TeamRole) {
  if (team.isPersonal) throw badRequest("A personal team has exactly one member.");
  const user = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (!user) throw notFound("No user with this email. Ask them to register first.");
  const existing = await db.membership.findUnique({
    where: { userId_teamId: { userId: user.id, teamId: team.id } },
    select: { id: true },
  });
  if (existing) throw conflict("This user is already a member.");
  await db.membership.create({
    data: { userId: user.id, teamId: team.id, role },
    select: { id: true },
  });
  const members = await listMembers(db, team.id);
  // biome-ignore lint/style/noNonNullAssertion: created just above
  return members.find((m) => m.userId === user.id)!;
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
  return db.$transaction(async (tx) => {
    const member = await tx.membership.findUnique({
      where: { userId_teamId: { userId, teamId: team.id } },
      select: { id: true, role: true },
    });
    if (!member) throw notFound("Member not found.");
    if (member.role === role) return { userId, role };
    if (role === "MEMBER") await assertAnotherAdmin(tx, team.id, userId);
    await tx.membership.update({ where: { id: member.id }, data: { role }, select: { id: true } });
    return { userId, role };
  });
}

/** An admin removes anyone; a member may only remove themself (leave). */
export async function removeMember(db: Db, team: TeamAccess, actorId: string, userId: string) {
  if (userId !== actorId && team.role !== "ADMIN")
    throw forbidden("Only team admins may remove others.");
  if (team.isPersonal) throw badRequest("A personal team cannot be left.");
  await db.$transaction(async (tx) => {
    const member = await tx.membership.findUnique({
      where: { userId_teamId: { userId, teamId: team.id } },
      select: { id: true, role: true },
    });
    if (!member) throw notFound("Member not found.");
    if (member.role === "ADMIN") await assertAnotherAdmin(tx, team.id, userId);
    await tx.membership.delete({ where: { id: member.id }, select: { id: true } });
  });
  return { userId };
}
