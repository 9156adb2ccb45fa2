// This process as a node of the installation: registered in the store with where it answers,
// its device and size, then a heartbeat with its load and loaded weights, so the web app can
// route work to it and the status page can show it. A node that stops heartbeating is shown as
// down; restarted with the same NODE_ID (default hostname:port) it rejoins.
import os from "node:os";
import type { Db } from "@studio/db/client";
import { markNodeStopped, type NodeLoad, nodeHeartbeat, registerNode } from "@studio/db/nodes";
import type { InferenceEnv } from "./env";
import type { Logger } from "./logger";
import { SERVICE_VERSION } from "./version";

export interface NodeRegistryOptions {
  db: Db;
  config: InferenceEnv;
  logger: Logger;
  /** The port the HTTP API listens on (known once it listens). */
  port: number;
  device: string;
  providers: readonly string[];
  /** Work in progress and loaded weights now. */
  load(): NodeLoad;
}

/** The URL other processes reach this node at (INFERENCE_PUBLIC_URL, else from host and port). */
export function publicUrl(config: InferenceEnv, port: number): string {
  if (config.INFERENCE_PUBLIC_URL) return config.INFERENCE_PUBLIC_URL.replace(/\/+$/, "");
  const wildcard = config.INFERENCE_HOST === "0.0.0.0" || config.INFERENCE_HOST === "::";
  const host = wildcard ? os.hostname() : config.INFERENCE_HOST;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export class NodeRegistration {
  readonly id: string;
  readonly url: string;
  private timer: NodeJS.Timeout | undefined;
  private registered = false;

  constructor(private readonly options: NodeRegistryOptions) {
    this.url = publicUrl(options.config, options.port);
    this.id = options.config.NODE_ID ?? `${os.hostname()}:${options.port}`;
  }

  /** Registers now (or at the next beat, if the store cannot be reached) and keeps beating. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.config.NODE_HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Stops beating without a word, as a node that crashed or was cut off would. */
  halt(): void {
    clearInterval(this.timer);
  }

  /** A clean shutdown: the registry shows the node as stopped. */
  async stop(): Promise<void> {
    this.halt();
    if (this.registered) await markNodeStopped(this.options.db, { id: this.id }).catch(() => {});
  }

  private async beat(): Promise<void> {
    const { db, config, logger } = this.options;
    try {
      // A row that went missing (a store restored from backup, a pruned registry) is written
      // again rather than left out.
      if (this.registered && (await nodeHeartbeat(db, { id: this.id, ...this.options.load() })))
        return;
      await registerNode(db, {
        id: this.id,
        url: this.url,
        hostname: os.hostname(),
        pid: process.pid,
        device: this.options.device,
        providers: this.options.providers,
        capacity:
          config.PREVIEW_MAX_CONCURRENT + (config.WORKER_ENABLED ? config.WORKER_CONCURRENCY : 0),
        version: SERVICE_VERSION,
        heartbeatMs: config.NODE_HEARTBEAT_MS,
      });
      if (!this.registered) logger.info({ nodeId: this.id, url: this.url }, "node registered");
      this.registered = true;
    } catch (error) {
      logger.warn({ err: error }, "node heartbeat failed; the store cannot be reached");
    }
  }
}
