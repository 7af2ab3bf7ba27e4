// Black box of cmac_usplus_0 (UltraScale+ 100G Ethernet Subsystem, PG203) as the boards'
// ip/cmac_usplus_0.tcl configure it: CAUI-4 (4 x 25G GTY lanes in the core), AXI4-Stream
// user interface (USER_INTERFACE AXIS, 512 bits), RS-FEC included, no AXI4-Lite register
// interface (so the ctl_* ports are pins), no flow control (no pause ports), no PTP.
//
// Port names, directions and widths: PG203's port tables, as Vivado names them in
// open-nic-shell's src/cmac_subsystem/cmac_subsystem_cmac_wrapper.sv (Xilinx/open-nic-shell
// 940907f: the GT, clock, reset, AXI4-Stream, preamble, DRP ports and gt_loopback_in[11:0])
// and in a Vivado-generated instantiation template for an AXIS + RS-FEC core without
// AXI4-Lite (liaoyunkun/Jingzhao 9e35599, JingZhao2/hardware/hdl/lib/xilinx_ip_lib/
// cmac_usplus_0/cmac_usplus_0.veo, cmac_usplus 2.6: the ctl_rx_*/ctl_tx_* and RS-FEC
// control pins, drp_addr[9:0]; that core also has PTP, whose ports are not declared here).
// Every input of this configuration is declared, so fpga.v must drive each one; of the
// outputs, the GT, clock, reset, stream, preamble, overflow/underflow and DRP ones and
// stat_rx_aligned: the other statistics (stat_*), OTN, lane-fill and RS-FEC status
// outputs, ~200 of them, are left out (an output left open is harmless).

/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
module cmac_usplus_0 (
    // GTY lanes and reference clock
    input  wire [3:0]   gt_rxp_in,
    input  wire [3:0]   gt_rxn_in,
    output wire [3:0]   gt_txp_out,
    output wire [3:0]   gt_txn_out,
    input  wire         gt_ref_clk_p,
    input  wire         gt_ref_clk_n,
    output wire         gt_ref_clk_out,
    output wire [3:0]   gt_rxrecclkout,
    output wire [3:0]   gt_powergoodout,
    output wire         gt_txusrclk2,
    output wire         gt_rxusrclk2,
    input  wire [11:0]  gt_loopback_in,
    input  wire         gtwiz_reset_tx_datapath,
    input  wire         gtwiz_reset_rx_datapath,

    // Clocks and resets
    input  wire         init_clk,
    input  wire         sys_reset,
    input  wire         rx_clk,
    input  wire         core_rx_reset,
    input  wire         core_tx_reset,
    output wire         usr_rx_reset,
    output wire         usr_tx_reset,

    // DRP
    input  wire         core_drp_reset,
    input  wire         drp_clk,
    input  wire [9:0]   drp_addr,
    input  wire [15:0]  drp_di,
    input  wire         drp_en,
    input  wire         drp_we,
    output wire [15:0]  drp_do,
    output wire         drp_rdy,

    // RX: AXI4-Stream (no tready: the CMAC cannot be held back), control, alignment
    output wire         rx_axis_tvalid,
    output wire [511:0] rx_axis_tdata,
    output wire         rx_axis_tlast,
    output wire [63:0]  rx_axis_tkeep,
    output wire         rx_axis_tuser,
    output wire [55:0]  rx_preambleout,
    input  wire         ctl_rx_enable,
    input  wire         ctl_rx_force_resync,
    input  wire         ctl_rx_test_pattern,
    input  wire         ctl_rsfec_ieee_error_indication_mode,
    input  wire         ctl_rx_rsfec_enable,
    input  wire         ctl_rx_rsfec_enable_correction,
    input  wire         ctl_rx_rsfec_enable_indication,
    output wire         stat_rx_aligned,

    // TX: AXI4-Stream, control
    input  wire         tx_axis_tvalid,
    input  wire [511:0] tx_axis_tdata,
    input  wire         tx_axis_tlast,
    input  wire [63:0]  tx_axis_tkeep,
    input  wire         tx_axis_tuser,
    output wire         tx_axis_tready,
    output wire         tx_ovfout,
    output wire         tx_unfout,
    input  wire [55:0]  tx_preamblein,
    input  wire         ctl_tx_enable,
    input  wire         ctl_tx_test_pattern,
    input  wire         ctl_tx_rsfec_enable,
    input  wire         ctl_tx_send_idle,
    input  wire         ctl_tx_send_rfi,
    input  wire         ctl_tx_send_lfi
);
endmodule
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
