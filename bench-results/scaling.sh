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
# Independent processes: P copies of the one-thread run at the same time, each
# on 1/P of the work. If P processes lose as much per core as one process with
# P threads, the loss is the machine's (all-core clock, shared caches and
# memory), not the engine's scheduler or merge; if they keep the one-thread
# rate, the engine is the bottleneck. Rows go to processes.jsonl, one line per
# process, tagged by P.
processes="${PROCESSES:-16}"
for workload in ${PROCESS_WORKLOADS:-token group-zipf single}; do
  for p in 1 "$processes"; do
    scale=$(awk -v s="${SCALE:-1}" -v p="$p" 'BEGIN { printf "%.6g", s / p }')
    pids=()
    for i in $(seq 1 "$p"); do
      "$binary" bench --workload "$workload" --threads 1 --scale "$scale" --json \
        > "$out/process-$workload-$p-$i.json" 2>> "$out/progress.txt" &
      pids+=("$!")
    done
    wait "${pids[@]}" || true
    for i in $(seq 1 "$p"); do
      sed "s/^{/{\"processes\":$p,/" "$out/process-$workload-$p-$i.json" >> "$out/processes.jsonl"
      rm -f "$out/process-$workload-$p-$i.json"
    done
  done
done
