"use client";

import { useMutation } from "@tanstack/react-query";
import { Pencil } from "lucide-react";
import { useState } from "react";
import { Form, formText, MutationFeedback, SubmitButton, TextField } from "~/components/form";
import { Button } from "~/components/ui/button";
import { Dialog, DialogContent, DialogTitle, DialogTrigger } from "~/components/ui/dialog";
import { useTeamPage } from "~/lib/use-team-page";

/** The header's rename button: a dialog with the name, saved with tasks.rename. */
export function RenameTask({ taskId, name }: { taskId: string; name: string }) {
  const { t, trpc, teamId, queryClient } = useTeamPage();
  const [open, setOpen] = useState(false);
  const rename = useMutation(
    trpc.tasks.rename.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        // The task page, the list and the dashboard all show the name.
        void queryClient.invalidateQueries({
          queryKey: trpc.tasks.get.queryKey({ teamId, taskId }),
        });
        void queryClient.invalidateQueries({ queryKey: trpc.tasks.list.pathKey() });
      },
    }),
  );
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) rename.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" data-testid="rename-task">
          <Pencil aria-hidden />
          {t("tasks.rename")}
        </Button>
      </DialogTrigger>
      <DialogContent closeLabel={t("common.close")}>
        <DialogTitle>{t("tasks.rename")}</DialogTitle>
        <Form
          className="grid gap-4"
          onValues={(values) =>
            rename.mutate({ teamId, taskId, name: formText(values, "name").trim() })
          }
        >
          <TextField
            id="task-name"
            name="name"
            label={t("tasks.renameLabel")}
            defaultValue={name}
            required
            maxLength={120}
            pattern=".*\S.*"
            autoFocus
          />
          <MutationFeedback error={rename.error} />
          <div className="flex justify-end gap-2">
            <Button type="button" variant="ghost" onClick={() => setOpen(false)}>
              {t("common.cancel")}
            </Button>
            <SubmitButton pending={rename.isPending} pendingLabel={t("common.saving")}>
              {t("common.save")}
            </SubmitButton>
          </div>
        </Form>
      </DialogContent>
    </Dialog>
  );
}
