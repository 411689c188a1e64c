/**
 * What a parent hands a child it spawns: the one-time token on the child's stdin, then the setup
 * message over the authenticated link (see docs/ARCHITECTURE.md, "A spawn, step by step").
 * `Process.start()` writes both; `child/bootstrap.ts` reads them.
 *
 * @module
 */
import type { ProcessNode } from "../core/node.ts";
import type { TargetSpec } from "../core/target.ts";

/** Length of a child's one-time token (sent on its stdin at spawn). @internal */
export const CHILD_TOKEN_BYTES = 32;

/** The identity part of the setup: what the child's node adopts. */
type _Identity = Parameters<ProcessNode["adopt"]>[0];

/** What the child needs to run: sent in the setup message. */
export interface ChildSetup extends _Identity {
  /** The parent process. */
  parent: { name: string; pid: number };
  /** What to run: a function or a `Process` subclass; null runs nothing. */
  target: TargetSpec | null;
  /** The encoded args (and a subclass instance's own fields). */
  payload: Uint8Array;
  /** Modules the child imports before decoding `payload` (they register the types it holds). */
  needs: string[];
}
