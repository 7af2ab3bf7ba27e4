// 100GBASE-R on four GTY lanes through the board's cmac_usplus_0 (its ip/cmac_usplus_0.tcl):
// both AXI4-Stream ports on gt_txusrclk2 (the RX FIFO inside the CMAC), RS-FEC on, lanes
// enabled, no flow control, DRP and loopback unused. Shared by the boards' fpga.v.

`default_nettype none

module cmac_100g (
    input  wire [3:0]   gt_rxp,
    input  wire [3:0]   gt_rxn,
    output wire [3:0]   gt_txp,
    output wire [3:0]   gt_txn,
    input  wire         gt_ref_clk_p,
    input  wire         gt_ref_clk_n,
    input  wire         init_clk,
    input  wire         sys_reset,
    output wire         mac_clk,
    output wire         tx_rst,
    output wire         rx_rst,
    output wire         rx_aligned,
    output wire [511:0] rx_axis_tdata,
    output wire [63:0]  rx_axis_tkeep,
    output wire         rx_axis_tvalid,
    output wire         rx_axis_tlast,
    output wire         rx_axis_tuser,
    input  wire [511:0] tx_axis_tdata,
    input  wire [63:0]  tx_axis_tkeep,
    input  wire         tx_axis_tvalid,
    output wire         tx_axis_tready,
    input  wire         tx_axis_tlast,
    input  wire         tx_axis_tuser
);

// cmac_usplus_0's outputs left open here.
wire unused_cmac_gt_ref_clk_out;
wire [3:0] unused_cmac_gt_rxrecclkout;
wire [3:0] unused_cmac_gt_powergoodout;
wire unused_cmac_gt_rxusrclk2;
wire [15:0] unused_cmac_drp_do;
wire unused_cmac_drp_rdy;
wire [55:0] unused_cmac_rx_preambleout;
wire unused_cmac_tx_ovfout;
wire unused_cmac_tx_unfout;

cmac_usplus_0 cmac (
    .gt_rxp_in              (gt_rxp),
    .gt_rxn_in              (gt_rxn),
    .gt_txp_out             (gt_txp),
    .gt_txn_out             (gt_txn),
    .gt_ref_clk_p           (gt_ref_clk_p),
    .gt_ref_clk_n           (gt_ref_clk_n),
    .gt_ref_clk_out         (unused_cmac_gt_ref_clk_out),
    .gt_rxrecclkout         (unused_cmac_gt_rxrecclkout),
    .gt_powergoodout        (unused_cmac_gt_powergoodout),
    .gt_txusrclk2           (mac_clk),
    .gt_rxusrclk2           (unused_cmac_gt_rxusrclk2),
    .gt_loopback_in         (12'd0),
    .gtwiz_reset_tx_datapath(1'b0),
    .gtwiz_reset_rx_datapath(1'b0),
    .init_clk               (init_clk),
    .sys_reset              (sys_reset),
    .core_drp_reset         (1'b0),
    .drp_clk                (1'b0),
    .drp_addr               (10'd0),
    .drp_di                 (16'd0),
    .drp_en                 (1'b0),
    .drp_we                 (1'b0),
    .drp_do                 (unused_cmac_drp_do),
    .drp_rdy                (unused_cmac_drp_rdy),

    .rx_clk                 (mac_clk),
    .usr_rx_reset           (rx_rst),
    .core_rx_reset          (1'b0),
    .ctl_rx_enable          (1'b1),
    .ctl_rx_force_resync    (1'b0),
    .ctl_rx_test_pattern    (1'b0),
    .ctl_rsfec_ieee_error_indication_mode (1'b0),
    .ctl_rx_rsfec_enable    (1'b1),
    .ctl_rx_rsfec_enable_correction (1'b1),
    .ctl_rx_rsfec_enable_indication (1'b1),
    .stat_rx_aligned        (rx_aligned),
    .rx_axis_tvalid         (rx_axis_tvalid),
    .rx_axis_tdata          (rx_axis_tdata),
    .rx_axis_tlast          (rx_axis_tlast),
    .rx_axis_tkeep          (rx_axis_tkeep),
    .rx_axis_tuser          (rx_axis_tuser),
    .rx_preambleout         (unused_cmac_rx_preambleout),

    .usr_tx_reset           (tx_rst),
    .core_tx_reset          (1'b0),
    .ctl_tx_enable          (1'b1),
    .ctl_tx_test_pattern    (1'b0),
    .ctl_tx_rsfec_enable    (1'b1),
    .ctl_tx_send_idle       (1'b0),
    .ctl_tx_send_rfi        (1'b0),
    .ctl_tx_send_lfi        (1'b0),
    .tx_preamblein          (56'd0),
    .tx_axis_tready         (tx_axis_tready),
    .tx_axis_tvalid         (tx_axis_tvalid),
    .tx_axis_tdata          (tx_axis_tdata),
    .tx_axis_tlast          (tx_axis_tlast),
    .tx_axis_tkeep          (tx_axis_tkeep),
    .tx_axis_tuser          (tx_axis_tuser),
    .tx_ovfout              (unused_cmac_tx_ovfout),
    .tx_unfout              (unused_cmac_tx_unfout)
);

endmodule

`default_nettype wire
