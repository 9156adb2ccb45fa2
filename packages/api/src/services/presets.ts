import { type TaskKind, TuningPresetName } from "@studio/core/spec";
import type { Db } from "../db";
import { notFound } from "../errors";
import { parseJson } from "./json";
import { validateParams } from "./tasks";

const TUNING_LABELS: Record<TuningPresetName, string> = {
  raw: "Raw model output",
  gentle: "Gentle (default)",
  photo: "Photo",
  anime: "Anime / illustration",
  text: "Text / documents",
};

/** Presets that ship with the product; ids are stable strings, not rows. */
export function builtInPresets(kind?: TaskKind | null) {
  const all = [
    ...TuningPresetName.options.map((preset) => ({
      id: `builtin:super_resolution:${preset}`,
      taskKind: "super_resolution" as TaskKind,
      name: TUNING_LABELS[preset],
      params: validateParams("super_resolution", { tuning: { preset } }),
    })),
    {
      id: "builtin:segmentation:default",
      taskKind: "segmentation" as TaskKind,
      name: "Default (threshold 0.5)",
      params: validateParams("segmentation", {}),
    },
    {
      id: "builtin:classification:top5",
      taskKind: "classification" as TaskKind,
      name: "Top 5",
      params: validateParams("classification", {}),
    },
  ];
  return all
    .filter((p) => !kind || p.taskKind === kind)
    .map((p) => ({ ...p, builtIn: true, createdAt: null, createdBy: null }));
}

const presetSelect = {
  id: true,
  taskKind: true,
  name: true,
  params: true,
  createdAt: true,
  createdBy: { select: { id: true, name: true } },
} as const;

export async function listPresets(db: Db, teamId: string, kind?: TaskKind | null) {
  const saved = await db.preset.findMany({
    where: { teamId, ...(kind ? { taskKind: kind } : {}) },
    orderBy: [{ taskKind: "asc" }, { name: "asc" }],
    select: presetSelect,
  });
  return [
    ...builtInPresets(kind),
    ...saved.map((p) => ({
      ...p,
      taskKind: p.taskKind as TaskKind,
      params: parseJson<Record<string, unknown>>(p.params, {}),
      builtIn: false,
    })),
  ];
}

/** Saves (or overwrites, by name) a team preset; params are validated for the kind first. */
export async function savePreset(
  db: Db,
  input: { teamId: string; userId: string; taskKind: TaskKind; name: string; params: unknown },
) {
  const params = validateParams(input.taskKind, input.params);
  const row = await db.preset.upsert({
    where: {
      teamId_taskKind_name: { teamId: input.teamId, taskKind: input.taskKind, name: input.name },
    },
    create: {
      teamId: input.teamId,
      createdById: input.userId,
      taskKind: input.taskKind,
      name: input.name,
      params: JSON.stringify(params),
    },
    update: { params: JSON.stringify(params) },
    select: presetSelect,
  });
  return { ...row, taskKind: row.taskKind as TaskKind, params, builtIn: false };
}

export async function deletePreset(db: Db, teamId: string, presetId: string) {
  const { count } = await db.preset.deleteMany({ where: { id: presetId, teamId } });
  if (count === 0) throw notFound("Preset not found.");
  return { deleted: true as const };
}
