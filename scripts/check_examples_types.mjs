// Type-checks every examples/*.ts with `deno check` and with strict `tsc` (the repository's
// tsconfig.json without isolatedDeclarations: these are programs a user writes, whose exported
// worker functions need no return type annotation). `npm run examples` runs them.
//
//   node scripts/check_examples_types.mjs
import { readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { root, snippetDir, typeCheck } from "./_programs.mjs";

const dir = join(root, "examples");
const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort().map((f) => join(dir, f));
const scratch = snippetDir("examples-types"); // holds only the generated tsconfig.json
let failed = false;
try {
  for (const r of typeCheck(files, scratch.dir)) {
    console.log(`${r.ok ? "ok  " : "FAIL"}  ${r.name} of ${files.length} files in examples/`);
    if (!r.ok) {
      failed = true;
      console.log(r.output.replaceAll(`file://${root}/`, "").replaceAll(`${root}/`, ""));
    }
  }
} finally {
  scratch.dispose();
}
process.exit(failed ? 1 : 0);
