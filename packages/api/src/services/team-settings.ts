// What a team decides about the files its tasks write: today whether super-resolution results
// copy the GPS position from the input's EXIF (date and camera are always copied).
import type { Db } from "../db";
import { notFound } from "../errors";

export interface ResultSettings {
  keepGps: boolean;
}

export async function getResultSettings(db: Db, teamId: string): Promise<ResultSettings> {
  const team = await db.team.findUnique({
    where: { id: teamId },
    select: { resultsKeepGps: true },
  });
  if (!team) throw notFound("Team not found.");
  return { keepGps: team.resultsKeepGps };
}

export async function setResultSettings(
  db: Db,
  teamId: string,
  settings: ResultSettings,
): Promise<ResultSettings> {
  const team = await db.team.update({
    where: { id: teamId },
    data: { resultsKeepGps: settings.keepGps },
    select: { resultsKeepGps: true },
  });
  return { keepGps: team.resultsKeepGps };
}
