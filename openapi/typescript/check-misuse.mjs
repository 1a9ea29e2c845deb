// Negative type test: `tsc -p tsconfig.misuse.json` must fail, and only for the reasons
// declared in misuse.ts. Run from this directory (scripts/spec_check.sh does).
//
// A line of misuse.ts tagged `// MISUSE <name>: <TScode> [text]` must get exactly one
// diagnostic, with that code and (if given) containing `text` in its message chain.
// Any diagnostic that is not on a tagged line (another file, a config error, a missing
// module, ...) fails the check, as does a tag without its diagnostic, a missing required
// tag, or tsc succeeding. Exit 0 when all holds; otherwise print why and exit 1.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const FILE = "misuse.ts";
// The misuses the spec gate promises to catch; removing one of them fails the check.
const REQUIRED = ["wrong-field-type", "missing-required-name", "identifyBy-outside-enum"];

const tags = [];
readFileSync(FILE, "utf8")
  .split("\n")
  .forEach((text, i) => {
    const m = text.match(/\/\/ MISUSE ([\w-]+): (TS\d+)\b\s*(.*)$/);
    if (m) tags.push({ line: i + 1, name: m[1], code: m[2], text: m[3].trim(), hits: [] });
  });

const problems = [];
for (const name of REQUIRED) {
  if (!tags.some((t) => t.name === name)) problems.push(`required misuse tag '${name}' is missing from ${FILE}`);
}

const tsc = spawnSync("node_modules/.bin/tsc", ["-p", "tsconfig.misuse.json", "--pretty", "false"], {
  encoding: "utf8",
});
if (tsc.error) {
  console.error(`could not run tsc: ${tsc.error.message}`);
  process.exit(1);
}
const output = `${tsc.stdout}${tsc.stderr}`;
if (tsc.status === 0) problems.push("tsc compiled misuse.ts without errors");

// Group the output into diagnostics: a header line plus its indented continuation lines.
const diagnostics = [];
for (const raw of output.split("\n")) {
  if (raw.trim() === "") continue;
  if (/^\s/.test(raw) && diagnostics.length > 0) {
    diagnostics[diagnostics.length - 1].message += `\n${raw.trim()}`;
    continue;
  }
  const m = raw.match(/^(.*)\((\d+),(\d+)\): error (TS\d+): (.*)$/);
  diagnostics.push(
    m
      ? { file: m[1], line: Number(m[2]), code: m[4], message: m[5], raw }
      : { file: null, line: 0, code: null, message: raw, raw },
  );
}

for (const d of diagnostics) {
  const tag = d.file === FILE ? tags.find((t) => t.line === d.line) : undefined;
  if (!tag) {
    problems.push(`unexpected diagnostic: ${d.raw}`);
    continue;
  }
  tag.hits.push(d);
}

for (const t of tags) {
  const where = `${FILE}:${t.line} (${t.name})`;
  if (t.hits.length === 0) {
    problems.push(`${where}: expected ${t.code}, but tsc reported no error there`);
  } else if (t.hits.length > 1) {
    problems.push(`${where}: expected one error, got ${t.hits.length}: ${t.hits.map((h) => h.code).join(", ")}`);
  } else {
    const [d] = t.hits;
    if (d.code !== t.code) problems.push(`${where}: expected ${t.code}, got ${d.code}: ${d.message}`);
    else if (t.text && !d.message.includes(t.text))
      problems.push(`${where}: ${d.code} message lacks "${t.text}":\n    ${d.message.replace(/\n/g, "\n    ")}`);
  }
}

if (problems.length > 0) {
  console.error(`misuse.ts check failed (tsc exit ${tsc.status}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`${tags.length} deliberate misuses rejected as expected (${tags.map((t) => t.code).join(" ")})`);
