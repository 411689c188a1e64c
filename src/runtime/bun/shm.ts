/**
 * Bun's libc binding for shared memory, through `bun:ffi` (loaded with `require` so that other
 * runtimes never see the import).
 *
 * @module
 */
import { createRequire } from "node:module";
import { cBuffer, libcShm } from "../_libc.ts";
import type { ShmNative } from "../shm.ts";

type _Sym = (...args: unknown[]) => unknown;
interface _BunFfi {
  dlopen<K extends string>(path: string, symbols: Record<K, { args: string[]; returns: string }>): {
    symbols: Record<K, _Sym>;
  };
  toArrayBuffer(ptr: number, offset: number, len: number): ArrayBuffer;
  read: { i32(ptr: number, offset: number): number };
}

/**
 * Binds libc through `bun:ffi`.
 *
 * @returns The binding, or a sentence saying why it cannot be made.
 * @internal
 */
export function loadBunNative(): ShmNative | string {
  try {
    const ffi = createRequire(import.meta.url)("bun:ffi") as _BunFfi;
    const { symbols: s } = ffi.dlopen("libc.so.6", {
      shm_open: { args: ["ptr", "i32", "u32"], returns: "i32" },
      shm_unlink: { args: ["ptr"], returns: "i32" },
      ftruncate: { args: ["i32", "i64"], returns: "i32" },
      lseek: { args: ["i32", "i64", "i32"], returns: "i64" },
      close: { args: ["i32"], returns: "i32" },
      mmap: { args: ["ptr", "u64", "i32", "i32", "i32", "i64"], returns: "i64" },
      syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i32" },
      __errno_location: { args: [], returns: "ptr" },
    });
    const errnoPtr = s.__errno_location() as number;
    return libcShm(s, {
      errno: () => ffi.read.i32(errnoPtr, 0),
      view: (addr, size) => ffi.toArrayBuffer(addr, 0, size),
      cstr: cBuffer,
      nullPtr: null,
    });
  } catch (e) {
    return `bun:ffi could not bind libc.so.6: ${(e as Error).message}`;
  }
}
