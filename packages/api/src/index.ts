import { appRouter } from "./root";
import { createCallerFactory } from "./trpc";

export { appRouter, type AppRouter } from "./root";
export { createInnerContext, createTRPCContext, type Context } from "./context";

/** Server-side caller: `createCaller(await createInnerContext({ db, userId, via }))`. */
export const createCaller = createCallerFactory(appRouter);
