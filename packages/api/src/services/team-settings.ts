// What a team decides about the files its tasks write: whether super-resolution results copy
// the GPS position from the input's EXIF (date and camera are always copied), and the pattern
// result files are named by (null = the product's `{name}{suffix}`).
import type { Db } from "../db";
import { notFound } from "../errors";

export interface ResultSettings {
  keepGps: boolean;
  /** Null when the team keeps the default names. */
  namePattern: string | null;
}

const select = { resultsKeepGps: true, resultNamePattern: true } as const;

const toSettings = (team: { resultsKeepGps: boolean; resultNamePattern: string | null }) => ({
  keepGps: team.resultsKeepGps,
  namePattern: team.resultNamePattern,
});

export async function getResultSettings(db: Db, teamId: string): Promise<ResultSettings> {
  const team = await db.team.findUnique({ where: { id: teamId }, select });
  if (!team) throw notFound("Team not found.");
  return toSettings(team);
}

/**
 * Changes what is given; `namePattern` left out keeps the current one, empty or null returns to
 * the default. The pattern is validated by the caller (resultNamePatternSchema).
 */
export async function setResultSettings(
  db: Db,
  teamId: string,
  settings: { keepGps?: boolean; namePattern?: string | null },
): Promise<ResultSettings> {
  const team = await db.team.update({
    where: { id: teamId },
    data: {
      resultsKeepGps: settings.keepGps,
      resultNamePattern:
        settings.namePattern === undefined ? undefined : settings.namePattern?.trim() || null,
    },
    select,
  });
  return toSettings(team);
}
