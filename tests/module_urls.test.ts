// Only file: module URLs are accepted from the wire: target specs, a child's setup `needs`, pool
// and manager function specs all reach import() through importModule, which refuses the rest.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Pool, Process } from "../mod.ts";
import { importModule, resolveClass, resolveFunction } from "../src/core/target.ts";
import { tempDir } from "./_helpers.ts";

/** A data: module that leaves a mark on disk when it runs. */
function markingModule(file: string): string {
  const code = `import * as fs from "node:fs"; fs.writeFileSync(${
    JSON.stringify(file)
  }, "ran"); export function f() { return 1; }`;
  return `data:text/javascript,${encodeURIComponent(code)}`;
}

const refused = [
  "data:text/javascript,export const x = 1",
  "http://127.0.0.1:9/x.js",
  "https://example.com/x.js",
  "node:fs",
  "fs",
  "./relative.ts",
  "blob:nodedata:1234",
];

describe("module URLs", () => {
  test("importModule(), resolveFunction() and resolveClass() refuse every URL but file: with a TypeError", async () => {
    for (const url of refused) {
      const message = /Refusing to import the module .*only file: URLs are accepted/;
      await assert.rejects(importModule(url), { name: "TypeError", message }, url);
      await assert.rejects(resolveFunction({ k: "fn", m: url, n: "f", s: "function f() {}" }), {
        name: "TypeError",
        message,
      }, url);
      await assert.rejects(resolveClass({ k: "cls", m: url, c: "C" }), { name: "TypeError", message }, url);
    }
    await assert.rejects(importModule({ href: "file:///x" } as unknown as string), TypeError);
    // file: URLs still load.
    const mod = await importModule(new URL("./fixtures/hostile_target.ts", import.meta.url).href);
    assert.equal(typeof mod.putOne, "function");
  });

  test("a Process whose target module is a data: URL fails in the child without running it", async () => {
    const tmp = tempDir();
    try {
      const mark = tmp.file("mark");
      const p = new Process({ target: function f() {}, module: markingModule(mark) });
      await p.start();
      await p.join(20_000);
      assert.equal(p.exitCode, 1);
      assert.equal(fs.existsSync(mark), false, "the data: module did not run");
    } finally {
      tmp.cleanup();
    }
  });

  test("a Pool task whose module is a data: URL rejects with the refusal, and the pool keeps working", async () => {
    const tmp = tempDir();
    const pool = new Pool(1);
    try {
      const mark = tmp.file("mark");
      const bad = new Pool({ processes: 1, module: markingModule(mark) });
      try {
        await assert.rejects(
          bad.apply(function f() {
            return 1;
          }),
          { name: "TypeError", message: /only file: URLs are accepted/ },
        );
      } finally {
        await bad.terminate();
      }
      assert.equal(fs.existsSync(mark), false, "the data: module did not run");
      assert.equal(await pool.apply((a: number) => a + 1, [1]), 2);
    } finally {
      await pool.terminate();
      tmp.cleanup();
    }
  });
});
