# What can be checked of the Enzian flow without Vivado: tclsh check.tcl VERILOG_DIR, where
# VERILOG_DIR holds `gen --board enzian` output (fpga/common/check.tcl says what is checked).

set here [file dirname [file normalize [info script]]]
set verilog [file normalize [lindex $argv 0]]
set board enzian
set core lauberhorn_enzian_core
set want_part xcvu9p-flgb2104-3-e
set primitives {IBUFDS BUFG}
source [file join $here .. common check.tcl]
