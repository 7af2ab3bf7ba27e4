# What can be checked of a board's Vivado flow without Vivado, sourced by
# fpga/BOARD/check.tcl (run as tclsh check.tcl VERILOG_DIR, where VERILOG_DIR holds
# `gen --board BOARD` output), which sets `here` (its directory), `verilog`, `board`,
# `core` (the emitted core's module), `want_part` and `primitives` (the Xilinx primitives
# fpga.v may instantiate). Prints one line per problem and exits 1 if there is any.
#
# * build.tcl and every ip/*.tcl run with Vivado's commands stubbed: every file build.tcl
#   reads must exist, every IP it creates is configured by `set_property -dict` on that IP.
# * fpga.v's `CORE core (...)` connects every port of the emitted core, names no other,
#   and wires of its own width to it.
# * fpga.xdc and the core's CORE.xdc, run with the stubs: each get_ports names a port of
#   its top (fpga.v's, the core's), each get_pins an instance pin or, with -filter, matches
#   a register pin of the emitted hierarchy, each get_clocks a clock created or reached
#   through -of_objects, and each create_clock is on a port.

set problems {}
proc problem {msg} {
    lappend ::problems $msg
}

# --- Verilog, just enough of it: ports, wires, instances and registers per module --------

proc read_file {path} {
    set fh [open $path r]
    set text [read $fh]
    close $fh
    return $text
}

# Width of a `[msb:lsb]` range, 1 without one.
proc width_of {range} {
    if {$range eq ""} {
        return 1
    }
    regexp {\[(\d+):(\d+)\]} $range -> msb lsb
    return [expr {$msb - $lsb + 1}]
}

# Appends `value` to the list at `key` of module `mod` in the dict `var`.
proc add_to {var mod key value} {
    upvar $var d
    set l [dict get $d $mod $key]
    lappend l $value
    dict set d $mod $key $l
}

# module name -> dict: ports (name -> width), regs (list), insts (list of {module name conns}),
# wires (name -> width). Line by line, for the emitted files' and fpga.v's layout.
proc parse_modules {text} {
    set mods [dict create]
    set keywords {module endmodule input output wire reg assign always if else case casez
        endcase begin end default for localparam parameter initial function}
    set inst {}
    foreach line [split $text "\n"] {
        if {$inst ne {}} {
            foreach {x p v} [regexp -all -inline {\.(\w+)\s*\(([^()]*)\)} $line] {
                dict set conns $p [string trim $v]
            }
            if {[string match *)\;* $line]} {
                add_to mods $cur insts [list {*}$inst $conns]
                set inst {}
            }
            continue
        }
        if {[regexp {^\s*module\s+(\w+)} $line -> cur]} {
            dict set mods $cur [dict create ports {} wires {} regs {} insts {}]
        } elseif {[regexp {^\s*(input|output)\s+wire\s*(\[\d+:\d+\])?\s*(\w+)} $line -> d r n]} {
            dict set mods $cur ports $n [width_of $r]
        } elseif {[regexp {^\s*wire\s*(\[\d+:\d+\])?\s*(\w+)} $line -> r n]} {
            dict set mods $cur wires $n [width_of $r]
        } elseif {[regexp {^\s*reg\s*(\[\d+:\d+\])?\s*(\w+)} $line -> r n]} {
            add_to mods $cur regs $n
        } elseif {[regexp {^\s*(\w+)\s+(#\s*\(.*\)\s*)?(\w+)\s*\((.*)$} $line -> m x n rest]
                  && $m ni $keywords} {
            set inst [list $m $n]
            set conns [dict create]
            foreach {x p v} [regexp -all -inline {\.(\w+)\s*\(([^()]*)\)} $rest] {
                dict set conns $p [string trim $v]
            }
            if {[string match *)\;* $rest]} {
                add_to mods $cur insts [list {*}$inst $conns]
                set inst {}
            }
        }
    }
    return $mods
}

set modules [dict create]
foreach f [glob -nocomplain [file join $verilog *.v]] {
    set modules [dict merge $modules [parse_modules [read_file $f]]]
}
if {![dict exists $modules $core]} {
    puts "no $core in $verilog"
    exit 1
}
set board [parse_modules [read_file [file join $here fpga.v]]]
set fpga [dict get $board fpga]
set modules [dict merge $modules $board]
# The boards' shared Verilog (fpga/common/*.v), which fpga.v may instantiate.
foreach f [glob [file join $here .. common *.v]] {
    set modules [dict merge $modules [parse_modules [read_file $f]]]
}

# Every register pin the hierarchy under `mod` (at `path`) has, as Vivado names them.
proc reg_pins {mod path} {
    set out {}
    if {![dict exists $::modules $mod]} {
        return $out
    }
    set m [dict get $::modules $mod]
    foreach r [dict get $m regs] {
        foreach pin {C D CE R S PRE CLR Q} {
            lappend out "$path${r}_reg/$pin"
        }
    }
    foreach i [dict get $m insts] {
        lassign $i child name
        lappend out {*}[reg_pins $child "$path$name/"]
    }
    return $out
}

# --- fpga.v against the emitted core ----------------------------------------------------

set core_ports [dict get $modules $core ports]
set found 0
foreach i [dict get $fpga insts] {
    lassign $i mod name conns
    if {$mod ne "$core"} {
        continue
    }
    incr found
    dict for {p v} $conns {
        if {![dict exists $core_ports $p]} {
            problem "fpga.v: $name connects .$p, which $core does not have"
        } elseif {[dict exists $fpga wires $v] &&
                  [dict get $fpga wires $v] != [dict get $core_ports $p]} {
            problem "fpga.v: $name.$p is [dict get $core_ports $p] bits, wire $v [dict get $fpga wires $v]"
        }
    }
    dict for {p w} $core_ports {
        if {![dict exists $conns $p]} {
            problem "fpga.v: $name leaves $core port $p unconnected (list it)"
        }
    }
}
if {$found != 1} {
    problem "fpga.v: $found instances of $core, want 1"
}

# --- Vivado stubs -----------------------------------------------------------------------

# The design an XDC is read against: its top's ports, instances and register pins.
proc use_top {mod} {
    set ::top $mod
    set ::top_ports [dict get $::modules $mod ports]
    set ::pins [reg_pins $mod ""]
    foreach i [dict get $::modules $mod insts] {
        lassign $i child name
        if {[dict exists $::modules $child]} {
            dict for {p w} [dict get $::modules $child ports] {
                lappend ::pins "$name/$p"
            }
        }
    }
    set ::clocks {}
}

# Options of a stubbed command: returns {flags positional}.
proc opts {args} {
    set flags [dict create]
    set pos {}
    for {set k 0} {$k < [llength $args]} {incr k} {
        set a [lindex $args $k]
        if {[string match -* $a] && ![string is double $a]} {
            if {$a in {-hierarchical -hier -datapath_only -force -norecurse -quiet -asynchronous}} {
                dict set flags $a 1
            } else {
                incr k
                dict set flags $a [lindex $args $k]
            }
        } else {
            lappend pos $a
        }
    }
    return [list $flags $pos]
}

proc get_ports {args} {
    lassign [opts {*}$args] flags pos
    set out {}
    foreach name [concat {*}$pos] {
        set base $name
        set idx -1
        regexp {^(\w+)\[(\d+)\]$} $name -> base idx
        regexp {^(\w+)\[\*\]$} $name -> base
        if {![dict exists $::top_ports $base]} {
            problem "$::xdc: get_ports $name: $::top has no port $base"
        } elseif {$idx >= [dict get $::top_ports $base]} {
            problem "$::xdc: get_ports $name: $base is [dict get $::top_ports $base] bits"
        }
        lappend out "port:$name"
    }
    return $out
}

proc get_pins {args} {
    lassign [opts {*}$args] flags pos
    if {[dict exists $flags -filter]} {
        if {![regexp {NAME\s*=~\s*(\S+)} [dict get $flags -filter] -> pattern]} {
            problem "$::xdc: get_pins -filter [dict get $flags -filter]: no NAME =~ pattern"
            return {}
        }
        set hits [lsearch -all -inline -glob $::pins $pattern]
        if {$hits eq {}} {
            problem "$::xdc: get_pins matches no pin of $::top: $pattern"
        }
        return $hits
    }
    foreach p [concat {*}$pos] {
        if {$p ni $::pins} {
            problem "$::xdc: get_pins $p: no such pin in $::top"
        }
    }
    return $pos
}

proc get_cells {args} {
    lassign [opts {*}$args] flags pos
    if {[dict exists $flags -filter] &&
        [regexp {NAME\s*=~\s*(\S+)} [dict get $flags -filter] -> pattern]} {
        set cells {}
        foreach p $::pins {
            lappend cells [file dirname $p]
        }
        set hits [lsearch -all -inline -glob [lsort -unique $cells] $pattern]
        if {$hits eq {}} {
            problem "$::xdc: get_cells matches no register of $::top: $pattern"
        }
        return $hits
    }
    return $pos
}

proc get_clocks {args} {
    lassign [opts {*}$args] flags pos
    if {[dict exists $flags -of_objects]} {
        return [list "clock-of:[dict get $flags -of_objects]"]
    }
    foreach c $pos {
        if {$c ni $::clocks} {
            problem "$::xdc: get_clocks $c: no clock of that name created"
        }
    }
    return $pos
}

proc create_clock {args} {
    lassign [opts {*}$args] flags pos
    set on [concat {*}$pos]
    if {$on eq {} || ![string match port:* [lindex $on 0]]} {
        problem "$::xdc: create_clock on $on, not a port"
    }
    if {[dict exists $flags -name]} {
        lappend ::clocks [dict get $flags -name]
    }
}

proc current_design {args} {
    return design
}
foreach cmd {set_property set_false_path set_max_delay set_input_delay set_output_delay} {
    proc $cmd {args} {}
}

# Runs `script` with `cmds` recording their calls in ::calls.
proc recording {cmds script} {
    set ::calls {}
    foreach c $cmds {
        proc $c {args} "lappend ::calls \[list $c {*}\$args\]; return {}"
    }
    uplevel #0 $script
}

# --- The constraints --------------------------------------------------------------------

foreach {xdc_file mod} [list [file join $here fpga.xdc] fpga \
                            [file join $verilog $core.xdc] $core] {
    set ::xdc [file tail $xdc_file]
    use_top $mod
    if {[catch {source $xdc_file} err]} {
        problem "$::xdc: $err"
    }
}

# --- The IP scripts and the build script ------------------------------------------------

set ip_cmds {create_ip get_ips set_property}
set created {}
foreach ip [lsort [glob [file join $here ip *.tcl]]] {
    recording $ip_cmds [list source $ip]
    set made {}
    foreach c $::calls {
        switch [lindex $c 0] {
            create_ip {
                lassign [opts {*}[lrange $c 1 end]] flags pos
                lappend made [dict get $flags -module_name]
                if {![dict exists $flags -name]} {
                    problem "[file tail $ip]: create_ip without -name"
                }
            }
            set_property {
                if {[lindex $c 1] ne "-dict" || [llength [lindex $c 2]] % 2 != 0} {
                    problem "[file tail $ip]: set_property is not -dict with name/value pairs"
                }
                foreach {k v} [lindex $c 2] {
                    if {![string match CONFIG.* $k]} {
                        problem "[file tail $ip]: $k is not a CONFIG property"
                    }
                }
            }
        }
    }
    if {[llength $made] != 1} {
        problem "[file tail $ip]: creates [llength $made] IPs, want 1"
    }
    lappend created {*}$made
}
# Every IP fpga.v instantiates (itself or in a shared module) is created, and every one
# created is used.
set instantiated {}
foreach i [dict get $fpga insts] {
    set mod [lindex $i 0]
    lappend instantiated $mod
    # A shared module's instances (the IP it wraps) count as fpga.v's.
    if {$mod ne $core && [dict exists $modules $mod]} {
        foreach j [dict get $modules $mod insts] {
            lappend instantiated [lindex $j 0]
        }
    }
}
foreach ip $created {
    if {$ip ni $instantiated} {
        problem "ip/$ip.tcl: fpga.v does not instantiate $ip"
    }
}
foreach mod $instantiated {
    if {![dict exists $modules $mod] && $mod ni $created && $mod ni $primitives} {
        problem "fpga.v instantiates $mod: no IP script creates it and gen did not emit it"
    }
}

# build.tcl with a Verilog directory where the Makefile puts it; every file it adds must exist.
set build_cmds {create_project add_files set_property current_fileset get_ips generate_target
    create_ip_run launch_runs get_runs wait_on_run open_run report_utilization
    report_timing_summary report_cdc write_bitstream create_ip}
proc get_property {name args} {
    if {$name eq "PROGRESS"} {
        return 100%
    }
    return 0.0
}
set real_verilog [file join $here build verilog]
if {[file normalize $real_verilog] ne $verilog} {
    puts "note: build.tcl reads $real_verilog; checking its file list against $verilog"
}
recording $build_cmds {
    rename file real_file
    proc file {sub args} {
        # The Verilog directory build.tcl reads is the one under check.
        if {$sub eq "join" && [lrange $args 1 end] eq {build verilog}} {
            return $::verilog
        }
        if {$sub eq "mkdir"} {
            return
        }
        return [real_file $sub {*}$args]
    }
    if {[catch {source [real_file join $::here build.tcl]} err]} {
        problem "build.tcl: $err"
    }
    rename file {}
    rename real_file file
}
set part ""
foreach c $::calls {
    switch [lindex $c 0] {
        create_project {
            lassign [opts {*}[lrange $c 1 end]] flags pos
            set part [dict get $flags -part]
        }
        add_files {
            lassign [opts {*}[lrange $c 1 end]] flags pos
            foreach f [concat {*}$pos] {
                if {![file exists $f]} {
                    problem "build.tcl adds $f, which does not exist"
                }
            }
        }
    }
}
if {$part ne $want_part} {
    problem "build.tcl: part `$part`, want the $board's $want_part"
}

foreach p $problems {
    puts $p
}
if {$problems ne {}} {
    exit 1
}
puts "fpga/$board: fpga.v, fpga.xdc, $core.xdc, build.tcl and ip/*.tcl consistent with $verilog"
