#!/usr/bin/env bash
# A/B timings of the kernels' run-time choices (environment overrides) on
# one thread, in alternating rounds, with the binary carried by
# scripts/device-carry (or REWARDBITS=path). Each line of $OUT/choices.txt:
# round, label, throughput, estimate (the same estimate in every row of a
# spec says the choices agree).
#
#   ROUNDS=3 scripts/kernel-choices.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-/tmp/rewardbits-choices}"
mkdir -p "$out"
binary="${REWARDBITS:-}"
if [[ -z "$binary" ]]; then
  export LD_LIBRARY_PATH="$root/device-carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  binary=/tmp/rewardbits-choices-bin
  gunzip -c "$root/device-carry/rewardbits.gz" > "$binary"
  chmod +x "$binary"
fi
{ nproc; lscpu; cat "$root/device-carry/commit" 2>/dev/null || true; } > "$out/machine.txt" 2>&1 || true
group="group --vocab 1024 --group 32 --prompts ${GROUP_PROMPTS:-5e7}"
token="token --length 256 --noise 0.1 --episodes ${TOKEN_EPISODES:-2e7}"
# label | environment | estimate arguments
choices=(
  "group avx2 lane network|REWARDBITS_SIMD=avx2|$group"
  "group avx2 stamps|REWARDBITS_SIMD=avx2 REWARDBITS_GROUP_DISTINCT=stamps|$group"
  "group best copy|REWARDBITS_SIMD=|$group"
  "token avx2 pdep|REWARDBITS_SIMD=avx2 REWARDBITS_BIT_DEPOSIT=instruction|$token"
  "token avx2 lanes|REWARDBITS_SIMD=avx2 REWARDBITS_BIT_DEPOSIT=lanes|$token"
)
for round in $(seq "${ROUNDS:-3}"); do
  for choice in "${choices[@]}"; do
    IFS='|' read -r label environment arguments <<< "$choice"
    # shellcheck disable=SC2086
    line=$(env $environment "$binary" estimate $arguments --threads 1 --json)
    rate=$(grep -o '"rollouts_per_second":[^,}]*' <<< "$line" | head -1 | cut -d: -f2)
    estimate=$(grep -o '"estimate":[^,}]*' <<< "$line" | head -1 | cut -d: -f2)
    echo "$round | $label | $rate | $estimate" | tee -a "$out/choices.txt"
  done
done
