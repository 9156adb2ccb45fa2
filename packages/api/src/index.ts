import { appRouter } from "./root";
import { createCallerFactory } from "./trpc";

export { type Context, createInnerContext, createTRPCContext } from "./context";
export { type AppRouter, appRouter } from "./root";

/** Server-side caller: `createCaller(await createInnerContext({ db, userId, via }))`. */
export const createCaller = createCallerFactory(appRouter);
