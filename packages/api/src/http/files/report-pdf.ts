// GET /api/files/report.pdf?teamId&id[&locale][&timeZone]: a finished task's report as a PDF
// made on the server, in the reader's language (`locale`: en or zh-CN, else the browser's
// Accept-Language) and time zone. Named `<task name>.pdf`.
import { Readable } from "node:stream";
import { z } from "zod";
import type { Context } from "../../context";
import { badRequest } from "../../errors";
import { reportTimeZone } from "../../services/report-pdf/format";
import { renderReportPdf } from "../../services/report-pdf/render";
import { loadReportData } from "../../services/report-pdf/report-data";
import { reportLocale } from "../../services/report-pdf/strings";
import { requireTeam } from "./access";
import { taskFileName } from "./download-names";
import { contentDisposition, toErrorResponse } from "./responses";

const querySchema = z.object({
  teamId: z.string().min(1),
  id: z.string().min(1),
  locale: z.string().max(16).optional(),
  timeZone: z.string().max(64).optional(),
});

export async function downloadReportPdf(request: Request, ctx: Context): Promise<Response> {
  try {
    const parsed = querySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!parsed.success) throw badRequest("Unknown report: give teamId and the task's id.");
    const query = parsed.data;
    const team = await requireTeam(ctx, query.teamId);
    // Everything that can refuse (no such task, another team's, not finished) is checked
    // before the first byte, so a refusal is a clean error answer and not a broken PDF.
    const data = await loadReportData(ctx.db, team.id, query.id);
    const locale = reportLocale(query.locale ?? null, request.headers.get("accept-language"));
    const pdf = renderReportPdf({
      data,
      locale,
      timeZone: reportTimeZone(query.timeZone ?? null),
      inference: ctx.inference,
    });
    return new Response(Readable.toWeb(pdf) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        "content-type": "application/pdf",
        "content-disposition": contentDisposition(taskFileName(data.task.name, ".pdf")),
        // Made anew on every request (the time zone and language are the reader's).
        "cache-control": "private, no-store",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (error) {
    return toErrorResponse(error);
  }
}
