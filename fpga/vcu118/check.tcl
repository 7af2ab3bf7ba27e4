# What can be checked of the VCU118 flow without Vivado: tclsh check.tcl VERILOG_DIR, where
# VERILOG_DIR holds `gen --board vcu118` output (fpga/common/check.tcl says what is checked).

set here [file dirname [file normalize [info script]]]
set verilog [file normalize [lindex $argv 0]]
set board vcu118
set core accio_vcu118_core
set want_part xcvu9p-flga2104-2L-e
set primitives {IBUFGDS BUFG IBUFDS_GTE4}
source [file join $here .. common check.tcl]
