// Seed: 003_d11a23a09cad837b.txt (多线程socket聊天: server and client)
// Shows: a chat server that starts one `Thread` per accepted connection; the thread says "hello",
// reads the client's reply and prints it. The client program runs in three more threads, which
// open their own sockets.
// Adapted: Python passes the accepted socket itself to the thread (threads share every object); a
// JavaScript socket cannot move to another thread, so the main thread keeps it and relays between
// it and a `Pipe`, whose other end the handler thread gets: the thread's code is the seed's
// func(conn) with `conn` a Connection. The clients send a fixed line instead of reading input(),
// and the server stops after three clients instead of looping forever. Everything stays on
// 127.0.0.1 (any free port).
// expect: ^(?=(?:[\s\S]*?hello\n){3})(?:[\s\S]*?hi from client \d \(in thread \d+\)){3}
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { type Connection, currentThread, isMainProcess, Pipe, Thread } from "../mod.ts";

// Server side: runs in a thread per client.
export async function func(conn: Connection) {
  await conn.send("hello");
  const msg = await conn.recv() as string;
  console.log(msg, `(in thread ${currentThread().ident})`);
  conn.close();
}

// The client program (a thread of its own, with its own socket).
export async function client(port: number, line: string) {
  const sk = connect(port, "127.0.0.1");
  const ret = await new Promise<Buffer>((r) => sk.once("data", r));
  console.log(ret.toString("utf8"));
  await new Promise<void>((r) => sk.end(line, r)); // msg = input('>>>')
}

if (isMainProcess(import.meta)) {
  const CLIENTS = 3;
  const handlers: Thread[] = [];
  const sk = createServer((sock: Socket) => {
    const [mine, theirs] = Pipe();
    const t = new Thread({ target: func, args: [theirs] });
    t.start();
    handlers.push(t);
    // The relay: the thread's greeting to the socket, the client's reply to the thread.
    void (async () => {
      sock.write(await mine.recv() as string);
      const reply = await new Promise<Buffer>((r) => sock.once("data", r));
      await mine.send(reply.toString("utf8"));
      mine.close();
      sock.end();
    })();
  });
  await new Promise<void>((r) => sk.listen(0, "127.0.0.1", r));
  const port = (sk.address() as AddressInfo).port;

  const clients = Array.from(
    { length: CLIENTS },
    (_, i) => new Thread({ target: client, args: [port, `hi from client ${i}`] }),
  );
  for (const c of clients) c.start();
  for (const c of clients) await c.join();
  for (const t of handlers) await t.join();
  sk.close();
}
