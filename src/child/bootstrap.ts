/**
 * What a child process runs: connect to the parent, authenticate with the one-time token, receive
 * the setup (identity, authkey, target, args), import the target's module as a non-main module,
 * run it, and exit with Python's codes (0 ok, 1 uncaught error, n for exit(n)).
 *
 * @module
 */
import process from "node:process";
import { runtime } from "../runtime/adapter.ts";
import { moduleBeside } from "../runtime/module_beside.ts";
import { startWatchdog } from "../runtime/watchdog.ts";
import { connectAuthenticated } from "../channel/auth.ts";
import { setTypeLoader } from "../channel/codec.ts";
import { Peer } from "../channel/peer.ts";
import { node } from "../core/node.ts";
import { importModule } from "../core/target.ts";
import { currentProcessObject, Process } from "../process.ts";
import { finishChildren } from "../process/current.ts";
import { CHILD_TOKEN_BYTES, type ChildSetup } from "../process/setup.ts";
import { errorReport, runTarget } from "./run_target.ts";
import { finishThreads } from "../thread/current.ts";

// The whole library: loaded when a message holds a library object of a type this child has not
// loaded yet (the target's module usually imports the library anyway).
const _LIBRARY = moduleBeside(import.meta.url, "../../mod.ts", "mod").href;

async function _connect(address: string): Promise<Awaited<ReturnType<typeof runtime.connect>>> {
  // The parent's listener may still be binding when we start: retry briefly.
  for (let i = 0;; i++) {
    try {
      return await runtime.connect(address);
    } catch (e) {
      if (i >= 200) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function _fail(e: unknown): never {
  process.stderr.write(errorReport(`Process ${node.name} (pid ${process.pid}) failed:`, e));
  return runtime.exit(1);
}

async function _main(): Promise<void> {
  const env = runtime.getEnv("MULTIPROC_CHILD");
  runtime.deleteEnv("MULTIPROC_CHILD");
  if (!env) {
    process.stderr.write(
      "This script is started by multiproc for its child processes; it is not meant to be run by hand.\n",
    );
    runtime.exit(2);
  }
  const [address, id] = env.split("\n");
  // The one-time token comes first on stdin (the parent writes it at spawn); the orphan watchdog,
  // started later, reads only what follows: nothing, until EOF.
  const token = runtime.readStdin(CHILD_TOKEN_BYTES);
  if (token.length !== CHILD_TOKEN_BYTES) runtime.exit(1); // the parent is gone
  const link = await connectAuthenticated(await _connect(address), token, { role: "child", id, pid: process.pid });
  let gotSetup!: (s: ChildSetup) => void;
  const setupArrived = new Promise<ChildSetup>((r) => (gotSetup = r));
  node.register("node", { call: (m, a) => m === "setup" && gotSetup(a[0] as ChildSetup) });
  setTypeLoader(() => importModule(_LIBRARY));
  const parentPeer = new Peer(link, (p, t, m, a) => node.dispatch(p, t, m, a), 0);
  let adopted = false;
  parentPeer.hold();
  parentPeer.onClose(() => adopted || runtime.exit(1));
  const setup = await setupArrived;
  adopted = true;
  parentPeer.release();
  node.adopt(setup, parentPeer);
  parentPeer.pid = setup.parent.pid;
  startWatchdog(setup.parent.pid);

  await runTarget(setup, currentProcessObject);
  await finishChildren();
  await finishThreads();
  for (const hook of node.beforeExit) await hook();
  runtime.exit(0);
}

void Process;
_main().catch(_fail);
