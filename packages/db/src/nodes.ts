// The registry of inference nodes: every apps/inference process announces where it answers,
// what it runs on and how busy it is, and heartbeats while it lives. The API picks nodes for
// previews, validations and conversions from it; the status page shows it.
import type { DbOrTx } from "./client";

export interface NodeAnnouncement {
  id: string;
  /** Base URL other processes reach the node at. */
  url: string;
  hostname: string;
  pid: number;
  device: string;
  /** Execution providers the node can use, best first. */
  providers: readonly string[];
  /** How many previews, validations, conversions and tasks it runs at once. */
  capacity: number;
  version: string;
  /** How often it will heartbeat; silent for DOWN_AFTER_BEATS of these, it is down. */
  heartbeatMs: number;
  now?: Date;
}

/** Missed heartbeats after which a node counts as down (a busy node may miss one or two). */
export const DOWN_AFTER_BEATS = 5;

export interface NodeLoad {
  /** Work in progress now. */
  load: number;
  /** sha256 of the weights the node has loaded. */
  weights: readonly string[];
}

export type NodeState = "up" | "down" | "stopped";

export interface NodeStatus {
  id: string;
  url: string;
  hostname: string;
  pid: number;
  device: string;
  providers: string[];
  capacity: number;
  load: number;
  weights: string[];
  version: string;
  startedAt: Date;
  heartbeatAt: Date;
  /** up: heartbeating; stopped: shut down cleanly; down: stopped heartbeating (crashed, cut off). */
  state: NodeState;
}

/** Announces a node (again, after a restart with the same id: it rejoins). */
export async function registerNode(db: DbOrTx, node: NodeAnnouncement): Promise<void> {
  const now = node.now ?? new Date();
  const fields = {
    url: node.url,
    hostname: node.hostname,
    pid: node.pid,
    device: node.device,
    providers: JSON.stringify(node.providers),
    capacity: node.capacity,
    version: node.version,
    heartbeatMs: node.heartbeatMs,
    load: 0,
    weights: "[]",
    startedAt: now,
    heartbeatAt: now,
    stoppedAt: null,
  };
  await db.inferenceNode.upsert({
    where: { id: node.id },
    create: { id: node.id, ...fields },
    update: fields,
    select: { id: true },
  });
}

/** The node is alive, this busy, with these weights loaded; false if it is not registered. */
export async function nodeHeartbeat(
  db: DbOrTx,
  args: { id: string; now?: Date } & NodeLoad,
): Promise<boolean> {
  const { count } = await db.inferenceNode.updateMany({
    where: { id: args.id },
    data: {
      heartbeatAt: args.now ?? new Date(),
      load: args.load,
      weights: JSON.stringify(args.weights),
      stoppedAt: null,
    },
  });
  return count > 0;
}

/** A clean shutdown: the node is shown as stopped, not as down. */
export async function markNodeStopped(db: DbOrTx, args: { id: string; now?: Date }): Promise<void> {
  await db.inferenceNode.updateMany({
    where: { id: args.id },
    data: { stoppedAt: args.now ?? new Date(), load: 0 },
  });
}

/**
 * Every node heard of within `forgetAfterMs` (default a day), with its state: up when it did not
 * stop and heartbeated within its last DOWN_AFTER_BEATS beats.
 */
export async function listNodes(
  db: DbOrTx,
  args: { now?: Date; forgetAfterMs?: number } = {},
): Promise<NodeStatus[]> {
  const now = (args.now ?? new Date()).getTime();
  const rows = await db.inferenceNode.findMany({
    where: { heartbeatAt: { gte: new Date(now - (args.forgetAfterMs ?? 86_400_000)) } },
    orderBy: { id: "asc" },
    take: 500,
  });
  return rows.map(({ stoppedAt, providers, weights, heartbeatMs, ...row }) => ({
    ...row,
    providers: parseList(providers),
    weights: parseList(weights),
    state: stoppedAt
      ? "stopped"
      : row.heartbeatAt.getTime() >= now - DOWN_AFTER_BEATS * heartbeatMs
        ? "up"
        : "down",
  }));
}

function parseList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}
