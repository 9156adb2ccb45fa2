import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type AppRouter, appRouter } from "./root";
import { createCallerFactory } from "./trpc";

export { type Context, createInnerContext, createTRPCContext } from "./context";
export { type AppRouter, appRouter };

/** What each procedure takes and returns, for the browser and typed clients (types only). */
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Server-side caller: `createCaller(await createInnerContext({ db, userId, via }))`. */
export const createCaller = createCallerFactory(appRouter);
