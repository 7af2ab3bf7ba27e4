#!/usr/bin/env bash
# The project's test command: installs what is missing, runs every test, then the gate
# over every emitted top (Verilator -Wall lint and Yosys synth_xilinx for UltraScale+), then
# the formal proofs (scripts/formal.sh). Each phase reports its wall time and the CPU time
# it used (user + system, its processes summed): on a 2-core machine the CPU figure over two
# is the floor of that phase's wall time however its work is packed.
set -euo pipefail
cd "$(dirname "$0")/.."

# cpu_now: CPU seconds used by finished child processes so far, from bash's `times` (its
# second line). `times` must run in this shell: in a `$(...)` subshell it would count only
# the subshell's own children.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
cpu_now=0
cpu_snapshot() {
    times > "$times_file"
    cpu_now=$(awk 'NR == 2 {
        s = 0
        for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] }
        printf "%d", s
    }' "$times_file")
}

# phase NAME CMD...: runs CMD and reports its wall and CPU seconds.
phase() {
    local name=$1 t0 c0
    shift
    t0=$(date +%s)
    cpu_snapshot
    c0=$cpu_now
    "$@"
    cpu_snapshot
    echo "test.sh: $name: $(( $(date +%s) - t0 )) s wall, $(( cpu_now - c0 )) s CPU"
}

start=$(date +%s)
phase setup scripts/setup.sh
phase "cargo test" cargo test --workspace --locked
phase gate scripts/gate.sh
phase formal scripts/formal.sh
cpu_snapshot
echo "test.sh: all passed in $(( $(date +%s) - start )) s wall, $cpu_now s CPU"
