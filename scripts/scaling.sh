#!/usr/bin/env bash
# Runs on the lent 16-core machine (no Swift there): the canonical workloads
# at 1..16 threads with the binary and GSL libraries carried in device-carry/
# (made by scripts/device-carry). Writes scaling.jsonl, processes.jsonl and
# machine facts to $OUT.
#
# Each workload is its own bench invocation, so a run cut short by the
# device's time limit still returns the workloads it finished. Rows are the
# best of REPEAT runs taken in rounds (bench --repeat): a lone slow one-thread
# run would otherwise flatter every speed-up.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
carry="$root/device-carry"
out="${OUT:-/tmp/rewardbits-scaling}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
binary=/tmp/rewardbits-scaling-bin
gunzip -c "$carry/rewardbits.gz" > "$binary"
chmod +x "$binary"
threads="${THREADS:-1,2,4,8,12,16}"
scale="${SCALE:-1}"
repeat="${REPEAT:-2}"
{ nproc; lscpu; grep -m1 flags /proc/cpuinfo; } > "$out/machine.txt" 2>&1 || true
# Steal time and run-queue length, once a second: a KVM guest's vCPUs can
# lose time to the host, which no per-process measure sees.
if command -v vmstat >/dev/null 2>&1; then vmstat -t 1 > "$out/vmstat.txt" 2>&1 & fi
{ "$binary" --version; cat "$carry/commit" 2>/dev/null || true; } > "$out/version.txt"
# SCALES="single=10 sft=2" runs those workloads at another scale: at the
# canonical size `single` takes 45 ms on 16 threads, where start-up and the
# last blocks weigh on the speed-up.
scale_of() {
  local w
  for w in ${SCALES:-}; do [[ "${w%%=*}" == "$1" ]] && { echo "${w#*=}"; return; }; done
  echo "$scale"
}
for workload in ${WORKLOADS:-single group group-zipf token sft}; do
  "$binary" bench --workload "$workload" --threads "$threads" --scale "$(scale_of "$workload")" --repeat "$repeat" --json \
    >> "$out/scaling.jsonl" 2>> "$out/progress.txt" || echo "bench $workload failed" >> "$out/progress.txt"
done
# PORTABLE_WORKLOADS= (empty) skips the portable rows.
for workload in ${PORTABLE_WORKLOADS-group}; do
  "$binary" bench --workload "$workload" --threads "$threads" --scale "$(scale_of "$workload")" --simd portable --json \
    >> "$out/scaling.jsonl" 2>> "$out/progress.txt" || true
done
# Independent processes: P copies of the one-thread run at the same time, each
# on 1/P of the work. If P processes lose as much per core as one process with
# P threads, the loss is the machine's (all-core clock, shared caches and
# memory), not the engine's scheduler or merge; if they keep the one-thread
# rate, the engine is the bottleneck. Each process also times the scalar
# calibration loop at its start, while the others run theirs: a lower
# calibration at P = 16 would be a clock drop that all code sees (on
# 2026-12-04 there was none; only the vector kernels slowed). Rows go to processes.jsonl, one
# line per process, tagged by P and the round. PROCESS_SCALE multiplies the
# work of a process group, so that each process runs long beside its start-up
# and its calibration (about 0.3 s).
processes="${PROCESSES:-16}"
for round in $(seq 1 "${PROCESS_ROUNDS:-2}"); do
  for workload in ${PROCESS_WORKLOADS:-token group-zipf single}; do
    for p in ${PROCESS_COUNTS:-1 $processes}; do
      pscale=$(awk -v s="$(scale_of "$workload")" -v m="${PROCESS_SCALE:-1}" -v p="$p" 'BEGIN { printf "%.6g", s * m / p }')
      pids=()
      started=$(date +%s.%N)
      for i in $(seq 1 "$p"); do
        "$binary" bench --workload "$workload" --threads 1 --scale "$pscale" --json \
          > "$out/process-$workload-$p-$i.json" 2>> "$out/progress.txt" &
        pids+=("$!")
      done
      wait "${pids[@]}" || true
      # The group's own rate (all the work over the wall time from the first
      # start to the last finish), which the sum of per-process rates
      # overstates when the processes do not overlap exactly.
      echo "{\"workload\":\"$workload\",\"processes\":$p,\"round\":$round,\"scale\":$pscale,\"group_seconds\":$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f", b - a }')}" >> "$out/process-groups.jsonl"
      for i in $(seq 1 "$p"); do
        sed "s/^{/{\"processes\":$p,\"round\":$round,/" "$out/process-$workload-$p-$i.json" >> "$out/processes.jsonl"
        rm -f "$out/process-$workload-$p-$i.json"
      done
    done
  done
done
