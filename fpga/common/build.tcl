# The Vivado batch flow of a board, sourced by fpga/BOARD/build.tcl, which sets `here` (its
# directory), `board`, `part`, `project` and `core` (the emitted core's module).
# Reads the core's filelist, fpga.v, the shared fpga/common/*.v and fpga.xdc, creates every
# IP from ip/*.tcl, runs synthesis, implementation and the bitstream, writes utilization
# and timing reports to build/, and fails if timing is not met.

set verilog [file join $here build verilog]
set out [file join $here build]
set jobs 8

file mkdir $out
create_project -force -part $part $project [file join $out project]

# The core: one file per module, children first, as the filelist lists them.
set filelist [file join $verilog $core.f]
if {![file exists $filelist]} {
    error "no $filelist: run `cargo run -p gen -- --board $board --out fpga/$board/build/verilog`"
}
set fh [open $filelist r]
set sources {}
foreach line [split [read $fh] "\n"] {
    set line [string trim $line]
    if {$line ne ""} {
        lappend sources [file join $verilog $line]
    }
}
close $fh
add_files -norecurse $sources
add_files -norecurse [file join $here fpga.v]
add_files -norecurse [glob [file join $here .. common *.v]]
set_property top fpga [current_fileset]
add_files -fileset constrs_1 -norecurse [file join $here fpga.xdc]

# Vendor IP, each configured by its own script.
foreach ip [lsort [glob [file join $here ip *.tcl]]] {
    source $ip
}
set ips [get_ips]
generate_target all $ips
create_ip_run $ips
launch_runs -jobs $jobs [get_runs -filter {IS_SYNTHESIS && NAME != synth_1}]
foreach run [get_runs -filter {IS_SYNTHESIS && NAME != synth_1}] {
    wait_on_run $run
}

launch_runs -jobs $jobs synth_1
wait_on_run synth_1
if {[get_property PROGRESS [get_runs synth_1]] ne "100%"} {
    error "synthesis failed"
}
launch_runs -jobs $jobs impl_1
wait_on_run impl_1
if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} {
    error "implementation failed"
}

open_run impl_1
report_utilization -hierarchical -file [file join $out utilization.rpt]
report_timing_summary -max_paths 20 -file [file join $out timing.rpt]
report_cdc -file [file join $out cdc.rpt]
set wns [get_property STATS.WNS [get_runs impl_1]]
set whs [get_property STATS.WHS [get_runs impl_1]]
puts "$project: WNS $wns ns, WHS $whs ns"
if {$wns < 0 || $whs < 0} {
    error "timing not met: WNS $wns ns, WHS $whs ns (build/timing.rpt)"
}
write_bitstream -force [file join $out fpga.bit]
