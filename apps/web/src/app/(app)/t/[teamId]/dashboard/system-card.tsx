"use client";

import { useQuery } from "@tanstack/react-query";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { Fact, FactList } from "~/components/facts";
import { QueryView } from "~/components/query-state";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Progress } from "~/components/ui/progress";
import { formatBytes } from "~/lib/format";
import { useTRPC } from "~/trpc/react";

export function SystemCard() {
  const t = useTranslations("dashboard");
  const format = useFormatter();
  const locale = useLocale();
  const trpc = useTRPC();
  // Refreshed slowly and only while the tab is visible (react-query pauses hidden tabs).
  const status = useQuery({ ...trpc.system.status.queryOptions(), refetchInterval: 10_000 });

  return (
    <TitledCard title={t("system")}>
      <QueryView query={status}>
        {({ queue, workers, nodes, inference }) => {
          // The full report (site admins) and the summary share these fields.
          const host = inference.report;
          const mem = host?.memory;
          const used = mem ? mem.totalBytes - mem.freeBytes : 0;
          const device = host?.gpu.cudaAvailable
            ? `GPU (${host.gpu.devices.map((d) => d.name).join(", ") || "CUDA"})`
            : "CPU";
          return (
            <div className="grid gap-3 text-sm">
              {inference.reachable ? null : <Alert>{t("inferenceDown")}</Alert>}
              <FactList>
                <Fact label={t("queued")} className="tabular-nums" testId="queue-queued">
                  {queue.tasks.queued ?? 0}
                </Fact>
                <Fact label={t("running")} className="tabular-nums">
                  {queue.tasks.running ?? 0}
                </Fact>
                <Fact label={t("workers")} className="tabular-nums">
                  {workers.alive}/{workers.total}
                </Fact>
                {nodes.total > 0 ? (
                  <Fact label={t("nodes")} className="tabular-nums" testId="nodes-up">
                    {nodes.up}/{nodes.total}
                  </Fact>
                ) : null}
                {inference.reachable ? (
                  <>
                    <Fact label={t("device")} testId="system-device">
                      {device}
                    </Fact>
                    {host ? (
                      <Fact label={t("cpu")}>
                        {/* translate="no": names of machines, not words of the page. */}
                        {host.cpu.cores} × <span translate="no">{host.cpu.model}</span>
                      </Fact>
                    ) : null}
                  </>
                ) : null}
              </FactList>
              {nodes.list.length > 0 ? (
                <ul className="grid gap-1" data-testid="node-list">
                  {nodes.list.map((node) => (
                    <li key={node.id} className="flex min-w-0 items-center justify-between gap-2">
                      <span className="truncate" title={node.url} translate="no">
                        {node.hostname} · {node.device.toUpperCase()}
                      </span>
                      <span className="flex shrink-0 items-center gap-2 text-muted-foreground">
                        {node.state === "up" ? (
                          <span className="tabular-nums">
                            {t("nodeLoad", { load: node.load, capacity: node.capacity })}
                          </span>
                        ) : null}
                        <Badge
                          tone={
                            node.state === "up"
                              ? "success"
                              : node.state === "down"
                                ? "danger"
                                : "neutral"
                          }
                          data-testid={`node-state-${node.state}`}
                        >
                          {t(`nodeState.${node.state}`)}
                        </Badge>
                      </span>
                    </li>
                  ))}
                </ul>
              ) : null}
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
        }}
      </QueryView>
    </TitledCard>
  );
}
