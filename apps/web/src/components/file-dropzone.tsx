"use client";

import { CheckCircle2, RotateCcw, Upload, X, XCircle } from "lucide-react";
import { useLocale, useTranslations } from "next-intl";
import { useCallback, useRef, useState } from "react";
import { type Accept, useDropzone } from "react-dropzone";
import { Button } from "~/components/ui/button";
import { Progress } from "~/components/ui/progress";
import { useErrorMessage } from "~/lib/errors";
import { formatBytes } from "~/lib/format";
import type { UploadProgress } from "~/lib/upload";
import { cn } from "~/lib/utils";

type Entry = {
  id: number;
  file: File;
  state: "waiting" | "uploading" | "done" | "failed";
  loaded: number;
  error?: string;
};

export const IMAGE_ACCEPT: Accept = {
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg"],
  "image/webp": [".webp"],
  "image/bmp": [".bmp"],
  "image/tiff": [".tif", ".tiff"],
  "image/gif": [".gif"],
};
export const ARCHIVE_ACCEPT: Accept = {
  "application/zip": [".zip"],
  "application/x-zip-compressed": [".zip"],
};

/** Files upload two at a time: enough to keep the line busy without starving the server. */
const CONCURRENCY = 2;

/**
 * Drag-and-drop (or click, or keyboard) file picker that uploads each file on its own with
 * a progress bar and a per-file error. The server checks every file; the list shows what it said.
 */
export function FileDropzone<T>({
  upload,
  onUploaded,
  accept = { ...IMAGE_ACCEPT, ...ARCHIVE_ACCEPT },
  multiple = true,
  disabled,
  label,
}: {
  upload: (file: File, onProgress: (p: UploadProgress) => void) => Promise<T>;
  onUploaded?: (result: T, file: File) => void;
  accept?: Accept;
  multiple?: boolean;
  disabled?: boolean;
  label?: string;
}) {
  const t = useTranslations("upload");
  const locale = useLocale();
  const [entries, setEntries] = useState<Entry[]>([]);
  const nextId = useRef(1);
  const queue = useRef<Entry[]>([]);
  const active = useRef(0);

  const patch = useCallback((id: number, change: Partial<Entry>) => {
    setEntries((list) => list.map((e) => (e.id === id ? { ...e, ...change } : e)));
  }, []);

  const errorMessage = useErrorMessage();
  const pump = useCallback(() => {
    while (active.current < CONCURRENCY && queue.current.length > 0) {
      const entry = queue.current.shift() as Entry;
      active.current += 1;
      patch(entry.id, { state: "uploading", loaded: 0, error: undefined });
      upload(entry.file, (p) => patch(entry.id, { loaded: p.loaded }))
        .then((result) => {
          patch(entry.id, { state: "done", loaded: entry.file.size });
          onUploaded?.(result, entry.file);
        })
        .catch((error: unknown) => {
          patch(entry.id, {
            state: "failed",
            error: errorMessage(error),
          });
        })
        .finally(() => {
          active.current -= 1;
          pump();
        });
    }
  }, [upload, onUploaded, patch, errorMessage]);

  const enqueue = useCallback(
    (files: File[]) => {
      const added = files.map((file) => ({
        id: nextId.current++,
        file,
        state: "waiting" as const,
        loaded: 0,
      }));
      setEntries((list) => [...added, ...list]);
      queue.current.push(...added);
      pump();
    },
    [pump],
  );

  const { getRootProps, getInputProps, isDragActive, open } = useDropzone({
    onDrop: (accepted, rejected) => {
      enqueue([...accepted, ...rejected.map((r) => r.file)]);
    },
    // The server decides from the bytes; the browser filter only guides the file dialog.
    accept,
    multiple,
    disabled,
    noDragEventsBubbling: true,
    // The area takes clicks and drops; the keyboard reaches the button inside it instead, so
    // there is one control to tab to and it says what it does.
    noKeyboard: true,
  });

  return (
    <div className="grid gap-3">
      <div
        {...getRootProps({
          className: cn(
            "flex cursor-pointer flex-col items-center justify-center gap-2 rounded-lg border-2 border-dashed border-border px-6 py-8 text-center transition-colors hover:bg-muted/50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
            isDragActive && "border-primary bg-primary/5",
            disabled && "pointer-events-none opacity-50",
          ),
        })}
        data-testid="dropzone"
      >
        <input {...getInputProps()} aria-label={label ?? t("drop")} />
        <Upload className="size-6 text-muted-foreground" aria-hidden />
        <p className="text-sm font-medium">
          {isDragActive ? t("dropActive") : (label ?? t("drop"))}
        </p>
        <p className="text-xs text-muted-foreground">{t("accepted")}</p>
        {/* The app's own picker button and "no file chosen" line, in the page's language (the
            browser's native ones speak the browser's language); the native input stays in the
            page, visually hidden, for the dialog and for assistive technology. */}
        <div className="flex flex-wrap items-center justify-center gap-x-3 gap-y-1">
          <Button
            type="button"
            variant="outline"
            size="sm"
            disabled={disabled}
            data-testid="choose-files"
            onClick={(event) => {
              event.stopPropagation();
              open();
            }}
          >
            {t(multiple ? "chooseFiles" : "chooseFile")}
          </Button>
          <span className="text-xs text-muted-foreground" data-testid="chosen-files">
            {entries.length === 0 ? t("noFileChosen") : t("filesChosen", { count: entries.length })}
          </span>
        </div>
      </div>
      {entries.length > 0 ? (
        <ul className="grid gap-2" aria-live="polite" data-testid="upload-list">
          {entries.map((entry) => {
            const percent = entry.file.size
              ? Math.round((entry.loaded / entry.file.size) * 100)
              : 100;
            return (
              <li
                key={entry.id}
                className="grid gap-1.5 rounded-md border border-border px-3 py-2 text-sm"
                data-state={entry.state}
                data-file={entry.file.name}
              >
                <div className="flex items-center gap-2">
                  {entry.state === "done" ? (
                    <CheckCircle2 className="size-4 shrink-0 text-emerald-600" aria-hidden />
                  ) : entry.state === "failed" ? (
                    <XCircle className="size-4 shrink-0 text-destructive" aria-hidden />
                  ) : null}
                  {/* contain-inline-size: a long file name must not widen the page column. */}
                  <span className="min-w-0 flex-1 truncate font-medium contain-inline-size">
                    {entry.file.name}
                  </span>
                  <span className="shrink-0 text-xs text-muted-foreground">
                    {formatBytes(entry.file.size, locale)}
                  </span>
                  {entry.state === "failed" ? (
                    <Button
                      size="icon"
                      variant="ghost"
                      className="size-7"
                      aria-label={t("retry")}
                      onClick={() => {
                        queue.current.push(entry);
                        pump();
                      }}
                    >
                      <RotateCcw aria-hidden />
                    </Button>
                  ) : null}
                  {entry.state !== "uploading" ? (
                    <Button
                      size="icon"
                      variant="ghost"
                      className="size-7"
                      aria-label={t("remove", { name: entry.file.name })}
                      onClick={() => {
                        queue.current = queue.current.filter((e) => e.id !== entry.id);
                        setEntries((list) => list.filter((e) => e.id !== entry.id));
                      }}
                    >
                      <X aria-hidden />
                    </Button>
                  ) : null}
                </div>
                {entry.state === "uploading" || entry.state === "waiting" ? (
                  <Progress value={percent} aria-label={entry.file.name} />
                ) : null}
                <p
                  className={cn(
                    "text-xs",
                    entry.state === "failed" ? "text-destructive" : "text-muted-foreground",
                  )}
                  role={entry.state === "failed" ? "alert" : undefined}
                >
                  {entry.state === "waiting"
                    ? t("waiting")
                    : entry.state === "uploading"
                      ? t("uploading", { percent })
                      : entry.state === "done"
                        ? t("done")
                        : t("failed", { message: entry.error ?? "" })}
                </p>
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}
