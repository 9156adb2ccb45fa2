// Paths of the app's pages. Team pages carry the team in the URL (/t/<teamId>/...), so a
// link shared with a colleague opens the same team's page whichever team they last chose.

/** The sections that live under a team; their old URLs without /t/<teamId> still redirect. */
export const TEAM_SECTIONS = ["dashboard", "tasks", "datasets", "weights", "team"] as const;
export type TeamSection = (typeof TEAM_SECTIONS)[number];

const base = (teamId: string) => `/t/${encodeURIComponent(teamId)}`;
const seg = encodeURIComponent;

export const routes = {
  dashboard: (teamId: string) => `${base(teamId)}/dashboard`,
  tasks: (teamId: string) => `${base(teamId)}/tasks`,
  newTask: (teamId: string, query: { datasetId?: string; kind?: string } = {}) => {
    const search = new URLSearchParams(
      Object.entries(query).filter((entry): entry is [string, string] => Boolean(entry[1])),
    ).toString();
    return `${base(teamId)}/tasks/new${search ? `?${search}` : ""}`;
  },
  task: (teamId: string, taskId: string) => `${base(teamId)}/tasks/${seg(taskId)}`,
  taskReport: (teamId: string, taskId: string) => `${routes.task(teamId, taskId)}/report`,
  taskItem: (teamId: string, taskId: string, itemId: string) =>
    `${routes.task(teamId, taskId)}/items/${seg(itemId)}`,
  datasets: (teamId: string) => `${base(teamId)}/datasets`,
  dataset: (teamId: string, datasetId: string) => `${base(teamId)}/datasets/${seg(datasetId)}`,
  weights: (teamId: string) => `${base(teamId)}/weights`,
  weight: (teamId: string, weightId: string) => `${base(teamId)}/weights/${seg(weightId)}`,
  team: (teamId: string) => `${base(teamId)}/team`,
  settings: () => "/settings",
} as const;

/**
 * Where the team switcher goes: the same page for the other team. A page of one record (a
 * task, dataset or weight) belongs to the team that was left, so the switch lands on that
 * section's list instead; "new task" keeps its place. Pages outside a team stay put.
 */
export function pathForTeam(pathname: string, teamId: string): string | null {
  const match = /^\/t\/[^/]+\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!match) return null;
  const section = match[1] as string;
  if (!(TEAM_SECTIONS as readonly string[]).includes(section)) return routes.dashboard(teamId);
  const rest = match[2] ?? "";
  const keep = rest === "" || (section === "tasks" && rest === "/new");
  return `${base(teamId)}/${section}${keep ? rest : ""}`;
}

/**
 * The new address of an old team page URL (`/tasks/<id>` before teams were in the URL), in
 * the given team; null when the path is not one of those pages.
 */
export function legacyPathForTeam(pathname: string, search: string, teamId: string): string | null {
  const match = /^\/([^/]+)(\/.*)?$/.exec(pathname);
  const section = match?.[1];
  if (!section || !(TEAM_SECTIONS as readonly string[]).includes(section)) return null;
  return `${base(teamId)}${pathname}${search}`;
}
