import type { Metrics } from "../metrics";
import type { RouteModule } from "../server";
import { type SystemSources, systemReport } from "../system";

/** GET /metrics (Prometheus text) and GET /v1/system (the UI's status panel). */
export function opsRoutes(deps: { metrics: Metrics; system: () => SystemSources }): RouteModule {
  return (app) => {
    app.get("/metrics", async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.header("content-type", deps.metrics.registry.contentType).send(text);
    });
    app.get("/v1/system", async () => systemReport(deps.system()));
  };
}
