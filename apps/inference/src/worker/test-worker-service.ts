// The setup the worker's end-to-end tests share: a service whose worker polls often with one
// slot and a lease long enough for a slow CI machine, a seeded team, and the worker started.
import { seedTeam } from "../test-fixtures";
import { startTestService, type TestService } from "../testing";

export async function startWorkerTestService(
  overrides: Record<string, string> = {},
): Promise<{ service: TestService; team: { userId: string; teamId: string } }> {
  const service = await startTestService({
    WORKER_POLL_MS: "50",
    WORKER_LEASE_MS: "5000",
    WORKER_CONCURRENCY: "1",
    ...overrides,
  });
  const team = await seedTeam(service.db);
  await service.worker.start();
  return { service, team };
}
