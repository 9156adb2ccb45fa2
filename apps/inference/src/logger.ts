/// <reference path="./types/pino-roll.d.ts" />
import { mkdirSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import pinoRoll from "pino-roll";
import type { InferenceEnv } from "./env";

export type { Logger };

type LogConfig = Pick<
  InferenceEnv,
  "LOG_LEVEL" | "LOG_TO_FILE" | "LOG_FILE_SIZE" | "LOG_FILE_COUNT" | "DATA_DIR"
>;

/**
 * JSON lines to stdout and to size-rotated files under DATA_DIR/logs. The file stream is
 * built in this thread (not as a pino worker transport) so that a crash or SIGTERM flushes it.
 */
export async function createLogger(
  config: LogConfig,
  name = "inference",
): Promise<{ logger: Logger; close: () => void }> {
  const streams: pino.StreamEntry[] = [
    { level: config.LOG_LEVEL as pino.Level, stream: process.stdout },
  ];
  let roll: Awaited<ReturnType<typeof pinoRoll>> | undefined;
  if (config.LOG_TO_FILE && config.LOG_LEVEL !== "silent") {
    const dir = path.join(config.DATA_DIR, "logs");
    mkdirSync(dir, { recursive: true });
    roll = await pinoRoll({
      file: path.join(dir, name),
      extension: ".log",
      size: config.LOG_FILE_SIZE,
      limit: { count: config.LOG_FILE_COUNT },
      mkdir: true,
    });
    streams.push({ level: config.LOG_LEVEL as pino.Level, stream: roll });
  }
  const logger = pino(
    {
      level: config.LOG_LEVEL,
      base: { service: name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.multistream(streams),
  );
  return {
    logger,
    close: () => {
      try {
        roll?.flushSync();
      } catch {
        // The stream may not be open yet; nothing to flush then.
      }
      roll?.end();
    },
  };
}
