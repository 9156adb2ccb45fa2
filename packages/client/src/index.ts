// Typed client for developers: the tRPC AppRouter over HTTP with an API token, plus the file
// routes (uploads and downloads carry bytes, which tRPC does not) and task polling.
import type { AppRouter } from "@studio/api";
import { FILE_ROUTE_PATHS, TRPC_PATH } from "@studio/api/http/file-routes";
import { TRPC_MAX_BATCH_SIZE } from "@studio/api/http/limits";
import { type AppErrorCode, appCodeForStatus, isAppErrorCode } from "@studio/contracts/errors";
import { createTRPCClient, httpBatchLink, type TRPCClient, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { nextPollInterval } from "./poll-interval";

type Trpc = TRPCClient<AppRouter>;
export type Task = Awaited<ReturnType<Trpc["tasks"]["get"]["query"]>>;
/** What `tasks.status` answers: state and progress without items or parameters. */
export type TaskStatus = Awaited<ReturnType<Trpc["tasks"]["status"]["query"]>>;
export type Weight = Awaited<ReturnType<Trpc["weights"]["list"]["query"]>>[number];
export type UploadedImage = {
  id: string;
  originalName: string;
  width: number;
  height: number;
  format: string;
  sha256: string;
  sizeBytes: number;
};
export type { AppErrorCode };
export { TRPCClientError };

export interface ClientOptions {
  /** Where the web app runs, for example http://localhost:3000. */
  url: string;
  /** An API token (`vs_...`) from Settings -> API tokens. */
  token: string;
  /** Team used when a call does not name one; defaults to your personal team. */
  teamId?: string;
  /** Route paths, when the app mounts them elsewhere. */
  paths?: Partial<typeof DEFAULT_PATHS>;
  fetch?: typeof fetch;
}

export const DEFAULT_PATHS = {
  trpc: TRPC_PATH,
  uploadImage: FILE_ROUTE_PATHS.images,
  uploadArchive: FILE_ROUTE_PATHS.archives,
  uploadWeight: FILE_ROUTE_PATHS.weights,
  download: FILE_ROUTE_PATHS.download,
  reportPdf: FILE_ROUTE_PATHS.reportPdf,
};

/**
 * An error answered by a file route: `status`, the stable `code` (the same list as tRPC errors'
 * `data.appCode`) and the message.
 */
export class FileRouteError extends Error {
  constructor(
    readonly status: number,
    readonly code: AppErrorCode,
    message: string,
    /** Extra detail some routes send, e.g. the import report of a refused .pth upload. */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "FileRouteError";
  }
}

const FINAL = new Set(["succeeded", "partially_failed", "failed", "canceled"]);

export interface WaitOptions {
  teamId?: string;
  /** Give up after this long (default 30 minutes). */
  timeoutMs?: number;
  /**
   * Pause between polls while the task runs, so its end is seen within one interval (default
   * 500 ms); while it waits in the queue the pause grows by 1.5x up to `maxIntervalMs` (5 s).
   */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Called after every poll with the task's state and progress (no items; see `Task`). */
  onProgress?: (status: TaskStatus) => void;
  signal?: AbortSignal;
}

type Body = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array>;

export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, "");
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const doFetch = options.fetch ?? fetch;
  const auth = { authorization: `Bearer ${options.token}` };

  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${base}${paths.trpc}`,
        transformer: superjson,
        headers: () => auth,
        fetch: doFetch,
        // The server refuses larger batches; more calls at once go out as several requests.
        maxItems: TRPC_MAX_BATCH_SIZE,
      }),
    ],
  });

  let defaultTeam: Promise<string> | undefined;
  /** The team a call uses: the given one, the client's, or the personal team. */
  function team(teamId?: string): Promise<string> {
    if (teamId) return Promise.resolve(teamId);
    if (options.teamId) return Promise.resolve(options.teamId);
    defaultTeam ??= trpc.auth.me.query().then((me) => {
      const personal = me.teams.find((t) => t.isPersonal) ?? me.teams[0];
      if (!personal) throw new Error("this account belongs to no team");
      return personal.id;
    });
    return defaultTeam;
  }

  async function call(
    path: string,
    query: Record<string, string | undefined>,
    init: RequestInit = {},
  ) {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const response = await doFetch(url, {
      ...init,
      headers: { ...auth, ...(init.headers as Record<string, string> | undefined) },
      ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    if (!response.ok) {
      const payload = (await response.json().catch(() => null)) as {
        error?: { code?: string; message?: string; details?: unknown };
      } | null;
      const code = payload?.error?.code;
      throw new FileRouteError(
        response.status,
        isAppErrorCode(code) ? code : appCodeForStatus(response.status),
        payload?.error?.message ?? `HTTP ${response.status}`,
        payload?.error?.details,
      );
    }
    return response;
  }

  async function downloadResponse(query: Record<string, string | undefined>) {
    return call(paths.download, query, { method: "GET" });
  }

  return {
    /** Every tRPC procedure, typed: `client.trpc.tasks.get.query({ teamId, taskId })`. */
    trpc,
    team,

    /** Uploads one image (bytes as they are; the server checks type and size from them). */
    async uploadImage(input: {
      data: Body;
      name: string;
      teamId?: string;
      datasetId?: string;
    }): Promise<UploadedImage> {
      const response = await call(
        paths.uploadImage,
        { teamId: await team(input.teamId), name: input.name, datasetId: input.datasetId },
        { method: "POST", body: input.data as RequestInit["body"] },
      );
      return ((await response.json()) as { image: UploadedImage }).image;
    },

    /** Creates a dataset and uploads the images into it, one request each. */
    async uploadDataset(input: {
      name: string;
      files: Array<{ name: string; data: Body }>;
      teamId?: string;
    }) {
      const teamId = await team(input.teamId);
      const dataset = await trpc.datasets.create.mutate({ teamId, name: input.name });
      const images: UploadedImage[] = [];
      for (const file of input.files) {
        images.push(
          await this.uploadImage({
            data: file.data,
            name: file.name,
            teamId,
            datasetId: dataset.id,
          }),
        );
      }
      return { dataset, images };
    },

    /** Uploads a zip as a new dataset (or into `datasetId`); layouts are recognised server-side. */
    async uploadArchive(input: { data: Body; name?: string; datasetId?: string; teamId?: string }) {
      const response = await call(
        paths.uploadArchive,
        { teamId: await team(input.teamId), name: input.name, datasetId: input.datasetId },
        { method: "POST", body: input.data as RequestInit["body"] },
      );
      return (await response.json()) as {
        dataset: { id: string; name: string };
        imported: number;
        report: { layout: string; classes: string[]; ignored: string[]; annotatedImages: number };
      };
    },

    /**
     * Uploads a weight and waits for the service's validation verdict. ONNX and NCNN need
     * `taskKind`, `name` and `family`; a PyTorch/safetensors state_dict needs `architecture`
     * (see `trpc.weights.architectures`) and takes those from it unless given. A refused
     * state_dict throws FileRouteError (422) whose `details` is the import report.
     */
    async uploadWeight(input: {
      data: Body;
      taskKind?: "segmentation" | "super_resolution" | "classification";
      name?: string;
      family?: string;
      version: string;
      teamId?: string;
      official?: boolean;
      specPreset?: string;
      spec?: unknown;
      description?: string;
      /** "ncnn": `data` is a zip holding one .param and one .bin; "pytorch" / "safetensors": a state_dict. */
      format?: "onnx" | "ncnn" | "pytorch" | "safetensors";
      /** Registry id for a state_dict, e.g. "octa-unet". */
      architecture?: string;
      /** The file's name (e.g. "unet.pth"), recorded in the import report. */
      fileName?: string;
      license?: string;
    }) {
      const response = await call(
        paths.uploadWeight,
        {
          ...(input.official ? { official: "1" } : { teamId: await team(input.teamId) }),
          taskKind: input.taskKind,
          name: input.name,
          family: input.family,
          version: input.version,
          specPreset: input.specPreset,
          spec: input.spec === undefined ? undefined : JSON.stringify(input.spec),
          description: input.description,
          license: input.license,
          format: input.format,
          architecture: input.architecture,
          fileName: input.fileName,
        },
        { method: "POST", body: input.data as RequestInit["body"] },
      );
      return ((await response.json()) as { weight: Weight }).weight;
    },

    /** The bytes of one result (the PNG, or a `variant` such as a probability map). */
    async downloadResult(input: {
      taskId: string;
      itemId: string;
      variant?: string;
      teamId?: string;
    }) {
      const response = await downloadResponse({
        type: "result",
        teamId: await team(input.teamId),
        id: input.taskId,
        itemId: input.itemId,
        variant: input.variant,
      });
      return new Uint8Array(await response.arrayBuffer());
    },

    /**
     * The original image exactly as uploaded, or with `rendition` an 8-bit WebP display copy:
     * `thumb` within 256 px, `display` within 2048 px.
     */
    async downloadImage(input: {
      imageId: string;
      teamId?: string;
      rendition?: "thumb" | "display";
    }) {
      const response = await downloadResponse({
        type: "image",
        teamId: await team(input.teamId),
        id: input.imageId,
        rendition: input.rendition,
      });
      return new Uint8Array(await response.arrayBuffer());
    },

    /** All results of a task as one zip, streamed. */
    async downloadTaskZip(input: { taskId: string; teamId?: string }) {
      const response = await downloadResponse({
        type: "task-zip",
        teamId: await team(input.teamId),
        id: input.taskId,
      });
      return response.body as ReadableStream<Uint8Array>;
    },

    /**
     * The task's report as a PDF made by the server (a finished task only), in English or
     * Chinese; dates in `timeZone` (an IANA zone, default UTC).
     */
    async downloadReportPdf(input: {
      taskId: string;
      teamId?: string;
      locale?: "en" | "zh-CN";
      timeZone?: string;
    }) {
      const response = await call(
        paths.reportPdf,
        {
          teamId: await team(input.teamId),
          id: input.taskId,
          locale: input.locale,
          timeZone: input.timeZone,
        },
        { method: "GET" },
      );
      return new Uint8Array(await response.arrayBuffer());
    },

    /**
     * The task with one page of its items, as `tasks.get` answers it. Polling, pass the last
     * answer as `previous`: the server then only says whether it is still current
     * (`tasks.getIfChanged`, one row read and a few bytes), and while it is, `previous` itself
     * comes back, so `task === previous` tells a poller that nothing changed.
     */
    async getTask(
      taskId: string,
      options: {
        teamId?: string;
        previous?: Task | null;
        itemsCursor?: number | null;
        itemsLimit?: number;
        signal?: AbortSignal;
      } = {},
    ): Promise<Task> {
      const { previous } = options;
      const answer = await trpc.tasks.getIfChanged.query(
        {
          teamId: await team(options.teamId),
          taskId,
          itemsCursor: options.itemsCursor,
          itemsLimit: options.itemsLimit,
          // Another task's answer, or another page's, is never current for this call.
          ifChanged: previous?.id === taskId ? previous.version : null,
        },
        { signal: options.signal },
      );
      if (answer.unchanged) return previous as Task;
      const { unchanged: _, ...task } = answer;
      return task;
    },

    /**
     * Polls `tasks.status` until the task reaches a final state (every `intervalMs` while it
     * runs, backing off while it is queued: see poll-interval.ts), then fetches the full task
     * (items included) once: polling stays cheap however many items the task has.
     */
    async waitForTask(taskId: string, wait: WaitOptions = {}): Promise<Task> {
      const teamId = await team(wait.teamId);
      const deadline = Date.now() + (wait.timeoutMs ?? 30 * 60_000);
      const pacing = {
        intervalMs: wait.intervalMs ?? 500,
        maxIntervalMs: wait.maxIntervalMs ?? 5_000,
      };
      let interval: number | null = null;
      for (;;) {
        wait.signal?.throwIfAborted();
        const status = await trpc.tasks.status.query({ teamId, taskId }, { signal: wait.signal });
        wait.onProgress?.(status);
        if (FINAL.has(status.status))
          return trpc.tasks.get.query(
            { teamId, taskId, itemsLimit: 1000 },
            { signal: wait.signal },
          );
        if (Date.now() >= deadline)
          throw new Error(`task ${taskId} is still ${status.status} after the time-out`);
        const pause = nextPollInterval(status.status, interval, pacing);
        interval = pause;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))),
        );
      }
    },
  };
}

export type StudioClient = ReturnType<typeof createClient>;
