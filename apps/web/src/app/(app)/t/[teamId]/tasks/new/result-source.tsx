"use client";

import { findProvenance, type ResultProvenance } from "@studio/core/image/provenance-read";
import { FileSearch } from "lucide-react";
import { useTranslations } from "next-intl";
import { useDropzone } from "react-dropzone";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { cn } from "~/lib/utils";

export type SourceNote = { tone: "success" | "info" | "error"; text: string } | null;

/**
 * A result file dropped or chosen here is read in the browser (its provenance is plain text in
 * the file: nothing is uploaded) and handed on, so its weight and parameters fill the form.
 */
export function ResultSource({
  onProvenance,
  note,
}: {
  onProvenance: (fileName: string, provenance: ResultProvenance | null) => void;
  note: SourceNote;
}) {
  const t = useTranslations("newTask.output");
  const { getRootProps, getInputProps, isDragActive, open } = useDropzone({
    multiple: false,
    noClick: true,
    onDrop: async (files) => {
      const file = files[0];
      if (!file) return;
      onProvenance(file.name, findProvenance(new Uint8Array(await file.arrayBuffer())));
    },
  });
  return (
    <div className="grid gap-2">
      <div
        {...getRootProps({
          className: cn(
            "grid gap-2 rounded-md border border-dashed p-3 text-sm",
            isDragActive && "border-primary bg-primary/5",
          ),
        })}
        data-testid="result-source"
      >
        <input
          {...getInputProps({ "aria-label": t("source") })}
          data-testid="result-source-input"
        />
        <p className="font-medium">{t("source")}</p>
        <p className="text-xs text-muted-foreground">{t("sourceHint")}</p>
        <div>
          <Button type="button" variant="outline" size="sm" onClick={open}>
            <FileSearch aria-hidden />
            {t("sourceChoose")}
          </Button>
        </div>
      </div>
      {note ? (
        <Alert variant={note.tone} data-testid="result-source-note">
          {note.text}
        </Alert>
      ) : null}
    </div>
  );
}
