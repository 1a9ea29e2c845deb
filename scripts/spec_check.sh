#!/usr/bin/env bash
# Spec gates for openapi/ching.yaml. Run from the repository root (make spec-check).
# Needs: `npm ci` done in openapi/typescript (make setup) and .venv with openapi-spec-validator.
# Uses only locally installed tools; works offline. Prints one line per gate; on a failure
# it prints the tool's output and exits non-zero.
set -euo pipefail

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

fail() {
  echo "FAIL  $1" >&2
  if [[ -n "${2:-}" && -s "$2" ]]; then sed 's/^/      /' "$2" >&2; fi
  exit 1
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
fi
echo "ok    redocly lint (recommended-strict): $totals"

# 2. openapi-spec-validator (Python).
"$VALIDATOR" "$SPEC" >"$tmp/osv.out" 2>&1 || fail "openapi-spec-validator" "$tmp/osv.out"
echo "ok    openapi-spec-validator: valid OpenAPI 3.1"

# 3. TypeScript types. --default-non-nullable=false: a property with a `default` (upload_image's
#    content_type) stays optional; otherwise openapi-typescript would make it required in the
#    request body.
rm -rf "$TS_DIR/generated"
(cd "$TS_DIR" && node_modules/.bin/openapi-typescript ../ching.yaml --default-non-nullable=false \
  -o generated/ching.d.ts) >"$tmp/gen.out" 2>&1 || fail "openapi-typescript generation" "$tmp/gen.out"
[[ -s "$TS_DIR/generated/ching.d.ts" ]] || fail "openapi-typescript wrote no generated/ching.d.ts" "$tmp/gen.out"
echo "ok    openapi-typescript: $TS_DIR/generated/ching.d.ts"

# 4. The typed client must compile (strict).
#    check-coverage.mjs: client.ts calls every operation that the spec defines.
(cd "$TS_DIR" && node check-coverage.mjs) >"$tmp/coverage.out" 2>&1 ||
  fail "client.ts operation coverage" "$tmp/coverage.out"
(cd "$TS_DIR" && node_modules/.bin/tsc -p tsconfig.json --pretty false) >"$tmp/tsc.out" 2>&1 ||
  fail "tsc client.ts (typed client)" "$tmp/tsc.out"
echo "ok    tsc client.ts: typed client calling all $(tail -n 1 "$tmp/coverage.out") compiles (strict)"

# 5. The deliberate misuses must not compile, each for its declared reason.
(cd "$TS_DIR" && node check-misuse.mjs) >"$tmp/misuse.out" 2>&1 ||
  fail "tsc misuse.ts (negative type test)" "$tmp/misuse.out"
echo "ok    tsc misuse.ts: $(tail -n 1 "$tmp/misuse.out")"

# 6. No unannounced breaking change: compare with the last released spec (make release-spec).
.venv/bin/python scripts/spec_gate.py >"$tmp/gate.out" 2>&1 || fail "breaking-change gate (scripts/spec_gate.py)" "$tmp/gate.out"
echo "ok    breaking-change gate: $(tail -n 1 "$tmp/gate.out")"
