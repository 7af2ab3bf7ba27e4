#!/usr/bin/env bash
# Gate over every top `gen` emits: zero warnings under `verilator --lint-only -Wall`,
# `yosys synth_xilinx -family xcup` completes, and no path deeper than the top's LUT-level
# limit (scripts/depth-limits; 6 unless listed). Prints LUT/FF/BRAM/DSP and LUT depth per
# top, and the deepest paths of a top over its limit.
#   scripts/gate.sh [gen args...]   e.g. scripts/gate.sh --config my.toml
# With GATE_VERILOG=DIR it checks the tops whose filelists (TOP.f) are in DIR instead of
# running gen (scripts/synth-blocks.sh uses it for blocks that are no tops of gen's).
#
# Results are cached by content in build/gate/cache: a top whose Verilog, tools, scripts
# and limit are unchanged is not linted or synthesized again (GATE_CACHE=0 turns it off).
# Tops run in parallel, one per core, largest first; a line is printed as each starts and
# ends, and every minute while any runs.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/gate
verilog=${GATE_VERILOG:-$out/verilog}
cache=$out/cache
if [ -z "${GATE_VERILOG:-}" ]; then
    cargo run -q -p gen -- --out "$verilog" "$@" >/dev/null
fi
rm -rf "$out/synth"
mkdir -p "$out/synth" "$cache"
depth_tool=scripts/lut-depth.py
limits=scripts/depth-limits
synth_script='synth_xilinx -family xcup -flatten -top %s; stat; write_json %s'
# A top's limit is part of its own key (below), so changing another top's limit keeps this cache.
tools_id=$( { yosys -V; verilator --version; python3 --version; cat "$0" "$depth_tool"; } | sha256sum | cut -c1-64)

# The LUT-level limit of a top: the first pattern in scripts/depth-limits that matches.
limit_of() {
    local top=$1 pattern value
    while read -r pattern value _; do
        case "$pattern" in ''|'#'*) continue ;; esac
        # shellcheck disable=SC2053
        if [[ $top == $pattern ]]; then echo "$value"; return; fi
    done < "$limits"
    echo 6
}

files_of() { sed "s|^|$verilog/|" "$verilog/$1.f"; }

# Checks one top into synth/<top>.{row,paths,fail}, or copies them from the cache.
check() {
    local top=$1 limit key dir files log json lint started
    started=$(date +%s)
    limit=$(limit_of "$top")
    key=$( { echo "$tools_id $top $limit"; files_of "$top" | xargs cat; } | sha256sum | cut -c1-64)
    dir=$cache/$key
    if [ "${GATE_CACHE:-1}" != 0 ] && [ -f "$dir/done" ]; then
        cp "$dir"/*.row "$dir"/*.paths "$dir"/*.fail "$out/synth/" 2>/dev/null || true
        echo "gate: $top: cached"
        return
    fi
    echo "gate: $top: started"
    rm -rf "$dir" && mkdir -p "$dir"
    files=$(files_of "$top" | tr '\n' ' ')
    if ! lint=$(verilator --lint-only -Wall --top-module "$top" $files 2>&1) || [ -n "$lint" ]; then
        { echo "gate: $top: verilator -Wall is not clean:"; echo "$lint"; } > "$dir/$top.fail"
    else
        log="$out/synth/$top.log"
        json="$out/synth/$top.json"
        # shellcheck disable=SC2059
        if ! yosys -q -l "$log" -p "read_verilog $files; $(printf "$synth_script" "$top" "$json")" >/dev/null 2>&1; then
            echo "gate: $top: yosys synth_xilinx failed, see $log" > "$dir/$top.fail"
        else
            summarize "$top" "$limit" "$log" "$json" "$dir"
            rm -f "$json"
        fi
    fi
    cp "$dir"/* "$out/synth/" 2>/dev/null || true
    touch "$dir/done"
    echo "gate: $top: done in $(( $(date +%s) - started )) s"
}

# The table row and depth report of a synthesized top; a failure if over its limit.
summarize() {
    local top=$1 limit=$2 log=$3 json=$4 dir=$5 lut ff bram dsp depth
    # Sum the cells of the last statistics block (synth_xilinx prints one of its own).
    count() { awk -v re="^$1\$" '/Printing statistics/ {delete n} $1 ~ re && $2 ~ /^[0-9]+$/ {n[$1]=$2} END {s=0; for (k in n) s+=n[k]; print s}' "$log"; }
    lut=$(count 'LUT[1-6]')
    ff=$(count 'FD[A-Z]*')
    bram=$(count 'RAMB(18|36)E2')
    dsp=$(count 'DSP48E2')
    python3 "$depth_tool" "$json" "$top" --limit "$limit" --paths 3 > "$dir/$top.paths"
    depth=$(head -1 "$dir/$top.paths" | sed -E 's/.*max LUT levels=([0-9]+).*/\1/')
    printf '%-40s %8s %8s %6s %6s %6s %6s\n' "$top" "$lut" "$ff" "$bram" "$dsp" "$depth" "$limit" > "$dir/$top.row"
    if [ "$depth" -gt "$limit" ]; then
        { echo "gate: $top: $depth LUT levels, over its limit of $limit; the deepest paths:"
          tail -n +2 "$dir/$top.paths"; } > "$dir/$top.fail"
    fi
}

# Largest first, so the long syntheses start at once and the short ones fill in.
tops=$(for list in "$verilog"/*.f; do
    top=$(basename "$list" .f)
    echo "$(files_of "$top" | xargs cat | wc -c) $top"
done | sort -rn | cut -d' ' -f2)
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
( while sleep 60; do echo "gate: still synthesizing, $(( $(date +%s) - start )) s so far"; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
checks=()
for top in $tops; do
    # One more job than cores: the ticker is a job too.
    while [ "$(jobs -rp | wc -l)" -gt "$jobs" ]; do
        wait -n || true
    done
    check "$top" &
    checks+=("$!")
done
for pid in "${checks[@]}"; do wait "$pid" || true; done
kill $ticker 2>/dev/null || true

printf '%-40s %8s %8s %6s %6s %6s %6s\n' top LUT FF BRAM DSP depth limit
fail=0
for top in $tops; do
    if [ -f "$out/synth/$top.row" ]; then cat "$out/synth/$top.row"; fi
done
for top in $tops; do
    if [ -f "$out/synth/$top.fail" ]; then cat "$out/synth/$top.fail" >&2; fail=1; fi
done
echo "gate: $(( $(date +%s) - start )) s"
exit $fail
