#!/usr/bin/env bash
# Gate over every top `gen` emits: zero warnings under `verilator --lint-only -Wall`, and
# `yosys synth_xilinx -family xcup` completes. Prints LUT/FF/BRAM/DSP and LUT depth per top.
#   scripts/gate.sh [gen args...]   e.g. scripts/gate.sh --config my.toml
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/gate
cargo run -q -p gen -- --out "$out/verilog" "$@" >/dev/null
mkdir -p "$out/synth"
depth_tool=../shared/tools/lut-depth.py
fail=0
printf '%-32s %8s %8s %6s %6s %6s\n' top LUT FF BRAM DSP depth
for list in "$out"/verilog/*.f; do
    top=$(basename "$list" .f)
    files=$(sed "s|^|$out/verilog/|" "$list" | tr '\n' ' ')
    if ! lint=$(verilator --lint-only -Wall --top-module "$top" $files 2>&1) || [ -n "$lint" ]; then
        echo "gate: $top: verilator -Wall is not clean:" >&2
        echo "$lint" >&2
        fail=1
        continue
    fi
    log="$out/synth/$top.log"
    json="$out/synth/$top.json"
    if ! yosys -q -l "$log" -p "read_verilog $files; synth_xilinx -family xcup -flatten -top $top; stat; write_json $json" >/dev/null 2>&1; then
        echo "gate: $top: yosys synth_xilinx failed, see $log" >&2
        fail=1
        continue
    fi
    # Sum the cells of the last statistics block (synth_xilinx prints one of its own).
    count() { awk -v re="^$1\$" '/Printing statistics/ {delete n} $1 ~ re && $2 ~ /^[0-9]+$/ {n[$1]=$2} END {s=0; for (k in n) s+=n[k]; print s}' "$log"; }
    lut=$(count 'LUT[1-6]')
    ff=$(count 'FD[A-Z]*')
    bram=$(count 'RAMB(18|36)E2')
    dsp=$(count 'DSP48E2')
    depth="-"
    if [ -f "$depth_tool" ]; then
        depth=$(python3 "$depth_tool" "$json" "$top" lutram | sed -E 's/.*max LUT levels=([0-9]+).*/\1/')
    fi
    printf '%-32s %8s %8s %6s %6s %6s\n' "$top" "$lut" "$ff" "$bram" "$dsp" "$depth"
done
exit $fail
