import { accountRouter } from "./routers/account";
import { authRouter } from "./routers/auth";
import { datasetsRouter } from "./routers/datasets";
import { imagesRouter } from "./routers/images";
import { inferenceRouter } from "./routers/inference";
import { presetsRouter } from "./routers/presets";
import { systemRouter } from "./routers/system";
import { tasksRouter } from "./routers/tasks";
import { teamsRouter } from "./routers/teams";
import { weightsRouter } from "./routers/weights";
import { router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  teams: teamsRouter,
  images: imagesRouter,
  datasets: datasetsRouter,
  weights: weightsRouter,
  presets: presetsRouter,
  tasks: tasksRouter,
  inference: inferenceRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
