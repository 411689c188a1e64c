// Seed: 003_d11a23a09cad837b.txt (进程池版socket并发聊天: server and client)
// Shows: a chat server that hands each client's message to a Pool worker, with the client program
// run as three Process children.
// Adapted: Python passes the accepted socket itself to the worker (pickled as a file descriptor);
// a socket is not a structured-clone value, so here the main process keeps the sockets (it only
// says "hello" and reads the reply) and a pool worker handles each reply. The clients send a fixed
// line instead of reading input(), and the server stops after three clients instead of looping
// forever. Everything stays on 127.0.0.1 (any free port).
// expect: ^(?=(?:[\s\S]*?hello\n){3})(?:[\s\S]*?hi from client \d \(handled by worker \d+\)){3}
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import process from "node:process";
import { isMainProcess, Pool, Process } from "../mod.ts";

// Server side: runs in a pool worker.
export function func(msg: string) {
  console.log(msg, `(handled by worker ${process.pid})`);
}

// The client program.
export async function client(port: number, line: string) {
  const sk = connect(port, "127.0.0.1");
  const ret = await new Promise<Buffer>((r) => sk.once("data", r));
  console.log(ret.toString("utf8"));
  await new Promise<void>((r) => sk.end(line, r)); // msg = input('>>>>')
}

if (isMainProcess(import.meta)) {
  const CLIENTS = 3;
  const p = new Pool(5);
  const done: Promise<void>[] = [];
  const sk = createServer((conn: Socket) => {
    conn.write("hello");
    done.push(
      new Promise((r) => {
        conn.once("data", (msg) => {
          p.applyAsync(func, [msg.toString("utf8")]);
          conn.end();
          r();
        });
      }),
    );
  });
  await new Promise<void>((r) => sk.listen(0, "127.0.0.1", r));
  const port = (sk.address() as AddressInfo).port;

  const clients = Array.from(
    { length: CLIENTS },
    (_, i) => new Process({ target: client, args: [port, `hi from client ${i}`] }),
  );
  for (const c of clients) c.start();
  for (const c of clients) await c.join();

  await Promise.all(done);
  sk.close();
  p.close();
  await p.join();
}
