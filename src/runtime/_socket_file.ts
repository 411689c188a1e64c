/**
 * The socket file around a Unix listener, the same on every runtime: a stale file at the path is
 * removed before listening, the new one is made private (0600; its directory is 0700 anyway), and
 * closing the listener removes it. Each runtime's `net.ts` supplies only the listening itself.
 *
 * @module
 */
import * as fs from "node:fs";
import type { Listener } from "./adapter.ts";

function _remove(address: string): void {
  try {
    fs.unlinkSync(address);
  } catch { /* not there */ }
}

/**
 * Listens at a socket path.
 * @param address The socket path.
 * @param listen Starts listening at `address` (never keeping the process alive) and returns what
 * stops it.
 * @returns The listener; closing it stops listening and removes the file.
 */
export async function socketFileListener(
  address: string,
  listen: () => Promise<() => void> | (() => void),
): Promise<Listener> {
  _remove(address);
  const stop = await listen();
  try {
    fs.chmodSync(address, 0o600);
  } catch { /* the directory is 0700 anyway */ }
  return {
    address,
    close: () => {
      stop();
      _remove(address);
    },
  };
}
