// What the PDF shows, read once before the first byte is sent: the report page's data
// (taskReport) and, for the images the PDF holds, where their files are.
import { isFinalTaskStatus } from "@studio/contracts/task";
import type { Db } from "../../db";
import { conflict } from "../../errors";
import { mainOutput } from "../../http/files/download-names";
import { taskReport } from "../tasks";
import type { ThumbnailSource } from "./thumbnails";

/**
 * Images a PDF shows one section each for. Past this a report would take minutes to make and
 * tens of MB to send; the last page says how many were left out and where they are.
 */
export const REPORT_PDF_MAX_IMAGES = 100;

export type TaskReport = Awaited<ReturnType<typeof taskReport>>;
export type ReportItem = TaskReport["items"][number];

export interface ItemFiles {
  input: ThumbnailSource;
  /** Null for a result that is no picture (classification scores) or no result at all. */
  result: ThumbnailSource | null;
  /** Which output the result is: "result", "mask", "probability", "overlay", "scores". */
  output: string | null;
}

export interface ReportData extends TaskReport {
  /** The items the PDF has a section for (the first REPORT_PDF_MAX_IMAGES). */
  shown: ReportItem[];
  files: Map<string, ItemFiles>;
}

const PICTURE_EXT = /\.(png|jpe?g|webp|avif|tiff?)$/i;

/**
 * The report of a finished task. A queued or running task has no report yet: its figures would
 * change under the reader, and a PDF is kept.
 */
export async function loadReportData(
  db: Db,
  teamId: string,
  taskId: string,
  maxImages = REPORT_PDF_MAX_IMAGES,
): Promise<ReportData> {
  const report = await taskReport(db, teamId, taskId);
  const { task } = report;
  if (!isFinalTaskStatus(task.status)) {
    throw conflict(
      `The task is still ${task.status === "queued" ? "queued" : "running"} (${task.itemsDone + task.itemsFailed} of ${task.itemCount} images done); its report can be exported once it has finished.`,
    );
  }
  const shown = report.items.slice(0, maxImages);
  const rows = await db.taskItem.findMany({
    where: { taskId, position: { lte: shown.at(-1)?.position ?? -1 } },
    select: {
      id: true,
      resultPath: true,
      image: {
        select: {
          id: true,
          teamId: true,
          storagePath: true,
          format: true,
          bitDepth: true,
          channels: true,
        },
      },
    },
  });
  const files = new Map<string, ItemFiles>();
  for (const row of rows) {
    const item = shown.find((i) => i.id === row.id);
    const meta = item?.resultMeta ?? {};
    const output = row.resultPath ? mainOutput(task.taskKind, row.resultPath, meta) : null;
    files.set(row.id, {
      input: {
        kind: "upload",
        key: row.image.storagePath,
        imageId: row.image.id,
        teamId: row.image.teamId,
        format: row.image.format,
        bitDepth: row.image.bitDepth,
        channels: row.image.channels,
      },
      result:
        row.resultPath && PICTURE_EXT.test(row.resultPath)
          ? {
              kind: "result",
              key: row.resultPath,
              // The same cache key as the task page's result renditions.
              teamId,
              taskId,
              itemId: row.id,
            }
          : null,
      output,
    });
  }
  return { ...report, shown, files };
}
