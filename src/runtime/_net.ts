/**
 * Unix-socket streams over `node:net`, which Node, Deno and Bun all provide. The adapters share
 * it; a runtime may swap in its native socket API where that measures faster.
 *
 * @module
 */
import * as net from "node:net";
import * as fs from "node:fs";
import type { ByteStream, Listener } from "./adapter.ts";

function _wrap(sock: net.Socket): ByteStream {
  let closeCb: (() => void) | undefined;
  let closed = false;
  const fireClose = () => {
    if (closed) return;
    closed = true;
    closeCb?.();
  };
  sock.on("close", fireClose);
  sock.on("end", () => sock.end());
  sock.on("error", () => {
    sock.destroy();
    fireClose();
  });
  return {
    write: (data) => (closed ? false : sock.write(data)),
    onData: (cb) => void sock.on("data", cb),
    onClose: (cb) => {
      closeCb = cb;
      if (closed) cb();
    },
    onDrain: (cb) => void sock.on("drain", cb),
    close: () => {
      sock.end();
      sock.destroySoon?.();
    },
    ref: () => void sock.ref(),
    unref: () => void sock.unref(),
  };
}

/** Listens on a Unix socket path; the listener never keeps the process alive by itself. */
export function netListen(address: string, onConnection: (s: ByteStream) => void): Promise<Listener> {
  try {
    fs.unlinkSync(address);
  } catch { /* not there */ }
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => onConnection(_wrap(sock)));
    server.once("error", reject);
    server.listen(address, () => {
      server.off("error", reject);
      try {
        fs.chmodSync(address, 0o600);
      } catch { /* directory is 0700 anyway */ }
      server.unref();
      resolve({
        address,
        close: () => {
          server.close();
          try {
            fs.unlinkSync(address);
          } catch { /* gone */ }
        },
      });
    });
  });
}

/** Connects to a Unix socket path. */
export function netConnect(address: string): Promise<ByteStream> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(address);
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(_wrap(sock));
    });
  });
}
