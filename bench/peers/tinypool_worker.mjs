// tinypool's worker file: the shared bench tasks, plus the round trip that moves its answer back.
import Tinypool from "tinypool";
import { echo } from "../fixtures/pool_tasks.mjs";

export * from "../fixtures/pool_tasks.mjs";

/** echo, handing the payload's memory back instead of copying it. */
export function echoMove(bytes) {
  return Tinypool.move(echo(bytes));
}
