/**
 * Deno's libc binding for shared memory, through `Deno.dlopen`. Needs `--allow-ffi`; the permission
 * is queried first and never prompted for.
 *
 * @module
 */
import { cBuffer, libcShm } from "../_libc.ts";
import type { ShmNative } from "../shm.ts";

type _Sym = (...args: unknown[]) => unknown;
type _Ptr = object | null;
interface _DenoFfi {
  permissions: { querySync(d: { name: string }): { state: string } };
  dlopen<K extends string>(
    path: string,
    symbols: Record<K, { name?: string; parameters: string[]; result: string; nonblocking?: boolean }>,
  ): { symbols: Record<K, _Sym> };
  UnsafePointer: { create(value: bigint): _Ptr };
  UnsafePointerView: (new (p: object) => { getInt32(offset?: number): number }) & {
    getArrayBuffer(p: object, len: number): ArrayBuffer;
  };
}
declare const Deno: _DenoFfi;

const _SYSCALL = { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i32" };

/**
 * Binds libc through `Deno.dlopen`.
 *
 * @returns The binding, or a sentence saying why it cannot be made.
 * @internal
 */
export function loadDenoNative(): ShmNative | string {
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return "shared memory on Deno needs the --allow-ffi permission";
    }
  } catch (e) {
    return `could not query Deno's ffi permission: ${(e as Error).message}`;
  }
  try {
    const { symbols: s } = Deno.dlopen("libc.so.6", {
      shm_open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
      shm_unlink: { parameters: ["buffer"], result: "i32" },
      ftruncate: { parameters: ["i32", "i64"], result: "i32" },
      lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
      close: { parameters: ["i32"], result: "i32" },
      mmap: { parameters: ["usize", "usize", "i32", "i32", "i32", "i64"], result: "isize" },
      syscall: _SYSCALL,
      syscall_nb: { name: "syscall", ..._SYSCALL, nonblocking: true },
      __errno_location: { parameters: [], result: "pointer" },
    });
    const errnoView = new Deno.UnsafePointerView(s.__errno_location() as object);
    return {
      ...libcShm(s, {
        errno: () => errnoView.getInt32(0),
        view: (addr, size) => Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(BigInt(addr))!, size),
        cstr: cBuffer,
        nullPtr: 0,
      }),
      syscallBlocking: (n, a1, a2, a3, a4, a5) => s.syscall_nb(n, a1, a2, a3, a4, a5, 0) as Promise<number>,
    };
  } catch (e) {
    return `Deno.dlopen could not bind libc.so.6: ${(e as Error).message}`;
  }
}
