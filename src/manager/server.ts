/**
 * What a manager process runs: it serves a root object that creates referents (dicts, lists,
 * queues, served locks, ...) and shuts the process down on request, or when its parent's link
 * closes (the parent died; the orphan watchdog covers SIGKILL too).
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import { node, type Ref, type Served } from "../core/node.ts";
import { resolveFunction, type TargetSpec } from "../core/target.ts";
import { StateError } from "../errors.ts";
import { moduleBeside } from "../runtime/module_beside.ts";
import { servedArray, servedDict, servedList, servedNamespace, servedValue } from "./data.ts";
import { managedRef } from "./proxies.ts";
import { ServedQueue } from "./queue.ts";
import { ServedBarrier, ServedCondition, ServedEvent, ServedLock, ServedSemaphore } from "../sync/served.ts";
import { _show } from "../sync/served/common.ts";

/** This module's URL: the manager process imports it to find {@linkcode runManagerServer}. */
export const SERVER_MODULE: string = moduleBeside(import.meta.url, "./server.ts", "manager_server").href;

type _Factory = (args: unknown[]) => Served | Promise<Served>;

function _conditionLock(lock: unknown): ServedLock | undefined {
  if (lock === undefined || lock === null) return undefined;
  const m = managedRef(lock);
  const served = m === undefined ? undefined : node.local(m.ref);
  if (!(served instanceof ServedLock)) {
    throw new TypeError("Manager.Condition() lock must be a Lock or RLock made by the same manager");
  }
  return served;
}

async function _barrier(args: unknown[]): Promise<Served> {
  const [parties, spec, timeout] = args as [number, TargetSpec | null, number | null];
  let action: (() => unknown) | undefined;
  if (spec !== null && spec !== undefined) {
    const f = spec as Record<string, unknown>;
    if (
      typeof spec !== "object" || f.k !== "fn" || typeof f.n !== "string" || typeof f.s !== "string" ||
      (f.m !== undefined && f.m !== null && typeof f.m !== "string")
    ) throw new TypeError("Manager.Barrier() action must be a function target");
    const fn = await resolveFunction(spec as TargetSpec & { k: "fn" });
    action = () => fn();
  }
  return new ServedBarrier(parties, { action, timeout, label: "manager Barrier" });
}

const _FACTORIES: Record<string, _Factory> = {
  dict: ([init]) => servedDict(init),
  list: ([init]) => servedList(init),
  namespace: ([init]) => servedNamespace(init),
  Queue: ([maxsize]) => new ServedQueue(maxsize ?? 0, "manager Queue"),
  JoinableQueue: ([maxsize]) => new ServedQueue(maxsize ?? 0, "manager JoinableQueue"),
  Value: ([code, v]) => servedValue(code, v),
  Array: ([code, init]) => servedArray(code, init),
  Lock: () => new ServedLock(false, "manager Lock"),
  RLock: () => new ServedLock(true, "manager RLock"),
  Semaphore: ([v]) => new ServedSemaphore((v ?? 1) as number, false, "manager Semaphore"),
  BoundedSemaphore: ([v]) => new ServedSemaphore((v ?? 1) as number, true, "manager BoundedSemaphore"),
  Event: () => new ServedEvent("manager Event"),
  Condition: ([lock]) => new ServedCondition(_conditionLock(lock), "manager Condition"),
  Barrier: _barrier,
};

/** The manager's root object: `create(kind, args)` → reference; `shutdown()`. */
class _Root implements Served {
  #stop: () => void;
  constructor(stop: () => void) {
    this.#stop = stop;
  }
  async call(method: string, args: unknown[], _peer: Peer | null): Promise<unknown> {
    if (method === "create") {
      const [kind, rest] = args as [string, unknown[]];
      const make = typeof kind === "string" && Object.hasOwn(_FACTORIES, kind) ? _FACTORIES[kind] : undefined;
      if (make === undefined) throw new TypeError(`A manager cannot create ${_show(kind)}`);
      if (!Array.isArray(rest)) throw new TypeError(`Manager.${kind}() arguments must be an array`);
      return node.serve(await make(rest));
    }
    if (method === "shutdown") {
      // Answer first; stop on a later turn so that the reply leaves.
      setTimeout(this.#stop, 10);
      return;
    }
    throw new StateError(`The manager has no method ${_show(method)}`);
  }
}

/**
 * The manager process's target: serve, report the root's reference to `ready`, and run until
 * `shutdown()` or until the parent goes away.
 *
 * @param ready A reference served by the parent; receives `ready(rootRef)`.
 * @returns When the manager stops.
 */
export async function runManagerServer(ready: Ref): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const root = node.serve(new _Root(() => stop()));
  await node.listening();
  const parent = await node.peer(node.parentAddress!);
  parent.hold(); // a server has nothing pending of its own: keep the process running
  parent.onClose(() => stop());
  await node.call(ready, "ready", [root]);
  await stopped;
  parent.release();
}
