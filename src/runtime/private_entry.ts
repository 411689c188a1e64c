/**
 * The test a sweep applies before it removes a file or directory it did not just make: private to
 * this user, of the kind and mode this library creates.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";

/**
 * Whether a sweep may remove `path`: a real directory (mode exactly 0700) or regular file (exactly
 * 0600), not a symlink, owned by this uid. Anything else was not made by this library as this user.
 * @param path The entry.
 * @param kind What it must be.
 * @returns Whether it passes.
 * @example
 * ```ts
 * privateEntry("/dev/shm/mp-12345-678901-4026531836-00ff00ff", "file");
 * ```
 */
export function privateEntry(path: string, kind: "dir" | "file"): boolean {
  try {
    const st = fs.lstatSync(path);
    if (kind === "dir" ? !st.isDirectory() : !st.isFile()) return false;
    if ((st.mode & 0o777) !== (kind === "dir" ? 0o700 : 0o600)) return false;
    return process.getuid === undefined || st.uid === process.getuid();
  } catch {
    return false;
  }
}
