/**
 * The {@linkcode ShmNative} every runtime's binding makes from the same libc functions: each binding
 * (`runtime/<rt>/shm.ts`) only binds them through its own FFI; the calls, the `-errno` convention
 * and the `mmap` arguments are here once.
 *
 * @module
 */
import type { ShmNative } from "./shm.ts";

/** A bound libc function as the runtime's FFI calls it (64-bit results may come back as bigints). */
type _Fn = (...args: any[]) => unknown;

/** The libc functions a binding binds, under their C names. */
export type LibcFunctions = Record<
  "shm_open" | "shm_unlink" | "ftruncate" | "lseek" | "close" | "mmap" | "syscall",
  _Fn
>;

/** How a binding's FFI passes what differs between them. */
export interface LibcFfi {
  /** The calling thread's `errno`. */
  errno(): number;
  /** An ArrayBuffer over `size` bytes at `addr`, without copying. */
  view(addr: number, size: number): ArrayBuffer;
  /** A C string argument, as this FFI takes it (a NUL-terminated buffer, or the string itself). */
  cstr(name: string): unknown;
  /** `NULL` as a pointer argument. */
  nullPtr: null | 0;
}

/**
 * Wraps the bound libc functions as a {@linkcode ShmNative}: failures as `-errno`.
 *
 * @param f The bound functions.
 * @param ffi What differs between the runtimes' FFIs.
 * @returns The binding.
 * @example
 * ```ts
 * // in runtime/bun/shm.ts: libcShm(symbols, { errno, view, cstr, nullPtr: null })
 * ```
 */
export function libcShm(f: LibcFunctions, ffi: LibcFfi): ShmNative {
  const { errno, cstr } = ffi;
  const check = (r: number): number => (r < 0 ? -errno() : r);
  return {
    shmOpen: (name, flags, mode) => check(f.shm_open(cstr(name), flags, mode) as number),
    shmUnlink: (name) => check(f.shm_unlink(cstr(name)) as number),
    ftruncate: (fd, size) => check(f.ftruncate(fd, size) as number),
    seekEnd: (fd) => check(Number(f.lseek(fd, 0, 2))),
    close: (fd) => void f.close(fd),
    mmapShared: (fd, size) => {
      const addr = Number(f.mmap(ffi.nullPtr, size, 3, fd < 0 ? 0x21 : 0x01, fd, 0));
      return addr === -1 ? -errno() : addr;
    },
    view: ffi.view,
    syscall: (n, a1, a2, a3, a4, a5) => check(f.syscall(n, a1, a2, a3, a4, a5, 0) as number),
  };
}

const _enc = new TextEncoder();

/**
 * A NUL-terminated UTF-8 copy of `s`, for FFIs that take a C string as a buffer.
 * @param s The string.
 * @returns Its bytes and a NUL.
 */
export function cBuffer(s: string): Uint8Array {
  return _enc.encode(s + "\0");
}
