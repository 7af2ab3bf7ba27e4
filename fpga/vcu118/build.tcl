# Builds the VCU118 bitstream: vivado -mode batch -source build.tcl (from fpga/vcu118, after
# `cargo run -p gen -- --board vcu118 --out build/verilog`; `make` does both).
# (fpga/common/build.tcl is the flow.)

set here [file dirname [file normalize [info script]]]
set board vcu118
set part xcvu9p-flga2104-2L-e
set project accio_vcu118
set core accio_vcu118_core
source [file join $here .. common build.tcl]
