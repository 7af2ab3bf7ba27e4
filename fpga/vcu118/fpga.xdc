# VCU118 (xcvu9p-flga2104-2L-e) constraints for fpga.v. Pin locations and I/O standards are
# those of Corundum's fpga/mqnic/VCU118/fpga_100g/fpga.xdc (the board's schematic names in
# its comments); the clock-crossing constraints are ours (see the core's crossings in
# hdl/src/boards/vcu118.rs).

set_property CFGBVS GND [current_design]
set_property CONFIG_VOLTAGE 1.8 [current_design]
set_property BITSTREAM.GENERAL.COMPRESS true [current_design]

# 125 MHz board clock (the CMAC's init_clk)
set_property -dict {LOC AY24 IOSTANDARD LVDS} [get_ports clk_125mhz_p]
set_property -dict {LOC AY23 IOSTANDARD LVDS} [get_ports clk_125mhz_n]
create_clock -period 8.000 -name clk_125mhz [get_ports clk_125mhz_p]

# LEDs

set_property -dict {LOC AT32 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[0]}]
set_property -dict {LOC AV34 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[1]}]
set_property -dict {LOC AY30 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[2]}]
set_property -dict {LOC BB32 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[3]}]
set_property -dict {LOC BF32 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[4]}]
set_property -dict {LOC AU37 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[5]}]
set_property -dict {LOC AV36 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[6]}]
set_property -dict {LOC BA37 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[7]}]
set_false_path -to [get_ports {led[*]}]
set_output_delay 0 [get_ports {led[*]}]

# QSFP28 port 1: GTYE4 quad 231 (X1Y48-X1Y51), as cmac_usplus_0.tcl places the CMAC
set_property -dict {LOC Y2 } [get_ports qsfp1_rx1_p]
set_property -dict {LOC Y1 } [get_ports qsfp1_rx1_n]
set_property -dict {LOC V7 } [get_ports qsfp1_tx1_p]
set_property -dict {LOC V6 } [get_ports qsfp1_tx1_n]
set_property -dict {LOC W4 } [get_ports qsfp1_rx2_p]
set_property -dict {LOC W3 } [get_ports qsfp1_rx2_n]
set_property -dict {LOC T7 } [get_ports qsfp1_tx2_p]
set_property -dict {LOC T6 } [get_ports qsfp1_tx2_n]
set_property -dict {LOC V2 } [get_ports qsfp1_rx3_p]
set_property -dict {LOC V1 } [get_ports qsfp1_rx3_n]
set_property -dict {LOC P7 } [get_ports qsfp1_tx3_p]
set_property -dict {LOC P6 } [get_ports qsfp1_tx3_n]
set_property -dict {LOC U4 } [get_ports qsfp1_rx4_p]
set_property -dict {LOC U3 } [get_ports qsfp1_rx4_n]
set_property -dict {LOC M7 } [get_ports qsfp1_tx4_p]
set_property -dict {LOC M6 } [get_ports qsfp1_tx4_n]
set_property -dict {LOC W9 } [get_ports qsfp1_mgt_refclk_0_p]
set_property -dict {LOC W8 } [get_ports qsfp1_mgt_refclk_0_n]
set_property -dict {LOC AM21 IOSTANDARD LVCMOS18 SLEW SLOW DRIVE 8} [get_ports qsfp1_modsell]
set_property -dict {LOC BA22 IOSTANDARD LVCMOS18 SLEW SLOW DRIVE 8} [get_ports qsfp1_resetl]
set_property -dict {LOC AN21 IOSTANDARD LVCMOS18 SLEW SLOW DRIVE 8} [get_ports qsfp1_lpmode]
set_false_path -to [get_ports {qsfp1_modsell qsfp1_resetl qsfp1_lpmode}]
set_output_delay 0 [get_ports {qsfp1_modsell qsfp1_resetl qsfp1_lpmode}]
# 156.25 MHz reference: the CMAC's own constraints create this clock (as in Corundum, whose
# line this is); a second create_clock here would only override it.
#create_clock -period 6.400 -name qsfp1_mgt_refclk_0 [get_ports qsfp1_mgt_refclk_0_p]

# PCIe x16: GTYE4 quads 224-227, reference clock on MGTREFCLK0 of quad 225
set_property -dict {LOC AA4 } [get_ports {pcie_rx_p[0]}]
set_property -dict {LOC AA3 } [get_ports {pcie_rx_n[0]}]
set_property -dict {LOC Y7  } [get_ports {pcie_tx_p[0]}]
set_property -dict {LOC Y6  } [get_ports {pcie_tx_n[0]}]
set_property -dict {LOC AB2 } [get_ports {pcie_rx_p[1]}]
set_property -dict {LOC AB1 } [get_ports {pcie_rx_n[1]}]
set_property -dict {LOC AB7 } [get_ports {pcie_tx_p[1]}]
set_property -dict {LOC AB6 } [get_ports {pcie_tx_n[1]}]
set_property -dict {LOC AC4 } [get_ports {pcie_rx_p[2]}]
set_property -dict {LOC AC3 } [get_ports {pcie_rx_n[2]}]
set_property -dict {LOC AD7 } [get_ports {pcie_tx_p[2]}]
set_property -dict {LOC AD6 } [get_ports {pcie_tx_n[2]}]
set_property -dict {LOC AD2 } [get_ports {pcie_rx_p[3]}]
set_property -dict {LOC AD1 } [get_ports {pcie_rx_n[3]}]
set_property -dict {LOC AF7 } [get_ports {pcie_tx_p[3]}]
set_property -dict {LOC AF6 } [get_ports {pcie_tx_n[3]}]
set_property -dict {LOC AE4 } [get_ports {pcie_rx_p[4]}]
set_property -dict {LOC AE3 } [get_ports {pcie_rx_n[4]}]
set_property -dict {LOC AH7 } [get_ports {pcie_tx_p[4]}]
set_property -dict {LOC AH6 } [get_ports {pcie_tx_n[4]}]
set_property -dict {LOC AF2 } [get_ports {pcie_rx_p[5]}]
set_property -dict {LOC AF1 } [get_ports {pcie_rx_n[5]}]
set_property -dict {LOC AK7 } [get_ports {pcie_tx_p[5]}]
set_property -dict {LOC AK6 } [get_ports {pcie_tx_n[5]}]
set_property -dict {LOC AG4 } [get_ports {pcie_rx_p[6]}]
set_property -dict {LOC AG3 } [get_ports {pcie_rx_n[6]}]
set_property -dict {LOC AM7 } [get_ports {pcie_tx_p[6]}]
set_property -dict {LOC AM6 } [get_ports {pcie_tx_n[6]}]
set_property -dict {LOC AH2 } [get_ports {pcie_rx_p[7]}]
set_property -dict {LOC AH1 } [get_ports {pcie_rx_n[7]}]
set_property -dict {LOC AN5 } [get_ports {pcie_tx_p[7]}]
set_property -dict {LOC AN4 } [get_ports {pcie_tx_n[7]}]
set_property -dict {LOC AJ4 } [get_ports {pcie_rx_p[8]}]
set_property -dict {LOC AJ3 } [get_ports {pcie_rx_n[8]}]
set_property -dict {LOC AP7 } [get_ports {pcie_tx_p[8]}]
set_property -dict {LOC AP6 } [get_ports {pcie_tx_n[8]}]
set_property -dict {LOC AK2 } [get_ports {pcie_rx_p[9]}]
set_property -dict {LOC AK1 } [get_ports {pcie_rx_n[9]}]
set_property -dict {LOC AR5 } [get_ports {pcie_tx_p[9]}]
set_property -dict {LOC AR4 } [get_ports {pcie_tx_n[9]}]
set_property -dict {LOC AM2 } [get_ports {pcie_rx_p[10]}]
set_property -dict {LOC AM1 } [get_ports {pcie_rx_n[10]}]
set_property -dict {LOC AT7 } [get_ports {pcie_tx_p[10]}]
set_property -dict {LOC AT6 } [get_ports {pcie_tx_n[10]}]
set_property -dict {LOC AP2 } [get_ports {pcie_rx_p[11]}]
set_property -dict {LOC AP1 } [get_ports {pcie_rx_n[11]}]
set_property -dict {LOC AU5 } [get_ports {pcie_tx_p[11]}]
set_property -dict {LOC AU4 } [get_ports {pcie_tx_n[11]}]
set_property -dict {LOC AT2 } [get_ports {pcie_rx_p[12]}]
set_property -dict {LOC AT1 } [get_ports {pcie_rx_n[12]}]
set_property -dict {LOC AW5 } [get_ports {pcie_tx_p[12]}]
set_property -dict {LOC AW4 } [get_ports {pcie_tx_n[12]}]
set_property -dict {LOC AV2 } [get_ports {pcie_rx_p[13]}]
set_property -dict {LOC AV1 } [get_ports {pcie_rx_n[13]}]
set_property -dict {LOC BA5 } [get_ports {pcie_tx_p[13]}]
set_property -dict {LOC BA4 } [get_ports {pcie_tx_n[13]}]
set_property -dict {LOC AY2 } [get_ports {pcie_rx_p[14]}]
set_property -dict {LOC AY1 } [get_ports {pcie_rx_n[14]}]
set_property -dict {LOC BC5 } [get_ports {pcie_tx_p[14]}]
set_property -dict {LOC BC4 } [get_ports {pcie_tx_n[14]}]
set_property -dict {LOC BB2 } [get_ports {pcie_rx_p[15]}]
set_property -dict {LOC BB1 } [get_ports {pcie_rx_n[15]}]
set_property -dict {LOC BE5 } [get_ports {pcie_tx_p[15]}]
set_property -dict {LOC BE4 } [get_ports {pcie_tx_n[15]}]
set_property -dict {LOC AL9 } [get_ports pcie_refclk_p]
set_property -dict {LOC AL8 } [get_ports pcie_refclk_n]
set_property -dict {LOC AM17 IOSTANDARD LVCMOS18 PULLUP true} [get_ports pcie_reset_n]
create_clock -period 10.000 -name pcie_refclk [get_ports pcie_refclk_p]
set_false_path -from [get_ports {pcie_reset_n}]
set_input_delay 0 [get_ports {pcie_reset_n}]

# Clock-domain crossings inside the core, between the bridge's axi_aclk (core_clk, 250 MHz)
# and the CMAC's gt_txusrclk2 (mac_clk, 322.265625 MHz), whichever names the IP gives them.
# What crosses (the packet FIFOs' Gray pointers and commit handshakes into their *_sync0
# flops and the handshakes' held values, stat_rx_aligned into link_up_sync0) is bounded by
# its data path alone, within the faster clock's period, so a Gray pointer's bits arrive
# within one step of each other. The same constraints, out of context, are the core's
# accio_vcu118_core.xdc.
set core_clk [get_clocks -of_objects [get_pins core/core_clk]]
set mac_clk [get_clocks -of_objects [get_pins core/mac_clk]]
set_max_delay -datapath_only -from $core_clk -to $mac_clk 3.103
set_max_delay -datapath_only -from $mac_clk -to $core_clk 3.103

# Resets: the reset synchronizers' flops are set asynchronously (their PRE pins) by resets
# from any clock (core/core_rst_sync, core/mac_rst_sync, rst_125mhz_sync).
set_false_path -to [get_pins -hierarchical -filter {NAME =~ *rst_sync/rst_sync*_reg/PRE}]
