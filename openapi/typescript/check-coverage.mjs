// client.ts must call every operation of the spec: compares the operations in
// generated/ching.d.ts (`paths`) with the `client.GET/POST/...("/path"` calls in client.ts.
// Run from this directory after generation. Prints the count; exits 1 on a gap.

import { readFileSync } from "node:fs";

const generated = readFileSync("generated/ching.d.ts", "utf8");
const pathsBlock = generated.slice(generated.indexOf("export interface paths {"), generated.indexOf("export type webhooks"));
const specOps = new Set();
let current = null;
for (const line of pathsBlock.split("\n")) {
  const p = line.match(/^ {4}"(\/[^"]*)": \{$/);
  if (p) current = p[1];
  const m = line.match(/^ {8}(get|put|post|delete|options|head|patch|trace): operations\["([^"]+)"\];$/);
  if (m && current) specOps.add(`${m[1].toUpperCase()} ${current}`);
}

const client = readFileSync("client.ts", "utf8");
const called = new Set([...client.matchAll(/\.(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE)\(\s*"([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`));

const missing = [...specOps].filter((op) => !called.has(op));
if (specOps.size === 0 || missing.length > 0) {
  console.error(`client.ts does not call every operation of the spec (${specOps.size} found in generated/ching.d.ts):`);
  for (const op of missing) console.error(`  - ${op}`);
  process.exit(1);
}
console.log(`${specOps.size} operations`);
