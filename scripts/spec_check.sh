#!/usr/bin/env bash
# Spec gates for openapi/ching.yaml. Run from the repository root (make spec-check).
# Needs: `npm ci` done in openapi/typescript (make setup) and .venv with openapi-spec-validator.
# Uses only locally installed tools; works offline. Every gate runs and prints one line (with the
# tool's output under a failure), so one run shows everything to fix; the exit status is non-zero
# if any gate failed. A gate that needs an earlier one's output is reported as skipped when that failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SPEC=openapi/ching.yaml
TS_DIR=openapi/typescript
BIN="$TS_DIR/node_modules/.bin"
VALIDATOR=.venv/bin/openapi-spec-validator

# Redocly CLI: no usage data, no update check / notices (documented in its README).
export REDOCLY_TELEMETRY=off
export REDOCLY_SUPPRESS_NOTIFICATIONS=true
export REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export NO_COLOR=1

for tool in "$BIN/redocly" "$BIN/openapi-typescript" "$BIN/tsc"; do
  if [[ ! -x "$tool" ]]; then
    echo "spec-check: $tool is missing; run: (cd $TS_DIR && npm ci)" >&2
    exit 1
  fi
done
if [[ ! -x "$VALIDATOR" ]]; then
  echo "spec-check: $VALIDATOR is missing; create .venv first (make setup)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

# ok <summary> | fail <name> [report file] | skip <name> <needed gate>
ok() { echo "ok    $1"; }
fail() {
  echo "FAIL  $1" >&2
  if [[ -n "${2:-}" && -s "$2" ]]; then sed 's/^/      /' "$2" >&2; fi
  failed+=("$1")
}
skip() {
  echo "SKIP  $1: needs $2, which failed" >&2
  failed+=("$1 (skipped)")
}

# 1. Redocly lint, recommended-strict: zero errors AND zero warnings (and nothing ignored).
#    --lint-config error makes a bad openapi/redocly.yaml fail instead of warning.
lint_rc=0
"$BIN/redocly" lint --config openapi/redocly.yaml --lint-config error --format json "$SPEC" \
  >"$tmp/lint.json" 2>"$tmp/lint.err" || lint_rc=$?
if ! totals=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const t = r.totals;
  console.log(`${t.errors} errors, ${t.warnings} warnings, ${t.ignored} ignored`);
  process.exit(t.errors === 0 && t.warnings === 0 && t.ignored === 0 ? 0 : 1);
' "$tmp/lint.json" 2>/dev/null) || [[ $lint_rc -ne 0 ]]; then
  # Show the problems readably; drop the CLI's Node.js 20 deprecation banner from stderr.
  {
    "$BIN/redocly" lint --config openapi/redocly.yaml --lint-config error --format stylish "$SPEC" \
      2>"$tmp/lint.err2" || true
    grep -v '[║╔╚]' "$tmp/lint.err2" || true
  } | cat -s >"$tmp/lint.report"
  fail "redocly lint (recommended-strict): ${totals:-no result} (exit $lint_rc)" "$tmp/lint.report"
else
  ok "redocly lint (recommended-strict): $totals"
fi

# 2. openapi-spec-validator (Python).
if "$VALIDATOR" "$SPEC" >"$tmp/osv.out" 2>&1; then
  ok "openapi-spec-validator: valid OpenAPI 3.1"
else
  fail "openapi-spec-validator" "$tmp/osv.out"
fi

# 3. TypeScript types, and the spec bundled as JSON for the generated calls. --default-non-nullable=false:
#    a property with a `default` (upload_image's content_type) stays optional; otherwise openapi-typescript
#    would make it required in the request body.
rm -rf "$TS_DIR/generated"
types=ok
if ! (cd "$TS_DIR" && node_modules/.bin/openapi-typescript ../ching.yaml --default-non-nullable=false \
  -o generated/ching.d.ts) >"$tmp/gen.out" 2>&1 || [[ ! -s "$TS_DIR/generated/ching.d.ts" ]]; then
  types=failed
  fail "openapi-typescript generation" "$tmp/gen.out"
elif ! (cd "$TS_DIR" && node_modules/.bin/redocly bundle ../ching.yaml --dereferenced --ext json \
  -o generated/ching.json) >"$tmp/bundle.out" 2>&1; then
  types=failed
  fail "redocly bundle (the spec as JSON for generate-calls.mjs)" "$tmp/bundle.out"
else
  ok "openapi-typescript: $TS_DIR/generated/ching.d.ts"
fi

# 4. The typed client must compile (strict), with a generated call of every operation (generate-calls.mjs);
#    check-coverage.mjs: those calls cover every operation openapi-typescript found.
if [[ $types != ok ]]; then
  skip "tsc client.ts and generated/calls.ts (typed client)" "openapi-typescript generation"
elif ! (cd "$TS_DIR" && node generate-calls.mjs) >"$tmp/calls.out" 2>&1; then
  fail "generate-calls.mjs (a typed call of every operation)" "$tmp/calls.out"
elif ! (cd "$TS_DIR" && node check-coverage.mjs) >"$tmp/coverage.out" 2>&1; then
  fail "operation coverage of the type-checked calls" "$tmp/coverage.out"
elif ! (cd "$TS_DIR" && node_modules/.bin/tsc -p tsconfig.json --pretty false) >"$tmp/tsc.out" 2>&1; then
  fail "tsc client.ts and generated/calls.ts (typed client)" "$tmp/tsc.out"
else
  ok "tsc client.ts, generated/calls.ts: typed calls of all $(tail -n 1 "$tmp/coverage.out") compile (strict)"
fi

# 5. The deliberate misuses must not compile, each for its declared reason.
if [[ $types != ok ]]; then
  skip "tsc misuse.ts (negative type test)" "openapi-typescript generation"
elif (cd "$TS_DIR" && node check-misuse.mjs) >"$tmp/misuse.out" 2>&1; then
  ok "tsc misuse.ts: $(tail -n 1 "$tmp/misuse.out")"
else
  fail "tsc misuse.ts (negative type test)" "$tmp/misuse.out"
fi

# 6. No unannounced breaking change, and a package version that moved with the spec: compare with the
#    last release (make release).
if .venv/bin/python scripts/spec_gate.py >"$tmp/gate.out" 2>&1; then
  ok "release gate: $(sed -n 's/^ok: //p' "$tmp/gate.out" | paste -sd ';' | sed 's/;/; /g')"
else
  fail "release gate (scripts/spec_gate.py)" "$tmp/gate.out"
fi

if ((${#failed[@]})); then
  echo "spec-check: ${#failed[@]} gate(s) failed: $(IFS=';'; echo "${failed[*]}" | sed 's/;/; /g')" >&2
  exit 1
fi
