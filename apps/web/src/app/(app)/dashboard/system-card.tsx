"use client";

import { useQuery } from "@tanstack/react-query";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { ErrorState, Loading } from "~/components/query-state";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { Progress } from "~/components/ui/progress";
import { formatBytes } from "~/lib/format";
import { useTRPC } from "~/trpc/react";

interface HostReport {
  cpu?: { model: string; cores: number; loadAverage: number[] };
  memory?: { totalBytes: number; freeBytes: number };
  gpu?: { cudaAvailable: boolean; devices: Array<{ name: string }> };
  providers?: Array<{ name: string } | string>;
}

export function SystemCard() {
  const t = useTranslations("dashboard");
  const format = useFormatter();
  const locale = useLocale();
  const trpc = useTRPC();
  // Refreshed slowly and only while the tab is visible (react-query pauses hidden tabs).
  const status = useQuery({ ...trpc.system.status.queryOptions(), refetchInterval: 10_000 });

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("system")}</CardTitle>
      </CardHeader>
      <CardContent>
        {status.isPending ? (
          <Loading />
        ) : status.error ? (
          <ErrorState error={status.error} onRetry={() => void status.refetch()} />
        ) : (
          (() => {
            const { queue, workers, inference } = status.data;
            const host = (inference.report ?? {}) as HostReport;
            const mem = host.memory;
            const used = mem ? mem.totalBytes - mem.freeBytes : 0;
            const device = host.gpu?.cudaAvailable
              ? `GPU (${host.gpu.devices.map((d) => d.name).join(", ") || "CUDA"})`
              : "CPU";
            return (
              <div className="grid gap-3 text-sm">
                {inference.reachable ? null : <Alert>{t("inferenceDown")}</Alert>}
                <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2">
                  <dt className="text-muted-foreground">{t("queued")}</dt>
                  <dd className="tabular-nums" data-testid="queue-queued">
                    {queue.tasks.queued ?? 0}
                  </dd>
                  <dt className="text-muted-foreground">{t("running")}</dt>
                  <dd className="tabular-nums">{queue.tasks.running ?? 0}</dd>
                  <dt className="text-muted-foreground">{t("workers")}</dt>
                  <dd className="tabular-nums">
                    {workers.alive}/{workers.total}
                  </dd>
                  {inference.reachable ? (
                    <>
                      <dt className="text-muted-foreground">{t("device")}</dt>
                      <dd data-testid="system-device">{device}</dd>
                      {host.cpu ? (
                        <>
                          <dt className="text-muted-foreground">{t("cpu")}</dt>
                          <dd>
                            {host.cpu.cores} × {host.cpu.model}
                          </dd>
                        </>
                      ) : null}
                    </>
                  ) : null}
                </dl>
                {mem ? (
                  <div className="grid gap-1">
                    <div className="flex justify-between text-muted-foreground">
                      <span>{t("memory")}</span>
                      <span className="tabular-nums">
                        {formatBytes(used, locale)} / {formatBytes(mem.totalBytes, locale)} (
                        {format.number(used / mem.totalBytes, { style: "percent" })})
                      </span>
                    </div>
                    <Progress value={(used / mem.totalBytes) * 100} aria-label={t("memory")} />
                  </div>
                ) : null}
              </div>
            );
          })()
        )}
      </CardContent>
    </Card>
  );
}
