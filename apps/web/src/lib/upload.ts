import { RequestError, requestErrorFromBody } from "./errors";

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * @deprecated The error of a failed upload is a RequestError (lib/errors); show it with
 * `useErrorMessage`. This name stays for pages that still check `instanceof UploadError`.
 */
export const UploadError = RequestError;

/**
 * Sends one file with XMLHttpRequest, because fetch cannot report upload progress yet.
 * The route handlers answer JSON; a failure rejects with a RequestError carrying the route's
 * stable code, message and details, or the code `network` / `aborted` without an answer.
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
      reject(requestErrorFromBody(xhr.status, xhr.statusText, json));
    };
    xhr.onerror = () =>
      reject(new RequestError("The upload was interrupted (network error).", 0, "network"));
    xhr.onabort = () => reject(new RequestError("The upload was canceled.", 0, "aborted"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
