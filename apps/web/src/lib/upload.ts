export interface UploadProgress {
  loaded: number;
  total: number;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    /** Structured detail some routes add (the weight import report on a 422). */
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "UploadError";
  }
}

/**
 * Sends one file with XMLHttpRequest, because fetch cannot report upload progress yet.
 * The route handlers answer JSON; on failure `{ error: { code, message } }` or `{ message }`.
 */
export function uploadFile<T>(
  url: string,
  body: FormData | Blob,
  onProgress: (progress: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "text";
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total });
    };
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(json as T);
        return;
      }
      const body = json as {
        error?: { code?: string; message?: string; details?: unknown } | string;
        message?: string;
      } | null;
      const error = typeof body?.error === "object" ? body.error : null;
      const message =
        error?.message ??
        (typeof body?.error === "string" ? body.error : null) ??
        body?.message ??
        `${xhr.status} ${xhr.statusText}`;
      reject(new UploadError(message, xhr.status, error?.code ?? null, error?.details ?? null));
    };
    xhr.onerror = () =>
      reject(new UploadError("The upload was interrupted (network error).", 0, "network"));
    xhr.onabort = () => reject(new UploadError("The upload was canceled.", 0, "aborted"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
