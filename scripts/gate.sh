#!/usr/bin/env bash
# Gate over every top `gen` emits: zero warnings under `verilator --lint-only -Wall`, and
# `yosys synth_xilinx -family xcup` completes. Prints LUT/FF/BRAM/DSP and LUT depth per top.
# Tops are checked in parallel, one per core.
#   scripts/gate.sh [gen args...]   e.g. scripts/gate.sh --config my.toml
# With GATE_VERILOG=DIR it checks the tops whose filelists (TOP.f) are in DIR instead of
# running gen (scripts/synth-blocks.sh uses it for blocks that are no tops of gen's).
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/gate
verilog=${GATE_VERILOG:-$out/verilog}
if [ -z "${GATE_VERILOG:-}" ]; then
    cargo run -q -p gen -- --out "$verilog" "$@" >/dev/null
fi
rm -rf "$out/synth"
mkdir -p "$out/synth"
depth_tool=../shared/tools/lut-depth.py

# Checks one top; its table row goes to synth/<top>.row, its failure to synth/<top>.fail.
check() {
    local top=$1 files log json lint
    files=$(sed "s|^|$verilog/|" "$verilog/$top.f" | tr '\n' ' ')
    if ! lint=$(verilator --lint-only -Wall --top-module "$top" $files 2>&1) || [ -n "$lint" ]; then
        { echo "gate: $top: verilator -Wall is not clean:"; echo "$lint"; } > "$out/synth/$top.fail"
        return
    fi
    log="$out/synth/$top.log"
    json="$out/synth/$top.json"
    if ! yosys -q -l "$log" -p "read_verilog $files; synth_xilinx -family xcup -flatten -top $top; stat; write_json $json" >/dev/null 2>&1; then
        echo "gate: $top: yosys synth_xilinx failed, see $log" > "$out/synth/$top.fail"
        return
    fi
    # Sum the cells of the last statistics block (synth_xilinx prints one of its own).
    count() { awk -v re="^$1\$" '/Printing statistics/ {delete n} $1 ~ re && $2 ~ /^[0-9]+$/ {n[$1]=$2} END {s=0; for (k in n) s+=n[k]; print s}' "$log"; }
    local lut ff bram dsp depth="-"
    lut=$(count 'LUT[1-6]')
    ff=$(count 'FD[A-Z]*')
    bram=$(count 'RAMB(18|36)E2')
    dsp=$(count 'DSP48E2')
    if [ -f "$depth_tool" ]; then
        depth=$(python3 "$depth_tool" "$json" "$top" lutram | sed -E 's/.*max LUT levels=([0-9]+).*/\1/')
    fi
    printf '%-32s %8s %8s %6s %6s %6s\n' "$top" "$lut" "$ff" "$bram" "$dsp" "$depth" > "$out/synth/$top.row"
}

tops=$(for list in "$verilog"/*.f; do basename "$list" .f; done)
jobs=$(nproc 2>/dev/null || echo 2)
for top in $tops; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    check "$top" &
done
wait || true

printf '%-32s %8s %8s %6s %6s %6s\n' top LUT FF BRAM DSP depth
fail=0
for top in $tops; do
    if [ -f "$out/synth/$top.fail" ]; then
        cat "$out/synth/$top.fail" >&2
        fail=1
    else
        cat "$out/synth/$top.row"
    fi
done
exit $fail
