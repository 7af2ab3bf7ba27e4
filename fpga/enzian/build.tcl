# Builds the Enzian application: vivado -mode batch -source build.tcl (from fpga/enzian,
# after `cargo run -p gen -- --board enzian --out build/verilog`; `make` does both), with
# `fpga` (fpga.v) as the top. (fpga/common/build.tcl is the flow.) Enzian's own flow links
# an application into the static shell (partial reconfiguration); that step is the shell's
# scripts', which are not public.
set here [file dirname [file normalize [info script]]]
set board enzian
set part xcvu9p-flgb2104-3-e
set project lauberhorn_enzian
set core lauberhorn_enzian_core
source [file join $here .. common build.tcl]
