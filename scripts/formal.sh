#!/usr/bin/env bash
# Formal proofs over emitted Verilog with what Debian ships: yosys (read_verilog -formal),
# yosys-smtbmc and z3. Each proof pastes a property file formal/<block>.svh into a copy of
# the emitted module (just before `endmodule`; yosys 0.23 has no `bind`), then runs bounded
# model checking from reset to BMC steps and k-induction (yosys-smtbmc -i) of IND steps.
# Prints one line per proof; fails on a counterexample and names the trace VCD. Tops the
# default build has no use for come from `cargo run -p hdl --example formal_blocks`. The
# modules a top instantiates are read from the files beside it (yosys hierarchy -libdir),
# unchanged: properties go into the top only.
#   scripts/formal.sh
# Results are cached by content in build/formal/cache (emitted Verilog, property file,
# this script, tool versions); FORMAL_CACHE=0 turns it off.
# Mutation check: FORMAL_MUTATE='NAME:SED-EXPR' edits proof NAME's copy of the Verilog with
# sed before proving (and skips the cache), e.g.
#   FORMAL_MUTATE='axis_register:s/skid_valid <= 1.b1;/skid_valid <= 1'"'"'b0;/' scripts/formal.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/formal
verilog=$out/verilog
examples=$out/examples
cache=$out/cache
work=$out/work
cargo run -q -p gen -- --out "$verilog" >/dev/null
rm -rf "$examples"
cargo run -q -p hdl --example formal_blocks -- "$examples"
mkdir -p "$cache" "$work"
tools_id=$( { yosys -V; z3 --version; cat "$0"; } | sha256sum | cut -c1-64)

# name  emitted top  property file  BMC steps  induction steps  clocking  yosys-smtbmc options
# Clocking `dffunmap`: one clock, a step per edge; `clk2fflogic`: two unrelated clocks, each
# flop turned into logic of a global clock so either clock may rise at any step.
# `--unroll`: z3 4.8.12 stalls on these proofs' first step without it; `-` for none.
proofs=(
    "axis_register axis_register_w64u0 formal/axis_register.svh 12 4 dffunmap -"
    "sync_fifo sync_fifo_w4_d4_dist formal/sync_fifo.svh 14 4 dffunmap -"
    "reg_slave reg_slave_probe formal/reg_slave.svh 12 3 dffunmap --unroll"
    "async_fifo async_fifo_w4_d4_s2_dist formal/async_fifo.svh 16 4 clk2fflogic --unroll"
    "lauberhorn_endpoints lauberhorn_endpoints_c1_w1024_a1_s4 formal/lauberhorn_endpoints.svh 10 2 dffunmap --unroll"
)

mut=${FORMAL_MUTATE:-}
mut_name=${mut%%:*}
mut_expr=${mut#*:}
fail=0
for p in "${proofs[@]}"; do
    read -r name top props bmc ind clocking opts <<<"$p"
    [ "$opts" = - ] && opts=
    src=$verilog/$top.v
    [ -f "$src" ] || src=$examples/$top.v
    # The modules the top instantiates (one level: they instantiate none).
    subs=$(sed -nE 's/^ +([A-Za-z_][A-Za-z0-9_]*) [A-Za-z_][A-Za-z0-9_]* \($/\1/p' "$src" | sort -u)
    key=$( { echo "$tools_id $bmc $ind $clocking $opts"; cat "$src" "$props";
        for m in $subs; do cat "$(dirname "$src")/$m.v"; done; } | sha256sum | cut -c1-64)
    mutated=0
    [ -n "${FORMAL_MUTATE:-}" ] && [ "$mut_name" = "$name" ] && mutated=1
    if [ "${FORMAL_CACHE:-1}" = 1 ] && [ $mutated = 0 ] && [ -f "$cache/$key" ]; then
        echo "formal: $(cat "$cache/$key") (cached)"
        continue
    fi
    start=$(date +%s)
    dir=$work/$name
    rm -rf "$dir" && mkdir -p "$dir"
    awk -v inc="$PWD/$props" '/^endmodule/ { print "`include \"" inc "\"" } { print }' "$src" >"$dir/$top.v"
    if [ $mutated = 1 ]; then
        sed -i "$mut_expr" "$dir/$top.v"
        if cmp -s "$dir/$top.v" <(awk -v inc="$PWD/$props" '/^endmodule/ { print "`include \"" inc "\"" } { print }' "$src"); then
            echo "formal: FORMAL_MUTATE changed nothing in $name" >&2; exit 2
        fi
    fi
    yosys -q -l "$dir/yosys.log" -p "read_verilog -formal -sv $dir/$top.v; hierarchy -libdir $(dirname "$src") -top $top; prep -top $top; memory_map; opt -fast; $clocking; write_smt2 -wires $dir/$top.smt2" >/dev/null
    bmc_res=passed
    if ! yosys-smtbmc -s z3 $opts -t "$bmc" --dump-vcd "$dir/bmc.vcd" "$dir/$top.smt2" >"$dir/bmc.log" 2>&1; then
        bmc_res="FAILED (trace $dir/bmc.vcd, log $dir/bmc.log)"
        fail=1
    fi
    ind_res=closed
    if ! yosys-smtbmc -s z3 $opts -i -t "$ind" --dump-vcd "$dir/induction.vcd" "$dir/$top.smt2" >"$dir/induction.log" 2>&1; then
        ind_res="NOT CLOSED (step trace $dir/induction.vcd, log $dir/induction.log)"
        fail=1
    fi
    line="$name ($top): BMC $bmc steps $bmc_res, induction k=$ind $ind_res, $(( $(date +%s) - start )) s"
    echo "formal: $line"
    if [ "$bmc_res" = passed ] && [ "$ind_res" = closed ] && [ $mutated = 0 ]; then
        echo "$line" >"$cache/$key"
    fi
done
[ $fail = 0 ] || { echo "formal: counterexample or open induction, see above" >&2; exit 1; }
