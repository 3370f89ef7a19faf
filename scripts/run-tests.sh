#!/usr/bin/env bash
# Runs the whole vitest suite, then prints one plain summary line for CI.
set -uo pipefail
cd "$(dirname "$0")/.."
report="$(mktemp -t sluice-vitest-XXXXXX.json)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
code=$?
if [ -s "$report" ]; then node scripts/vitest-summary.mjs "$report" || code=1; fi
rm -f "$report"
exit $code
