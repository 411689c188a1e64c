// Seed: 000_97b5717cba584803.txt (Pipes)
// Shows: Pipe() returns two connected ends; the child sends a message on one end and closes it,
// the parent receives it on the other.
// expect: \[ 42, null, ['"]hello['"] \]
import { type Connection, isMainProcess, Pipe, Process } from "../mod.ts";

export async function f(conn: Connection) {
  await conn.send([42, null, "hello"]);
  conn.close();
}

if (isMainProcess(import.meta)) {
  const [parentConn, childConn] = Pipe();
  const p = new Process({ target: f, args: [childConn] });
  p.start();
  console.log(await parentConn.recv()); // prints "[ 42, null, 'hello' ]"
  await p.join();
}
