// Every operation of the spec is called by the type-checked TypeScript: compares the operations in
// generated/ching.d.ts (`paths`, as openapi-typescript read the spec) with the `client.GET/POST/...("/path"`
// calls in generated/calls.ts (written by generate-calls.mjs from the bundled spec) and client.ts.
// The two are read from the spec by different tools, so an operation one of them misses shows here.
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

const sources = ["generated/calls.ts", "client.ts"].map((file) => readFileSync(file, "utf8")).join("\n");
const called = new Set([...sources.matchAll(/\.(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE)\(\s*"([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`));

const missing = [...specOps].filter((op) => !called.has(op));
if (specOps.size === 0 || missing.length > 0) {
  console.error(`the type-checked calls miss operations of the spec (${specOps.size} found in generated/ching.d.ts):`);
  for (const op of missing) console.error(`  - ${op}`);
  process.exit(1);
}
console.log(`${specOps.size} operations`);
