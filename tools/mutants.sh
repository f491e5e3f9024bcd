#!/usr/bin/env bash
# `./dev mutants [--since REV] [CRATE...]`: mutation testing with cargo-mutants, each crate against its own
# tests only (a crate meant to be used alone must prove its own behaviour). Default crates: axvs-core,
# axvs-log, axvs-encode. `--since REV` mutates only the lines changed since REV (for the crates a change
# touched: minutes instead of hours). Exclusions, with their reasons, live in .cargo/mutants.toml. Prints
# caught / missed / time-outs / unviable per crate, and the share of viable mutants caught; details in
# target/mutants/CRATE/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null; then
  echo "mutants: installing cargo-mutants" >&2
  cargo install --locked cargo-mutants >&2
fi
in_diff=()
if [ "${1:-}" = "--since" ]; then
  [ -n "${2:-}" ] || { echo "mutants: --since needs a revision" >&2; exit 2; }
  mkdir -p target/mutants
  git diff "$2" -- . > target/mutants/since.diff
  in_diff=(--in-diff target/mutants/since.diff)
  shift 2
fi
crates=("$@")
[ "${#crates[@]}" -gt 0 ] || crates=(axvs-core axvs-log axvs-encode)

# Mutated copies build into one target directory of their own, kept between runs, so only the mutated
# crate and its dependents rebuild (FFmpeg's and OpenCV's bindings are built once).
export CARGO_TARGET_DIR="$PWD/target/mutants-build"
for crate in "${crates[@]}"; do
  out="target/mutants/$crate"
  mkdir -p "$out"
  echo "mutants: $crate (output: $out/mutants.out)" >&2
  # Time-outs sized for 2 shared cores: a mutant gets 3x the baseline test time, at least 60 s, and its
  # build 300 s (the baseline build of a warm target is seconds, too short a base for a multiplier).
  cargo mutants --package "$crate" --output "$out" --timeout-multiplier 3 --minimum-test-timeout 60 \
    --build-timeout 300 --no-shuffle --colors never "${in_diff[@]}" >&2 || true
  python3 - "$crate" "$out/mutants.out/outcomes.json" <<'PY'
import json, sys
crate, path = sys.argv[1], sys.argv[2]
try:
    outcomes = json.load(open(path))["outcomes"]
except (OSError, KeyError, ValueError) as e:
    sys.exit(f"mutants: {crate}: no outcomes ({e})")
count = {}
for o in outcomes:
    if o.get("scenario") == "Baseline":
        continue
    count[o["summary"]] = count.get(o["summary"], 0) + 1
caught, missed = count.get("CaughtMutant", 0), count.get("MissedMutant", 0)
timeouts, unviable = count.get("Timeout", 0), count.get("Unviable", 0)
viable = caught + missed + timeouts
share = 100.0 * (caught + timeouts) / viable if viable else 0.0
print(f"{crate}: {caught} caught, {missed} missed, {timeouts} time-outs, {unviable} unviable: "
      f"{share:.1f} % of {viable} viable mutants caught (time-outs count as caught)")
PY
done
