/**
 * Large binary payloads between processes through shared memory instead of the socket.
 *
 * When a message frame (see `encodeFrame`) holds an ArrayBuffer, typed array or DataView of at least
 * {@linkcode BLOB_MIN_BYTES}, the sender writes its bytes to a private file in `/dev/shm` (tmpfs:
 * memory, never disk) and the frame carries only the file's name and length. The receiver checks the
 * name (a strict pattern: no path can be named), opens it without following links, checks that it is
 * a regular file of this user with mode 0600 and exactly the announced length, reads it into a fresh
 * ArrayBuffer (the one copy on the receiving side) and unlinks it. A file lives one hop: the process
 * that decodes the frame removes it, whether it forwards the value (a served Queue or Pipe) or keeps it.
 *
 * Files are named `mp-<root stamp>-b<32 hex>`, the form of the tree's shared-memory segments
 * (`src/runtime/liveness.ts`), so whatever a killed receiver never read is removed with the tree's
 * other segments: by the root at its exit, and by the sweep of dead trees. Without `/dev/shm`, when
 * it is full, or with `MULTIPROC_SHM=0`, the bytes travel inline in the frame as before.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import { runtime } from "../runtime/adapter.ts";
import { nameStamp, processStamp, stampGone } from "../runtime/liveness.ts";
import { privateEntry } from "../runtime/private_entry.ts";
import { randomHex } from "../runtime/crypto.ts";

/**
 * Payloads of at least this many bytes travel as files. Measured here (Pool round trips, one
 * runtime at a time, alternating): files win about 2x from 64 KiB up on Node and tie on Bun; at
 * 32 KiB they tie, so smaller payloads keep the socket and its fewer system calls.
 */
export const BLOB_MIN_BYTES: number = 64 * 1024;

/** Largest blob a receiver accepts (the frame limit: a peer cannot make us allocate more). */
export const BLOB_MAX_BYTES: number = 1024 * 1024 * 1024;

const _DIR = "/dev/shm/";
const _NAME = /^mp-\d{1,10}-\d{1,20}-\d{1,20}-b[0-9a-f]{32}$/;
const C = fs.constants;

// A child learns its tree from the address its parent hands over in MULTIPROC_CHILD, which the
// bootstrap deletes once read: capture it while this module loads (the bootstrap imports it first).
const _childEnv = runtime.getEnv("MULTIPROC_CHILD");
let _prefix: string | undefined;
let _disabled: boolean | undefined;
let _exitHook = false;

/** The tree root's stamp as this process knows it without the process node. */
function _rootStamp(): string {
  if (_childEnv) {
    const dir = _childEnv.split("\n")[0].split("/").slice(-2, -1)[0] ?? "";
    const s = nameStamp(dir, "multiproc");
    if (s) return s;
  }
  return processStamp(process.pid) ?? `${process.pid}-0-0`;
}

function _enabled(): boolean {
  if (_disabled === undefined) {
    _disabled = process.platform !== "linux" || runtime.getEnv("MULTIPROC_SHM") === "0";
  }
  return !_disabled;
}

/**
 * Writes `bytes` to a new private blob file.
 * @param bytes The payload.
 * @returns The file's name, or undefined when blobs are off or the file could not be written (the
 *   caller then sends the bytes inline).
 * @example
 * ```ts
 * import { readBlob, writeBlob } from "./blob.ts";
 * const name = writeBlob(new Uint8Array(1 << 20).fill(7));
 * if (name) console.log(readBlob(name, 1 << 20)[0]); // 7
 * ```
 */
export function writeBlob(bytes: Uint8Array): string | undefined {
  if (!_enabled()) return undefined;
  _prefix ??= `mp-${_rootStamp()}-b`;
  if (!_exitHook) {
    _exitHook = true;
    sweepDeadTreeBlobs();
    // The root removes what its tree's receivers never read (killed with frames in their socket).
    const prefix = _prefix;
    if (!_childEnv) runtime.onExit(() => unlinkTreeBlobs(prefix));
  }
  const name = _prefix + randomHex(16);
  let fd: number;
  try {
    fd = fs.openSync(_DIR + name, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  } catch (e) {
    // No /dev/shm, or not ours to write: stop trying. (Out of descriptors, say: just this one inline.)
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EPERM" || code === "EROFS") _disabled = true;
    return undefined;
  }
  try {
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    fs.closeSync(fd);
    return name;
  } catch {
    // Full (ENOSPC): this payload goes inline; the next one tries again.
    try {
      fs.closeSync(fd);
    } catch { /* closed */ }
    unlinkBlob(name);
    return undefined;
  }
}

/** The blob files each encoded frame refers to, so that a frame dropped unsent can remove them. */
export const frameBlobs: WeakMap<Uint8Array, string[]> = new WeakMap();

/**
 * Removes the blobs of a frame that will never be sent or never be decoded.
 * @param frame A frame from `encodeFrame`.
 * @example
 * ```ts
 * import { discardFrameBlobs } from "./blob.ts";
 * discardFrameBlobs(new Uint8Array(4)); // a frame without blobs: nothing to do
 * ```
 */
export function discardFrameBlobs(frame: Uint8Array): void {
  const names = frameBlobs.get(frame);
  if (names === undefined) return;
  frameBlobs.delete(frame);
  for (const n of names) unlinkBlob(n);
}

/** Thrown for a blob reference that does not name a usable file. */
export class BlobError extends Error {
  override name = "BlobError";
}

/**
 * Reads a blob file into a fresh buffer (it is not removed: see {@linkcode unlinkBlob}).
 * @param name The name from the frame.
 * @param length The length the frame announced.
 * @returns The bytes, over their own ArrayBuffer.
 * @throws {BlobError} If the name is not a blob name, or the file is missing, not a regular file of
 *   this user with mode 0600, or not exactly `length` bytes long.
 * @example
 * ```ts
 * import { BlobError, readBlob } from "./blob.ts";
 * try {
 *   readBlob("../../etc/passwd", 10);
 * } catch (e) {
 *   console.log(e instanceof BlobError); // true
 * }
 * ```
 */
export function readBlob(name: string, length: number): Uint8Array {
  if (!_NAME.test(name)) throw new BlobError(`Blob reference ${JSON.stringify(name.slice(0, 80))} is not a blob name`);
  if (!Number.isSafeInteger(length) || length < 0 || length > BLOB_MAX_BYTES) {
    throw new BlobError(`Blob ${name} announces ${length} bytes, more than the limit of ${BLOB_MAX_BYTES}`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted under the name must not block the open.
    fd = fs.openSync(_DIR + name, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new BlobError(
      `Blob ${name} cannot be opened (${code ?? String(e)}): it is gone (removed by a sweep?) or a symlink`,
    );
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new BlobError(`Blob ${name} is not a regular file`);
    if ((st.mode & 0o777) !== 0o600) {
      throw new BlobError(`Blob ${name} has mode ${(st.mode & 0o777).toString(8)}, not 600`);
    }
    if (process.getuid !== undefined && st.uid !== process.getuid()) {
      throw new BlobError(`Blob ${name} belongs to uid ${st.uid}, not to this user`);
    }
    if (st.size !== length) throw new BlobError(`Blob ${name} holds ${st.size} bytes, not the ${length} announced`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, done);
      if (n <= 0) throw new BlobError(`Blob ${name} ended after ${done} of ${length} bytes`);
      done += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes a blob file (best effort, never throws; only names of the blob pattern).
 * @param name The blob's name.
 * @example
 * ```ts
 * import { unlinkBlob } from "./blob.ts";
 * unlinkBlob("mp-1-2-3-b00000000000000000000000000000000"); // nothing to remove: no error
 * ```
 */
export function unlinkBlob(name: string): void {
  if (!_NAME.test(name)) return;
  try {
    fs.unlinkSync(_DIR + name);
  } catch { /* gone already */ }
}

/**
 * Removes every blob of the tree whose names start with `prefix` (`mp-<root stamp>-b`).
 * @param prefix The name prefix.
 * @returns How many were removed.
 * @example
 * ```ts
 * import { unlinkTreeBlobs } from "./blob.ts";
 * unlinkTreeBlobs("mp-1-2-3-b"); // 0
 * ```
 */
export function unlinkTreeBlobs(prefix: string): number {
  let n = 0;
  try {
    for (const entry of fs.readdirSync(_DIR)) {
      if (!entry.startsWith(prefix) || !_NAME.test(entry)) continue;
      try {
        const st = fs.lstatSync(_DIR + entry);
        if (!st.isFile() || (process.getuid !== undefined && st.uid !== process.getuid())) continue;
        fs.unlinkSync(_DIR + entry);
        n++;
      } catch { /* raced */ }
    }
  } catch { /* no /dev/shm */ }
  return n;
}

/**
 * Removes the blob files of process trees proven gone (their root stamp names a dead process), as
 * the first blob of each process does: a tree whose root was SIGKILLed could not remove its own.
 * @returns How many were removed.
 * @example
 * ```ts
 * import { sweepDeadTreeBlobs } from "./blob.ts";
 * sweepDeadTreeBlobs();
 * ```
 */
export function sweepDeadTreeBlobs(): number {
  let n = 0;
  try {
    const gone = new Map<string, boolean>();
    for (const entry of fs.readdirSync(_DIR)) {
      if (!_NAME.test(entry)) continue;
      const stamp = nameStamp(entry, "mp")!;
      if (!gone.has(stamp)) gone.set(stamp, stampGone(stamp) === true);
      if (!gone.get(stamp) || !privateEntry(_DIR + entry, "file")) continue;
      try {
        fs.unlinkSync(_DIR + entry);
        n++;
      } catch { /* raced with another sweeper */ }
    }
  } catch { /* no /dev/shm */ }
  return n;
}
