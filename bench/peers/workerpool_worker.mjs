// workerpool's worker script: registers the shared bench tasks, plus the round trip that moves its
// answer back.
import workerpool from "workerpool";
import * as tasks from "../fixtures/pool_tasks.mjs";

workerpool.worker({
  ...tasks,
  echoMove: (bytes) => new workerpool.Transfer(tasks.echo(bytes), [bytes.buffer]),
});
