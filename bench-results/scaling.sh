#!/usr/bin/env bash
# Runs on the lent 16-core machine (no Swift there): the canonical workloads
# at 1..16 threads with the binary and GSL libraries carried in device-carry/
# (made by scripts/device-carry). Writes scaling.jsonl, a table and machine
# facts to $OUT.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
carry="$root/device-carry"
out="${OUT:-/tmp/rewardbits-scaling}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
binary=/tmp/rewardbits-scaling-bin
gunzip -c "$carry/rewardbits.gz" > "$binary"
chmod +x "$binary"
{ nproc; lscpu; } > "$out/machine.txt" 2>&1 || true
"$binary" --version > "$out/version.txt"
"$binary" bench --threads "${THREADS:-1,2,4,8,12,16}" --scale "${SCALE:-1}" --json \
  > "$out/scaling.jsonl" 2> "$out/progress.txt"
"$binary" bench --threads "${THREADS:-1,2,4,8,12,16}" --scale "${SCALE:-1}" --simd portable --workload group --json \
  >> "$out/scaling.jsonl" 2>> "$out/progress.txt" || true
