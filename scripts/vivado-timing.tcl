# Out-of-context implementation of one generated top, for a real timing report at the
# period its <top>.xdc gives (gen's [timing] clock_period_ps). Needs Vivado (2022.1 or
# later); run from the repository root after `cargo run -p gen`:
#
#   vivado -mode batch -source scripts/vivado-timing.tcl -tclargs accio_nic_w512_n64_c4 \
#       [verilog dir, default build/verilog] [part, default the VCU118's xcvu9p-flga2104-2L-e]
#
# Writes build/vivado/<top>/{timing,utilization}.rpt and fails when setup or hold timing
# is not met.
if {[llength $argv] < 1} {
    error "usage: vivado -mode batch -source scripts/vivado-timing.tcl -tclargs TOP \[DIR\] \[PART\]"
}
set top [lindex $argv 0]
set dir [expr {[llength $argv] > 1 ? [lindex $argv 1] : "build/verilog"}]
set part [expr {[llength $argv] > 2 ? [lindex $argv 2] : "xcvu9p-flga2104-2L-e"}]
set out build/vivado/$top
file mkdir $out

set list [open $dir/$top.f]
foreach name [split [string trim [read $list]] "\n"] {
    read_verilog $dir/$name
}
close $list
read_xdc -mode out_of_context $dir/$top.xdc

synth_design -top $top -part $part -mode out_of_context
opt_design
place_design
phys_opt_design
route_design

report_timing_summary -max_paths 10 -file $out/timing.rpt
report_utilization -file $out/utilization.rpt
set wns [get_property SLACK [get_timing_paths -delay_type max]]
set whs [get_property SLACK [get_timing_paths -delay_type min]]
puts "vivado-timing: $top: WNS $wns ns, WHS $whs ns (reports in $out)"
if {$wns < 0 || $whs < 0} {
    error "vivado-timing: $top does not meet timing"
}
