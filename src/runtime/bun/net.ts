/**
 * Bun's native Unix sockets (`Bun.listen`/`Bun.connect`): the fastest transport Bun has here, and
 * no `node:net` to load in every child.
 *
 * @module
 */
import type { ByteStream, Listener } from "../adapter.ts";
import { socketFileListener } from "../_socket_file.ts";
import { unsentError, WriteProgress } from "../_write_progress.ts";

interface _Sock {
  data: _State;
  write(d: Uint8Array): number;
  end(): void;
  ref(): void;
  unref(): void;
}
interface _State {
  stream: ByteStream;
  onData?: (c: Uint8Array) => void;
  early: Uint8Array[];
  onClose?: () => void;
  onDrain?: () => void;
  pending: Uint8Array[];
  closed: boolean;
  /** Bytes written in total, and bytes the kernel has taken (Bun's socket.write does not buffer). */
  enq: number;
  sent: number;
  /** The owner's ref() state, and whether unsent bytes hold a ref of their own. */
  refd: boolean;
  held: boolean;
  progress: WriteProgress;
}
interface _Handlers {
  open(s: _Sock): void;
  data(s: _Sock, d: Uint8Array): void;
  drain(s: _Sock): void;
  close(s: _Sock): void;
  error(s: _Sock, e: Error): void;
}
declare const Bun: {
  listen(o: { unix: string; socket: _Handlers }): { stop(force?: boolean): void; unref(): void };
  connect(o: { unix: string; socket: _Handlers }): Promise<_Sock>;
};

function _flush(s: _Sock): void {
  const st = s.data;
  while (st.pending.length) {
    const d = st.pending[0];
    const n = s.write(d);
    if (n < 0) return;
    st.sent += n;
    if (n < d.length) {
      st.pending[0] = d.subarray(n);
      return;
    }
    st.pending.shift();
  }
  if (st.held) {
    st.held = false;
    if (!st.refd) s.unref();
  }
  st.progress.reached(st.sent);
}

function _state(s: _Sock): _State {
  const st: _State = {
    pending: [],
    early: [],
    closed: false,
    enq: 0,
    sent: 0,
    refd: false,
    held: false,
    progress: new WriteProgress(),
    stream: {
      write(d) {
        if (st.closed) return false;
        st.enq += d.length;
        if (st.pending.length) {
          st.pending.push(d);
          return false;
        }
        const n = s.write(d);
        if (n > 0) st.sent += n;
        if (n < d.length) {
          st.pending.push(n > 0 ? d.subarray(n) : d);
          // Bytes not yet in the kernel keep the process alive until they are (as libuv's write
          // requests do on Node): a process that ends by returning must not drop them.
          if (!st.held) {
            st.held = true;
            s.ref();
          }
        }
        return st.pending.length === 0;
      },
      flushed() {
        if (st.pending.length === 0) return undefined;
        if (st.closed) return Promise.reject(unsentError());
        return st.progress.until(st.enq);
      },
      onData: (cb) => {
        st.onData = cb;
        for (const c of st.early.splice(0)) cb(c);
      },
      onClose: (cb) => {
        st.onClose = cb;
        if (st.closed) cb();
      },
      onDrain: (cb) => void (st.onDrain = cb),
      close: () => {
        if (st.closed) return;
        if (!st.pending.length) s.end();
        else {
          const check = () => (st.pending.length && !st.closed ? setTimeout(check, 1) : s.end());
          check();
        }
      },
      ref: () => {
        st.refd = true;
        s.ref();
      },
      unref: () => {
        st.refd = false;
        if (!st.held) s.unref();
      },
    },
  };
  s.data = st;
  return st;
}

const _handlers = (onOpen?: (s: ByteStream) => void): _Handlers => ({
  open(s) {
    const st = _state(s);
    s.unref();
    onOpen?.(st.stream);
  },
  // Bun may reuse the chunk's memory after the callback: the frame reader keeps partial chunks.
  data(s, d) {
    const st = s.data;
    const copy = new Uint8Array(d);
    if (st.onData) st.onData(copy);
    else st.early.push(copy);
  },
  drain(s) {
    _flush(s);
    if (!s.data.pending.length) s.data.onDrain?.();
  },
  close(s) {
    const st = s.data;
    if (!st || st.closed) return;
    st.closed = true;
    st.progress.fail();
    st.onClose?.();
  },
  error(s) {
    s.end();
  },
});

/** Listens on a Unix socket path; the listener never keeps the process alive by itself. */
export function bunListen(address: string, onConnection: (s: ByteStream) => void): Promise<Listener> {
  return socketFileListener(address, () => {
    const server = Bun.listen({ unix: address, socket: _handlers(onConnection) });
    server.unref();
    return () => server.stop(true);
  });
}

/** Connects to a Unix socket path. */
export async function bunConnect(address: string): Promise<ByteStream> {
  const s = await Bun.connect({ unix: address, socket: _handlers() });
  return s.data.stream;
}
