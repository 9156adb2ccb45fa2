import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import { databaseProvider } from "./env";
import { createPostgresAdapter } from "./postgres-adapter";
import { createSqliteAdapter } from "./sqlite-adapter";

export type SchemaEngine = bindings.SchemaEngine;

type WasmExports = Record<string, unknown> & { __wbindgen_start: () => void };
/** The slice of the WebAssembly global used here (the project's lib has no DOM types). */
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: WasmExports } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * The package's entry imports the .wasm file as an ES module, which Node 20 only allows
 * behind --experimental-wasm-modules. Its JS bindings are also exported on their own, so the
 * module is instantiated here with those bindings as its imports and handed back to them.
 * Instantiation is keyed by the bindings module (not by this module) because test runners
 * may re-evaluate this file while Node keeps the bindings cached, and swapping the memory
 * under live bindings would corrupt them.
 */
const wasmRegistry = globalThis as {
  __studioSchemaEngineWasm?: WeakMap<object, Promise<void>>;
  __studioSchemaEngineTimers?: EngineTimers;
};
wasmRegistry.__studioSchemaEngineWasm ??= new WeakMap();
const loaded = wasmRegistry.__studioSchemaEngineWasm;

/**
 * The engine's timeouts are JS timers it never clears: on PostgreSQL it bounds its advisory
 * lock wait with a 10 s one, which would keep a finished `pnpm db:migrate` (or a test run)
 * alive for 10 s. Timers are recorded here, and those still pending when no engine is in use
 * any more are cleared (their futures are gone with the freed engine).
 */
interface EngineTimers {
  pending: Set<ReturnType<typeof setTimeout>>;
  enginesInUse: number;
}
wasmRegistry.__studioSchemaEngineTimers ??= { pending: new Set(), enginesInUse: 0 };
const timers = wasmRegistry.__studioSchemaEngineTimers;

/** The bindings as the module's imports, with the engine's setTimeout recorded in `timers`. */
function importsWithTrackedTimers(): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bindings };
  for (const [name, value] of Object.entries(imports)) {
    if (!name.startsWith("__wbg_setTimeout_") || typeof value !== "function") continue;
    const setTimer = value as (callback: () => void, ms: number) => ReturnType<typeof setTimeout>;
    imports[name] = (callback: () => void, ms: number) => {
      const timer = setTimer(() => {
        timers.pending.delete(timer);
        callback();
      }, ms);
      timers.pending.add(timer);
      return timer;
    };
  }
  return imports;
}

function clearIdleEngineTimers(): void {
  if (timers.enginesInUse > 0) return;
  for (const timer of timers.pending) clearTimeout(timer);
  timers.pending.clear();
}

async function instantiate(): Promise<void> {
  const require = createRequire(import.meta.url);
  const bindingsPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = await readFile(join(dirname(bindingsPath), "schema_engine_bg.wasm"));
  const { instance } = await wasmApi.instantiate(bytes, {
    "./schema_engine_bg.js": importsWithTrackedTimers(),
  });
  const panics = globalThis as {
    PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void };
  };
  panics.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      lastPanic = message;
    },
  };
  bindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
}
let lastPanic: string | undefined;

function ensureLoaded(): Promise<void> {
  let ready = loaded.get(bindings.SchemaEngine);
  if (!ready) {
    ready = instantiate();
    loaded.set(bindings.SchemaEngine, ready);
  }
  return ready;
}

export interface SchemaEngineOptions {
  databaseUrl: string;
  /** [path, content] of the Prisma schema files; only needed for schema-based commands. */
  schemaFiles?: [string, string][];
  onLog?: (line: string) => void;
}

/**
 * Runs `use` with Prisma's schema engine (WebAssembly) connected to the store of `databaseUrl`
 * (a SQLite file or a PostgreSQL database) through the driver adapter, then frees the engine
 * and closes its connections.
 */
export async function withSchemaEngine<T>(
  options: SchemaEngineOptions,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await ensureLoaded();
  const factory =
    databaseProvider(options.databaseUrl) === "postgresql"
      ? createPostgresAdapter(options.databaseUrl, { introspection: true })
      : createSqliteAdapter(options.databaseUrl);
  timers.enginesInUse += 1;
  try {
    const engine = await bindings.SchemaEngine.new(
      { datamodels: options.schemaFiles },
      (line: string) => options.onLog?.(line),
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    try {
      return await use(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw withPanic(error);
  } finally {
    await factory.disposeAll();
    timers.enginesInUse -= 1;
    clearIdleEngineTimers();
  }
}

/** Wasm panics surface as "unreachable"; attach the message the engine recorded. */
export function withPanic(error: unknown): unknown {
  if (lastPanic && error instanceof Error && !error.message.includes(lastPanic)) {
    error.message = `${error.message} (${lastPanic})`;
    lastPanic = undefined;
  }
  return error;
}
