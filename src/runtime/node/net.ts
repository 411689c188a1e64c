/**
 * Node's Unix-socket streams, through `node:net`. (Deno and Bun have their own `net.ts` over their
 * native socket APIs, which measure faster there than their `node:net`.)
 *
 * @module
 */
import * as net from "node:net";
import type { ByteStream, Listener } from "../adapter.ts";
import { socketFileListener } from "../_socket_file.ts";
import { unsentError, WriteProgress } from "../_write_progress.ts";

function _wrap(sock: net.Socket): ByteStream {
  let closeCb: (() => void) | undefined;
  let closed = false;
  // Write callbacks run in write order once libuv has handed the bytes to the kernel, so counting
  // them tells how far the kernel has got. One shared callback: Node batches the callbacks of
  // consecutive synchronous writes when they are the same function.
  let issued = 0;
  let done = 0;
  const progress = new WriteProgress();
  const written = (err?: Error | null) => {
    done++;
    if (err) progress.fail(err);
    else progress.reached(done);
  };
  const fireClose = () => {
    if (closed) return;
    closed = true;
    progress.fail();
    closeCb?.();
  };
  sock.on("close", fireClose);
  sock.on("end", () => sock.end());
  sock.on("error", () => {
    sock.destroy();
    fireClose();
  });
  return {
    write: (data) => {
      if (closed) return false;
      issued++;
      return sock.write(data, written);
    },
    flushed: () => {
      // writableLength counts the bytes libuv has not yet handed to the kernel.
      // A write that failed at once (EPIPE) destroys the socket synchronously: its bytes are lost.
      if (sock.writableLength === 0 && !sock.destroyed) return undefined;
      if (closed || sock.destroyed) return Promise.reject(unsentError());
      return progress.until(issued);
    },
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
export function nodeListen(address: string, onConnection: (s: ByteStream) => void): Promise<Listener> {
  return socketFileListener(address, () =>
    new Promise((resolve, reject) => {
      const server = net.createServer((sock) => onConnection(_wrap(sock)));
      server.once("error", reject);
      server.listen(address, () => {
        server.off("error", reject);
        server.unref();
        resolve(() => server.close());
      });
    }));
}

/** Connects to a Unix socket path. */
export function nodeConnect(address: string): Promise<ByteStream> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(address);
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(_wrap(sock));
    });
  });
}
