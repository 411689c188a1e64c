/**
 * Node's libc binding for shared memory, through the optional npm package `koffi` (prebuilt N-API
 * binaries). Loaded with `require` so that a missing koffi only makes shared memory unavailable.
 *
 * @module
 */
import { createRequire } from "node:module";
import { libcShm } from "../_libc.ts";
import type { ShmNative } from "../shm.ts";

interface _KoffiFn {
  (...args: unknown[]): unknown;
}
interface _Koffi {
  load(path: string): { func(signature: string): _KoffiFn };
  view(ptr: number | bigint, len: number): ArrayBuffer;
  errno(): number;
}

/**
 * Binds libc through koffi.
 *
 * @returns The binding, or a sentence saying why it cannot be made.
 * @internal
 */
export function loadNodeNative(): ShmNative | string {
  let koffi: _Koffi;
  try {
    const mod = createRequire(import.meta.url)("koffi") as _Koffi & { default?: _Koffi };
    koffi = mod.default ?? mod;
  } catch (e) {
    return `shared memory on this runtime needs the npm package "koffi" (npm install koffi): ${(e as Error).message}`;
  }
  try {
    const libc = koffi.load("libc.so.6");
    return libcShm({
      shm_open: libc.func("int shm_open(const char *name, int oflag, uint32_t mode)"),
      shm_unlink: libc.func("int shm_unlink(const char *name)"),
      ftruncate: libc.func("int ftruncate(int fd, int64_t length)"),
      lseek: libc.func("int64_t lseek(int fd, int64_t offset, int whence)"),
      close: libc.func("int close(int fd)"),
      mmap: libc.func("intptr_t mmap(intptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)"),
      syscall: libc.func(
        "int syscall(intptr_t n, intptr_t a1, intptr_t a2, intptr_t a3, intptr_t a4, intptr_t a5, intptr_t a6)",
      ),
    }, {
      errno: () => koffi.errno(),
      view: (addr, size) => koffi.view(addr, size),
      cstr: (name) => name,
      nullPtr: 0,
    });
  } catch (e) {
    return `koffi could not bind libc.so.6: ${(e as Error).message}`;
  }
}
