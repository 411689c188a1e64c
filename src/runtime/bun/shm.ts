/**
 * Bun's libc binding for shared memory, through `bun:ffi` (loaded with `require` so that other
 * runtimes never see the import).
 *
 * @module
 */
import { createRequire } from "node:module";
import type { ShmNative } from "../shm.ts";

type _Sym = (...args: unknown[]) => unknown;
interface _BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, _Sym>;
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
    const errno = (): number => ffi.read.i32(errnoPtr, 0);
    const check = (r: number): number => (r < 0 ? -errno() : r);
    const enc = new TextEncoder();
    const cstr = (name: string): Uint8Array => enc.encode(name + "\0");
    return {
      shmOpen: (name, flags, mode) => check(s.shm_open(cstr(name), flags, mode) as number),
      shmUnlink: (name) => check(s.shm_unlink(cstr(name)) as number),
      ftruncate: (fd, size) => check(s.ftruncate(fd, size) as number),
      seekEnd: (fd) => check(Number(s.lseek(fd, 0, 2))),
      close: (fd) => void s.close(fd),
      mmapShared: (fd, size) => {
        const addr = Number(s.mmap(null, size, 3, fd < 0 ? 0x21 : 0x01, fd, 0));
        return addr === -1 ? -errno() : addr;
      },
      view: (addr, size) => ffi.toArrayBuffer(addr, 0, size),
      syscall: (n, a1, a2, a3, a4, a5) => check(s.syscall(n, a1, a2, a3, a4, a5, 0) as number),
    };
  } catch (e) {
    return `bun:ffi could not bind libc.so.6: ${(e as Error).message}`;
  }
}
