#!/usr/bin/env bash
# Gate over every top `gen` emits: zero warnings under `verilator --lint-only -Wall`,
# `yosys synth_xilinx -family xcup` completes, and no path deeper than the top's LUT-level
# limit (scripts/depth-limits; 6 unless listed). Prints LUT/FF/BRAM/DSP and LUT depth per
# top, and the deepest paths of a top over its limit.
#   scripts/gate.sh [gen args...]   e.g. scripts/gate.sh --config my.toml
# Besides the library's tops it checks the board cores (`gen --board vcu118|enzian`). A
# board core holds one of the library's NICs: Yosys synthesizes the core with that NIC as
# a black box, and the depth is measured across the boundary with the NIC's own netlist
# (scripts/lut-depth.py), so the NIC is synthesized once.
# With GATE_VERILOG=DIR it checks the tops whose filelists (TOP.f) are in DIR instead of
# running gen (scripts/synth-blocks.sh uses it for blocks that are no tops of gen's).
# GATE_SHARD=K/N checks only the K-th of N shards (a board core with its NIC), so N
# machines share the gate with nothing shared between them.
#
# Results are cached by content in build/gate/cache: a top whose Verilog, tools, scripts
# and limit are unchanged is not linted or synthesized again (GATE_CACHE=0 turns it off).
# Tops run in parallel, one per core, largest first; a line is printed as each starts and
# ends, and every minute while any runs.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/gate
cache=$out/cache
# Directories of filelists to check: gen's tops, then the board cores (not when the
# arguments pick tops with --top).
if [ -n "${GATE_VERILOG:-}" ]; then
    dirs=("$GATE_VERILOG")
else
    boards=(vcu118 enzian)
    for arg in "$@"; do
        case "$arg" in --top|--top=*) boards=() ;; esac
    done
    dirs=("$out/verilog")
    cargo run -q -p gen -- --out "${dirs[0]}" "$@" >/dev/null
    for board in "${boards[@]+"${boards[@]}"}"; do
        dirs+=("$out/boards/$board")
        cargo run -q -p gen -- --out "$out/boards/$board" --board "$board" "$@" >/dev/null
    done
fi
rm -rf "$out/synth"
mkdir -p "$out/synth" "$cache"
depth_tool=scripts/lut-depth.py
limits=scripts/depth-limits
synth_script='synth_xilinx -family xcup -flatten -top %s; stat; write_json %s'

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

# Where each top's filelist is; the library tops each board core holds (its inner tops:
# tops of the first directory whose module file the core lists with the same text).
declare -A dir_of inner_of needs_net
for d in "${dirs[@]}"; do
    for list in "$d"/*.f; do
        [ -e "$list" ] && dir_of[$(basename "$list" .f)]=$d
    done
done
for top in "${!dir_of[@]}"; do
    d=${dir_of[$top]}
    [ "$d" = "${dirs[0]}" ] && continue
    inner_of[$top]=""
    for lib in "${!dir_of[@]}"; do
        if [ "${dir_of[$lib]}" = "${dirs[0]}" ] && grep -qxF "$lib.v" "$d/$top.f" \
            && cmp -s "$d/$lib.v" "${dirs[0]}/$lib.v"; then
            inner_of[$top]+=" $lib"
            needs_net[$lib]=1
        fi
    done
done

files_of() { sed "s|^|${dir_of[$1]}/|" "${dir_of[$1]}/$1.f"; }
key_of() { { echo "$tools_id $1 $(limit_of "$1")"; files_of "$1" | xargs cat; } | sha256sum | cut -c1-64; }

# Checks one top into synth/<top>.{row,paths,fail}, or copies them from the cache. A top
# another one holds also leaves its flattened netlist (<top>.net.json) in its cache entry.
check() {
    local top=$1 limit key dir files log json lint started inner libs nets i read_libs=""
    started=$(date +%s)
    limit=$(limit_of "$top")
    key=$(key_of "$top")
    echo "$key" > "$out/synth/$top.key"
    dir=$cache/$key
    if [ "${GATE_CACHE:-1}" != 0 ] && [ -f "$dir/done" ] \
        && { [ -z "${needs_net[$top]:-}" ] || [ -f "$dir/$top.net.json" ]; }; then
        cp "$dir"/*.row "$dir"/*.paths "$dir"/*.fail "$out/synth/" 2>/dev/null || true
        echo "gate: $top: cached"
        return
    fi
    echo "gate: $top: started"
    rm -rf "$dir" && mkdir -p "$dir"
    inner=${inner_of[$top]:-}
    libs=$(for i in $inner; do echo "${dir_of[$top]}/$i.v"; done)
    nets=$(for i in $inner; do echo "$cache/$(cat "$out/synth/$i.key")/$i.net.json"; done)
    files=$(files_of "$top" | grep -vxF -f <(echo "$libs") | tr '\n' ' ')
    if [ -n "$libs" ]; then read_libs="read_verilog -lib $(echo "$libs" | tr '\n' ' '); "; fi
    if ! lint=$(verilator --lint-only -Wall --top-module "$top" $(files_of "$top") 2>&1) || [ -n "$lint" ]; then
        { echo "gate: $top: verilator -Wall is not clean:"; echo "$lint"; } > "$dir/$top.fail"
    else
        log="$out/synth/$top.log"
        json="$out/synth/$top.json"
        # shellcheck disable=SC2059
        if ! yosys -q -l "$log" -p "$read_libs read_verilog $files; $(printf "$synth_script" "$top" "$json")" >/dev/null 2>&1; then
            echo "gate: $top: yosys synth_xilinx failed, see $log" > "$dir/$top.fail"
        else
            # shellcheck disable=SC2086
            summarize "$top" "$limit" "$dir" "$json" $nets
            rm -f "$json"
        fi
    fi
    cp "$dir"/*.row "$dir"/*.paths "$dir"/*.fail "$out/synth/" 2>/dev/null || true
    touch "$dir/done"
    echo "gate: $top: done in $(( $(date +%s) - started )) s"
}

# The table row and depth report of a synthesized top (with the netlists of the tops it
# holds); a failure if over its limit.
summarize() {
    local top=$1 limit=$2 dir=$3 save=() report lut ff bram dsp depth
    shift 3
    if [ -n "${needs_net[$top]:-}" ]; then save=(--save "$dir/$top.net.json"); fi
    if ! report=$(python3 "$depth_tool" "$top" "$@" --cells --limit "$limit" --paths 3 "${save[@]+"${save[@]}"}" 2>&1); then
        { echo "gate: $top: no depth report:"; echo "$report"; } > "$dir/$top.fail"
        return
    fi
    # The first line: `cells: LUT=.. FF=.. BRAM=.. DSP=..`; then the depth report.
    read -r lut ff bram dsp < <(head -1 <<< "$report" | sed -E 's/[A-Z]+=//g; s/^cells: //')
    tail -n +2 <<< "$report" > "$dir/$top.paths"
    depth=$(head -1 "$dir/$top.paths" | sed -E 's/.*max LUT levels=([0-9]+).*/\1/')
    printf '%-40s %8s %8s %6s %6s %6s %6s\n' "$top" "$lut" "$ff" "$bram" "$dsp" "$depth" "$limit" > "$dir/$top.row"
    if [ "$depth" -gt "$limit" ]; then
        { echo "gate: $top: $depth LUT levels, over its limit of $limit; the deepest paths:"
          tail -n +2 "$dir/$top.paths"; } > "$dir/$top.fail"
    fi
}

# What shapes a cached result: the tools, the depth tool and the two functions that run
# them (not the rest of this script, whose scheduling and printing do not change a row). A
# top's limit is part of its own key, so changing another top's limit keeps this cache.
tools_id=$( { yosys -V; verilator --version; python3 --version; echo "$synth_script";
    declare -f check summarize; cat "$depth_tool"; } | sha256sum | cut -c1-64)

size_of() { files_of "$1" | xargs cat | wc -c; }
# Largest first, so the long syntheses start at once and the short ones fill in; a board
# core after the tops it holds.
by_size() { for top in "$@"; do echo "$(size_of "$top") $top"; done | sort -rn | cut -d' ' -f2; }
plain=() cores=()
for top in "${!dir_of[@]}"; do
    if [ -n "${inner_of[$top]:-}" ]; then cores+=("$top"); else plain+=("$top"); fi
done
plain=($(by_size "${plain[@]}"))
cores=($(by_size "${cores[@]+"${cores[@]}"}"))

# GATE_SHARD=K/N: groups (a library top with the board cores holding it) go to the least
# loaded shard, largest first; this shard keeps its groups.
if [ -n "${GATE_SHARD:-}" ]; then
    shard=${GATE_SHARD%/*} shards=${GATE_SHARD#*/}
    declare -A group_of load
    for top in "${plain[@]}"; do group_of[$top]=$top; done
    for top in "${cores[@]+"${cores[@]}"}"; do
        read -r first _ <<< "${inner_of[$top]}"
        group_of[$top]=$first
    done
    declare -A weight
    for top in "${!group_of[@]}"; do
        weight[${group_of[$top]}]=$(( ${weight[${group_of[$top]}]:-0} + $(size_of "$top") ))
    done
    declare -A shard_of
    for group in $(for g in "${!weight[@]}"; do echo "${weight[$g]} $g"; done | sort -k1,1rn -k2 | cut -d' ' -f2); do
        best=1
        for k in $(seq 1 "$shards"); do
            if [ "${load[$k]:-0}" -lt "${load[$best]:-0}" ]; then best=$k; fi
        done
        shard_of[$group]=$best
        load[$best]=$(( ${load[$best]:-0} + ${weight[$group]} ))
    done
    keep() { for top in "$@"; do [ "${shard_of[${group_of[$top]}]}" = "$shard" ] && echo "$top"; done; true; }
    cores=($(keep "${cores[@]+"${cores[@]}"}"))
    # A kept core's inner tops are checked here too, even if another group holds them.
    plain=($(by_size $(keep "${plain[@]}") $(for top in "${cores[@]+"${cores[@]}"}"; do echo ${inner_of[$top]}; done | sort -u)))
    plain=($(printf '%s\n' "${plain[@]+"${plain[@]}"}" | awk '!seen[$0]++'))
    echo "gate: shard $shard of $shards: ${plain[*]+"${plain[*]}"} ${cores[*]+"${cores[*]}"}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
( while sleep 60; do echo "gate: still synthesizing, $(( $(date +%s) - start )) s so far"; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
run_all() {
    local checks=() top pid
    for top in "$@"; do
        # One more job than cores: the ticker is a job too.
        while [ "$(jobs -rp | wc -l)" -gt "$jobs" ]; do
            wait -n || true
        done
        check "$top" &
        checks+=("$!")
    done
    for pid in "${checks[@]+"${checks[@]}"}"; do wait "$pid" || true; done
}
run_all "${plain[@]+"${plain[@]}"}"
run_all "${cores[@]+"${cores[@]}"}"
kill $ticker 2>/dev/null || true

tops=("${plain[@]+"${plain[@]}"}" "${cores[@]+"${cores[@]}"}")
printf '%-40s %8s %8s %6s %6s %6s %6s\n' top LUT FF BRAM DSP depth limit
fail=0
for top in "${tops[@]}"; do
    if [ -f "$out/synth/$top.row" ]; then cat "$out/synth/$top.row"; fi
done
for top in "${tops[@]}"; do
    if [ -f "$out/synth/$top.fail" ]; then cat "$out/synth/$top.fail" >&2; fail=1; fi
done
echo "gate: $(( $(date +%s) - start )) s"
exit $fail
