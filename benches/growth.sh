#!/usr/bin/env bash
# The growth table in the README ("How far the explorer reaches"):
# `check --profile unified` over a grid of bounds, with states, wall time,
# CPU time, peak RSS and peak RSS per distinct state, as a Markdown table.
#
#   benches/growth.sh [ONERING_BINARY] [TIMEOUT_SECONDS] > table.md
#
# Default binary target/release/onering (build it with
# `cargo build --release`), default timeout 600 s per bound. A bound the
# timeout stops is printed as such (with its peak RSS at the stop).
set -euo pipefail
bin=${1:-target/release/onering}
limit=${2:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| threads | keys | ops | states | wall | CPU | peak RSS | RSS/state |"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
for cfg in "1 2 3" "2 1 3" "2 2 2" "2 2 3" "2 2 4" "2 2 5" "2 3 3" "1 2 6" "2 1 6" "3 1 3" "3 1 4" "1 3 6" "3 2 3"; do
  set -- $cfg
  rc=0
  /usr/bin/time -f "%e %U %M" -o "$tmp/time" timeout "$limit" "$bin" check --profile unified \
    --threads "$1" --keys "$2" --ops "$3" --json > "$tmp/out.json" 2>/dev/null || rc=$?
  read -r wall cpu kib < <(tail -1 "$tmp/time")
  states=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['states'])" "$tmp/out.json" 2>/dev/null || echo "")
  if [ "$rc" -ne 0 ] || [ -z "$states" ]; then
    echo "| $1 | $2 | $3 | stopped | > ${limit} s | $cpu s | $((kib / 1024)) MiB at the stop | – |"
  else
    python3 - "$1" "$2" "$3" "$states" "$wall" "$cpu" "$kib" <<'PY'
import sys
t, k, o, n, wall, cpu, kib = sys.argv[1:]
n, kib = int(n), int(kib)
rss = kib * 1024
print(f"| {t} | {k} | {o} | {n:,} | {float(wall):.1f} s | {float(cpu):.1f} s | "
      f"{rss / 2**20:,.0f} MiB | {rss / n:.0f} B |")
PY
  fi
done
