// VCU118 board top for the Accio NIC: the vendor IP around `accio_vcu118_core` (emitted by
// `cargo run -p gen -- --board vcu118`), which holds every clock-domain crossing.
//
//   QSFP28 port 1 -- cmac_100g (cmac_usplus_0, 100GBASE-R, RS-FEC) -- mac_clk: gt_txusrclk2, 322.265625 MHz
//   PCIe x16 Gen3 -- xdma_0 (AXI Bridge mode)            -- core_clk: axi_aclk, 250 MHz
//     m_axib (512-bit AXI4, BAR0) -> axi_regs_dwidth (512 -> 64 bits)
//                                 -> axi_regs_lite (AXI4 -> AXI4-Lite) -> core s_axil
//     core m_axi (512-bit AXI4)   -> s_axib (host memory)
//     irq[3:0], evq_irq, np_irq   -> MSI vectors 0-3, 4, 5
//   125 MHz board clock            -- the CMAC's init_clk (housekeeping)
//
// BAR0 is 2 MiB: address bits [16:0] select a register of the ACCIO map, bits [19:17] the
// requesting core (AxUSER) and bit 20 set makes the access a user one (AxPROT[0] = 0), so
// the kernel maps each thread only its core's user window.

`default_nettype none

module fpga (
    // 125 MHz LVDS board clock
    input  wire        clk_125mhz_p,
    input  wire        clk_125mhz_n,

    output wire [7:0]  led,

    // PCI Express x16
    input  wire [15:0] pcie_rx_p,
    input  wire [15:0] pcie_rx_n,
    output wire [15:0] pcie_tx_p,
    output wire [15:0] pcie_tx_n,
    input  wire        pcie_refclk_p,
    input  wire        pcie_refclk_n,
    input  wire        pcie_reset_n,

    // QSFP28 port 1
    output wire        qsfp1_tx1_p,
    output wire        qsfp1_tx1_n,
    input  wire        qsfp1_rx1_p,
    input  wire        qsfp1_rx1_n,
    output wire        qsfp1_tx2_p,
    output wire        qsfp1_tx2_n,
    input  wire        qsfp1_rx2_p,
    input  wire        qsfp1_rx2_n,
    output wire        qsfp1_tx3_p,
    output wire        qsfp1_tx3_n,
    input  wire        qsfp1_rx3_p,
    input  wire        qsfp1_rx3_n,
    output wire        qsfp1_tx4_p,
    output wire        qsfp1_tx4_n,
    input  wire        qsfp1_rx4_p,
    input  wire        qsfp1_rx4_n,
    input  wire        qsfp1_mgt_refclk_0_p,
    input  wire        qsfp1_mgt_refclk_0_n,
    output wire        qsfp1_modsell,
    output wire        qsfp1_resetl,
    output wire        qsfp1_lpmode
);

// ---------------------------------------------------------------------------------------
// Clocks and resets
// ---------------------------------------------------------------------------------------

wire clk_125mhz_ibuf;
wire clk_125mhz;
IBUFGDS clk_125mhz_ibufg_inst (.I(clk_125mhz_p), .IB(clk_125mhz_n), .O(clk_125mhz_ibuf));
BUFG clk_125mhz_bufg_inst (.I(clk_125mhz_ibuf), .O(clk_125mhz));

// The CMAC's housekeeping reset: PERST# from the host, synchronized to init_clk.
wire rst_125mhz;
reset_sync_s2 rst_125mhz_sync (.clk(clk_125mhz), .rst_in(~pcie_reset_n), .rst_out(rst_125mhz));

wire pcie_sys_clk;
wire pcie_sys_clk_gt;
IBUFDS_GTE4 #(.REFCLK_HROW_CK_SEL(2'b00)) pcie_refclk_ibuf (
    .I(pcie_refclk_p), .IB(pcie_refclk_n), .CEB(1'b0),
    .O(pcie_sys_clk_gt), .ODIV2(pcie_sys_clk)
);

wire core_clk;        // xdma axi_aclk, 250 MHz
wire core_aresetn;
wire mac_clk;         // cmac gt_txusrclk2, 322.265625 MHz
wire mac_tx_rst;
wire mac_rx_rst;
wire pcie_link_up;
wire rx_aligned;

// The core's one reset: the bridge's or the MAC's (reset_sync inside the core releases each
// domain in step with its clock).
wire board_rst = ~core_aresetn | mac_tx_rst | mac_rx_rst;

// ---------------------------------------------------------------------------------------
// The NIC core
// ---------------------------------------------------------------------------------------

wire [16:0]  s_axil_awaddr;
wire [2:0]   s_axil_awprot;
wire [7:0]   s_axil_awuser;
wire         s_axil_awvalid;
wire         s_axil_awready;
wire [63:0]  s_axil_wdata;
wire [7:0]   s_axil_wstrb;
wire         s_axil_wvalid;
wire         s_axil_wready;
wire [1:0]   s_axil_bresp;
wire         s_axil_bvalid;
wire         s_axil_bready;
wire [16:0]  s_axil_araddr;
wire [2:0]   s_axil_arprot;
wire [7:0]   s_axil_aruser;
wire         s_axil_arvalid;
wire         s_axil_arready;
wire [63:0]  s_axil_rdata;
wire [1:0]   s_axil_rresp;
wire         s_axil_rvalid;
wire         s_axil_rready;

wire         m_axi_awid;
wire [63:0]  m_axi_awaddr;
wire [7:0]   m_axi_awlen;
wire [2:0]   m_axi_awsize;
wire [1:0]   m_axi_awburst;
wire         m_axi_awvalid;
wire         m_axi_awready;
wire [511:0] m_axi_wdata;
wire [63:0]  m_axi_wstrb;
wire         m_axi_wlast;
wire         m_axi_wvalid;
wire         m_axi_wready;
wire [3:0]   m_axi_bid;
wire [1:0]   m_axi_bresp;
wire         m_axi_bvalid;
wire         m_axi_bready;
wire         m_axi_arid;
wire [63:0]  m_axi_araddr;
wire [7:0]   m_axi_arlen;
wire [2:0]   m_axi_arsize;
wire [1:0]   m_axi_arburst;
wire         m_axi_arvalid;
wire         m_axi_arready;
wire [3:0]   m_axi_rid;
wire [511:0] m_axi_rdata;
wire [1:0]   m_axi_rresp;
wire         m_axi_rlast;
wire         m_axi_rvalid;
wire         m_axi_rready;

wire [3:0]   irq;
wire         evq_irq;
wire         np_irq;
wire         link_up;

wire [511:0] rx_axis_tdata;
wire [63:0]  rx_axis_tkeep;
wire         rx_axis_tvalid;
wire         rx_axis_tlast;
wire         rx_axis_tuser;
wire [511:0] tx_axis_tdata;
wire [63:0]  tx_axis_tkeep;
wire         tx_axis_tvalid;
wire         tx_axis_tready;
wire         tx_axis_tlast;
wire         tx_axis_tuser;

// accio_vcu118_core's outputs left open here.
wire [3:0] unused_core_m_axi_awcache;
wire [2:0] unused_core_m_axi_awprot;
wire [3:0] unused_core_m_axi_arcache;
wire [2:0] unused_core_m_axi_arprot;
wire unused_core_rx_axis_tready;
wire unused_core_rx_drop_bad;
wire unused_core_rx_drop_full;
wire unused_core_tx_drop_bad;
wire unused_core_tx_drop_full;

accio_vcu118_core core (
    .core_clk        (core_clk),
    .mac_clk         (mac_clk),
    .board_rst       (board_rst),
    .s_axil_awaddr   (s_axil_awaddr),
    .s_axil_awprot   (s_axil_awprot),
    .s_axil_awuser   (s_axil_awuser),
    .s_axil_awvalid  (s_axil_awvalid),
    .s_axil_awready  (s_axil_awready),
    .s_axil_wdata    (s_axil_wdata),
    .s_axil_wstrb    (s_axil_wstrb),
    .s_axil_wvalid   (s_axil_wvalid),
    .s_axil_wready   (s_axil_wready),
    .s_axil_bresp    (s_axil_bresp),
    .s_axil_bvalid   (s_axil_bvalid),
    .s_axil_bready   (s_axil_bready),
    .s_axil_araddr   (s_axil_araddr),
    .s_axil_arprot   (s_axil_arprot),
    .s_axil_aruser   (s_axil_aruser),
    .s_axil_arvalid  (s_axil_arvalid),
    .s_axil_arready  (s_axil_arready),
    .s_axil_rdata    (s_axil_rdata),
    .s_axil_rresp    (s_axil_rresp),
    .s_axil_rvalid   (s_axil_rvalid),
    .s_axil_rready   (s_axil_rready),
    .m_axi_awid      (m_axi_awid),
    .m_axi_awaddr    (m_axi_awaddr),
    .m_axi_awlen     (m_axi_awlen),
    .m_axi_awsize    (m_axi_awsize),
    .m_axi_awburst   (m_axi_awburst),
    .m_axi_awcache   (unused_core_m_axi_awcache),
    .m_axi_awprot    (unused_core_m_axi_awprot),
    .m_axi_awvalid   (m_axi_awvalid),
    .m_axi_awready   (m_axi_awready),
    .m_axi_wdata     (m_axi_wdata),
    .m_axi_wstrb     (m_axi_wstrb),
    .m_axi_wlast     (m_axi_wlast),
    .m_axi_wvalid    (m_axi_wvalid),
    .m_axi_wready    (m_axi_wready),
    .m_axi_bid       (m_axi_bid[0]),
    .m_axi_bresp     (m_axi_bresp),
    .m_axi_bvalid    (m_axi_bvalid),
    .m_axi_bready    (m_axi_bready),
    .m_axi_arid      (m_axi_arid),
    .m_axi_araddr    (m_axi_araddr),
    .m_axi_arlen     (m_axi_arlen),
    .m_axi_arsize    (m_axi_arsize),
    .m_axi_arburst   (m_axi_arburst),
    .m_axi_arcache   (unused_core_m_axi_arcache),
    .m_axi_arprot    (unused_core_m_axi_arprot),
    .m_axi_arvalid   (m_axi_arvalid),
    .m_axi_arready   (m_axi_arready),
    .m_axi_rid       (m_axi_rid[0]),
    .m_axi_rdata     (m_axi_rdata),
    .m_axi_rresp     (m_axi_rresp),
    .m_axi_rlast     (m_axi_rlast),
    .m_axi_rvalid    (m_axi_rvalid),
    .m_axi_rready    (m_axi_rready),
    .irq             (irq),
    .evq_irq         (evq_irq),
    .np_irq          (np_irq),
    .link_up         (link_up),
    .rx_axis_tdata   (rx_axis_tdata),
    .rx_axis_tkeep   (rx_axis_tkeep),
    .rx_axis_tvalid  (rx_axis_tvalid),
    .rx_axis_tready  (unused_core_rx_axis_tready),
    .rx_axis_tlast   (rx_axis_tlast),
    .rx_axis_tuser   (rx_axis_tuser),
    .tx_axis_tdata   (tx_axis_tdata),
    .tx_axis_tkeep   (tx_axis_tkeep),
    .tx_axis_tvalid  (tx_axis_tvalid),
    .tx_axis_tready  (tx_axis_tready),
    .tx_axis_tlast   (tx_axis_tlast),
    .tx_axis_tuser   (tx_axis_tuser),
    .stat_rx_aligned (rx_aligned),
    .rx_drop_bad     (unused_core_rx_drop_bad),
    .rx_drop_full    (unused_core_rx_drop_full),
    .tx_drop_bad     (unused_core_tx_drop_bad),
    .tx_drop_full    (unused_core_tx_drop_full)
);

// ---------------------------------------------------------------------------------------
// PCIe: the XDMA bridge, its BAR0 master to the NIC's registers, host memory for the NIC
// ---------------------------------------------------------------------------------------

// BAR0 accesses as the bridge's AXI4 master issues them, after the width converter.
wire [63:0] bar_awaddr;
wire [63:0] bar_araddr;
wire [63:0] lite_awaddr;
wire [63:0] lite_araddr;

// Bits [19:17] name the core, bit 20 marks a user access (see the header).
assign s_axil_awaddr = lite_awaddr[16:0];
assign s_axil_araddr = lite_araddr[16:0];
assign s_axil_awuser = {5'd0, lite_awaddr[19:17]};
assign s_axil_aruser = {5'd0, lite_araddr[19:17]};
assign s_axil_awprot = {2'b00, ~lite_awaddr[20]};
assign s_axil_arprot = {2'b00, ~lite_araddr[20]};

wire [3:0]   xb_awid;
wire [7:0]   xb_awlen;
wire [2:0]   xb_awsize;
wire [1:0]   xb_awburst;
wire         xb_awvalid;
wire         xb_awready;
wire [511:0] xb_wdata;
wire [63:0]  xb_wstrb;
wire         xb_wlast;
wire         xb_wvalid;
wire         xb_wready;
wire [3:0]   xb_bid;
wire [1:0]   xb_bresp;
wire         xb_bvalid;
wire         xb_bready;
wire [3:0]   xb_arid;
wire [7:0]   xb_arlen;
wire [2:0]   xb_arsize;
wire [1:0]   xb_arburst;
wire         xb_arvalid;
wire         xb_arready;
wire [3:0]   xb_rid;
wire [511:0] xb_rdata;
wire [1:0]   xb_rresp;
wire         xb_rlast;
wire         xb_rvalid;
wire         xb_rready;

wire [5:0]   usr_irq_req;
wire [5:0]   usr_irq_ack;
wire         msi_enable;

// xdma_0's outputs left open here.
wire [2:0] unused_pcie_m_axib_awprot;
wire unused_pcie_m_axib_awlock;
wire [3:0] unused_pcie_m_axib_awcache;
wire [2:0] unused_pcie_m_axib_arprot;
wire unused_pcie_m_axib_arlock;
wire [3:0] unused_pcie_m_axib_arcache;

xdma_0 pcie (
    .sys_clk            (pcie_sys_clk),
    .sys_clk_gt         (pcie_sys_clk_gt),
    .sys_rst_n          (pcie_reset_n),
    .pci_exp_txp        (pcie_tx_p),
    .pci_exp_txn        (pcie_tx_n),
    .pci_exp_rxp        (pcie_rx_p),
    .pci_exp_rxn        (pcie_rx_n),
    .user_lnk_up        (pcie_link_up),
    .axi_aclk           (core_clk),
    .axi_aresetn        (core_aresetn),

    .usr_irq_req        (usr_irq_req),
    .usr_irq_ack        (usr_irq_ack),
    .msi_enable         (msi_enable),

    .m_axib_awid        (xb_awid),
    .m_axib_awaddr      (bar_awaddr),
    .m_axib_awlen       (xb_awlen),
    .m_axib_awsize      (xb_awsize),
    .m_axib_awburst     (xb_awburst),
    .m_axib_awprot      (unused_pcie_m_axib_awprot),
    .m_axib_awvalid     (xb_awvalid),
    .m_axib_awready     (xb_awready),
    .m_axib_awlock      (unused_pcie_m_axib_awlock),
    .m_axib_awcache     (unused_pcie_m_axib_awcache),
    .m_axib_wdata       (xb_wdata),
    .m_axib_wstrb       (xb_wstrb),
    .m_axib_wlast       (xb_wlast),
    .m_axib_wvalid      (xb_wvalid),
    .m_axib_wready      (xb_wready),
    .m_axib_bid         (xb_bid),
    .m_axib_bresp       (xb_bresp),
    .m_axib_bvalid      (xb_bvalid),
    .m_axib_bready      (xb_bready),
    .m_axib_arid        (xb_arid),
    .m_axib_araddr      (bar_araddr),
    .m_axib_arlen       (xb_arlen),
    .m_axib_arsize      (xb_arsize),
    .m_axib_arburst     (xb_arburst),
    .m_axib_arprot      (unused_pcie_m_axib_arprot),
    .m_axib_arvalid     (xb_arvalid),
    .m_axib_arready     (xb_arready),
    .m_axib_arlock      (unused_pcie_m_axib_arlock),
    .m_axib_arcache     (unused_pcie_m_axib_arcache),
    .m_axib_rid         (xb_rid),
    .m_axib_rdata       (xb_rdata),
    .m_axib_rresp       (xb_rresp),
    .m_axib_rlast       (xb_rlast),
    .m_axib_rvalid      (xb_rvalid),
    .m_axib_rready      (xb_rready),

    .s_axib_awid        ({3'd0, m_axi_awid}),
    .s_axib_awaddr      (m_axi_awaddr),
    .s_axib_awregion    (4'd0),
    .s_axib_awlen       (m_axi_awlen),
    .s_axib_awsize      (m_axi_awsize),
    .s_axib_awburst     (m_axi_awburst),
    .s_axib_awvalid     (m_axi_awvalid),
    .s_axib_awready     (m_axi_awready),
    .s_axib_wdata       (m_axi_wdata),
    .s_axib_wstrb       (m_axi_wstrb),
    .s_axib_wlast       (m_axi_wlast),
    .s_axib_wvalid      (m_axi_wvalid),
    .s_axib_wready      (m_axi_wready),
    .s_axib_bid         (m_axi_bid),
    .s_axib_bresp       (m_axi_bresp),
    .s_axib_bvalid      (m_axi_bvalid),
    .s_axib_bready      (m_axi_bready),
    .s_axib_arid        ({3'd0, m_axi_arid}),
    .s_axib_araddr      (m_axi_araddr),
    .s_axib_arregion    (4'd0),
    .s_axib_arlen       (m_axi_arlen),
    .s_axib_arsize      (m_axi_arsize),
    .s_axib_arburst     (m_axi_arburst),
    .s_axib_arvalid     (m_axi_arvalid),
    .s_axib_arready     (m_axi_arready),
    .s_axib_rid         (m_axi_rid),
    .s_axib_rdata       (m_axi_rdata),
    .s_axib_rresp       (m_axi_rresp),
    .s_axib_rlast       (m_axi_rlast),
    .s_axib_rvalid      (m_axi_rvalid),
    .s_axib_rready      (m_axi_rready)
);

// BAR0 512 -> 64 bits.
wire [7:0]  dw_awlen;
wire [2:0]  dw_awsize;
wire [1:0]  dw_awburst;
wire        dw_awvalid;
wire        dw_awready;
wire [63:0] dw_wdata;
wire [7:0]  dw_wstrb;
wire        dw_wlast;
wire        dw_wvalid;
wire        dw_wready;
wire [1:0]  dw_bresp;
wire        dw_bvalid;
wire        dw_bready;
wire [7:0]  dw_arlen;
wire [2:0]  dw_arsize;
wire [1:0]  dw_arburst;
wire        dw_arvalid;
wire        dw_arready;
wire [63:0] dw_rdata;
wire [1:0]  dw_rresp;
wire        dw_rlast;
wire        dw_rvalid;
wire        dw_rready;
wire [63:0] dw_awaddr;
wire [63:0] dw_araddr;

// axi_regs_dwidth's outputs left open here.
wire unused_regs_dwidth_m_axi_awlock;
wire [3:0] unused_regs_dwidth_m_axi_awcache;
wire [2:0] unused_regs_dwidth_m_axi_awprot;
wire [3:0] unused_regs_dwidth_m_axi_awregion;
wire [3:0] unused_regs_dwidth_m_axi_awqos;
wire unused_regs_dwidth_m_axi_arlock;
wire [3:0] unused_regs_dwidth_m_axi_arcache;
wire [2:0] unused_regs_dwidth_m_axi_arprot;
wire [3:0] unused_regs_dwidth_m_axi_arregion;
wire [3:0] unused_regs_dwidth_m_axi_arqos;

axi_regs_dwidth regs_dwidth (
    .s_axi_aclk     (core_clk),
    .s_axi_aresetn  (core_aresetn),
    .s_axi_awid     (xb_awid),
    .s_axi_awaddr   (bar_awaddr),
    .s_axi_awlen    (xb_awlen),
    .s_axi_awsize   (xb_awsize),
    .s_axi_awburst  (xb_awburst),
    .s_axi_awlock   (1'b0),
    .s_axi_awcache  (4'd0),
    .s_axi_awprot   (3'd0),
    .s_axi_awregion (4'd0),
    .s_axi_awqos    (4'd0),
    .s_axi_awvalid  (xb_awvalid),
    .s_axi_awready  (xb_awready),
    .s_axi_wdata    (xb_wdata),
    .s_axi_wstrb    (xb_wstrb),
    .s_axi_wlast    (xb_wlast),
    .s_axi_wvalid   (xb_wvalid),
    .s_axi_wready   (xb_wready),
    .s_axi_bid      (xb_bid),
    .s_axi_bresp    (xb_bresp),
    .s_axi_bvalid   (xb_bvalid),
    .s_axi_bready   (xb_bready),
    .s_axi_arid     (xb_arid),
    .s_axi_araddr   (bar_araddr),
    .s_axi_arlen    (xb_arlen),
    .s_axi_arsize   (xb_arsize),
    .s_axi_arburst  (xb_arburst),
    .s_axi_arlock   (1'b0),
    .s_axi_arcache  (4'd0),
    .s_axi_arprot   (3'd0),
    .s_axi_arregion (4'd0),
    .s_axi_arqos    (4'd0),
    .s_axi_arvalid  (xb_arvalid),
    .s_axi_arready  (xb_arready),
    .s_axi_rid      (xb_rid),
    .s_axi_rdata    (xb_rdata),
    .s_axi_rresp    (xb_rresp),
    .s_axi_rlast    (xb_rlast),
    .s_axi_rvalid   (xb_rvalid),
    .s_axi_rready   (xb_rready),
    .m_axi_awaddr   (dw_awaddr),
    .m_axi_awlen    (dw_awlen),
    .m_axi_awsize   (dw_awsize),
    .m_axi_awburst  (dw_awburst),
    .m_axi_awlock   (unused_regs_dwidth_m_axi_awlock),
    .m_axi_awcache  (unused_regs_dwidth_m_axi_awcache),
    .m_axi_awprot   (unused_regs_dwidth_m_axi_awprot),
    .m_axi_awregion (unused_regs_dwidth_m_axi_awregion),
    .m_axi_awqos    (unused_regs_dwidth_m_axi_awqos),
    .m_axi_awvalid  (dw_awvalid),
    .m_axi_awready  (dw_awready),
    .m_axi_wdata    (dw_wdata),
    .m_axi_wstrb    (dw_wstrb),
    .m_axi_wlast    (dw_wlast),
    .m_axi_wvalid   (dw_wvalid),
    .m_axi_wready   (dw_wready),
    .m_axi_bresp    (dw_bresp),
    .m_axi_bvalid   (dw_bvalid),
    .m_axi_bready   (dw_bready),
    .m_axi_araddr   (dw_araddr),
    .m_axi_arlen    (dw_arlen),
    .m_axi_arsize   (dw_arsize),
    .m_axi_arburst  (dw_arburst),
    .m_axi_arlock   (unused_regs_dwidth_m_axi_arlock),
    .m_axi_arcache  (unused_regs_dwidth_m_axi_arcache),
    .m_axi_arprot   (unused_regs_dwidth_m_axi_arprot),
    .m_axi_arregion (unused_regs_dwidth_m_axi_arregion),
    .m_axi_arqos    (unused_regs_dwidth_m_axi_arqos),
    .m_axi_arvalid  (dw_arvalid),
    .m_axi_arready  (dw_arready),
    .m_axi_rdata    (dw_rdata),
    .m_axi_rresp    (dw_rresp),
    .m_axi_rlast    (dw_rlast),
    .m_axi_rvalid   (dw_rvalid),
    .m_axi_rready   (dw_rready)
);

// AXI4 (bursts split into single beats) -> AXI4-Lite, 64 bits.
// axi_regs_lite's outputs left open here.
wire [2:0] unused_regs_lite_m_axi_awprot;
wire [2:0] unused_regs_lite_m_axi_arprot;

axi_regs_lite regs_lite (
    .aclk           (core_clk),
    .aresetn        (core_aresetn),
    .s_axi_awaddr   (dw_awaddr),
    .s_axi_awlen    (dw_awlen),
    .s_axi_awsize   (dw_awsize),
    .s_axi_awburst  (dw_awburst),
    .s_axi_awlock   (1'b0),
    .s_axi_awcache  (4'd0),
    .s_axi_awprot   (3'd0),
    .s_axi_awregion (4'd0),
    .s_axi_awqos    (4'd0),
    .s_axi_awvalid  (dw_awvalid),
    .s_axi_awready  (dw_awready),
    .s_axi_wdata    (dw_wdata),
    .s_axi_wstrb    (dw_wstrb),
    .s_axi_wlast    (dw_wlast),
    .s_axi_wvalid   (dw_wvalid),
    .s_axi_wready   (dw_wready),
    .s_axi_bresp    (dw_bresp),
    .s_axi_bvalid   (dw_bvalid),
    .s_axi_bready   (dw_bready),
    .s_axi_araddr   (dw_araddr),
    .s_axi_arlen    (dw_arlen),
    .s_axi_arsize   (dw_arsize),
    .s_axi_arburst  (dw_arburst),
    .s_axi_arlock   (1'b0),
    .s_axi_arcache  (4'd0),
    .s_axi_arprot   (3'd0),
    .s_axi_arregion (4'd0),
    .s_axi_arqos    (4'd0),
    .s_axi_arvalid  (dw_arvalid),
    .s_axi_arready  (dw_arready),
    .s_axi_rdata    (dw_rdata),
    .s_axi_rresp    (dw_rresp),
    .s_axi_rlast    (dw_rlast),
    .s_axi_rvalid   (dw_rvalid),
    .s_axi_rready   (dw_rready),
    .m_axi_awaddr   (lite_awaddr),
    .m_axi_awprot   (unused_regs_lite_m_axi_awprot),
    .m_axi_awvalid  (s_axil_awvalid),
    .m_axi_awready  (s_axil_awready),
    .m_axi_wdata    (s_axil_wdata),
    .m_axi_wstrb    (s_axil_wstrb),
    .m_axi_wvalid   (s_axil_wvalid),
    .m_axi_wready   (s_axil_wready),
    .m_axi_bresp    (s_axil_bresp),
    .m_axi_bvalid   (s_axil_bvalid),
    .m_axi_bready   (s_axil_bready),
    .m_axi_araddr   (lite_araddr),
    .m_axi_arprot   (unused_regs_lite_m_axi_arprot),
    .m_axi_arvalid  (s_axil_arvalid),
    .m_axi_arready  (s_axil_arready),
    .m_axi_rdata    (s_axil_rdata),
    .m_axi_rresp    (s_axil_rresp),
    .m_axi_rvalid   (s_axil_rvalid),
    .m_axi_rready   (s_axil_rready)
);

// ---------------------------------------------------------------------------------------
// Interrupts: a rising edge of irq[c] (c = 0..3), evq_irq or np_irq raises the bridge's user
// interrupt c, 4 or 5 (usr_irq_req, PG194's interface for the DMA/Bridge Subsystem in
// Bridge mode): held until the bridge acknowledges it (usr_irq_ack), then low for at least
// a cycle before the next one, so an edge that comes while one is out is sent after it.
// ---------------------------------------------------------------------------------------

wire [5:0] irq_level = {np_irq, evq_irq, irq};
reg  [5:0] irq_last;
reg  [5:0] irq_pending;
reg  [5:0] irq_req;
// Pending sources whose request is low, once the host has enabled MSI.
wire [5:0] irq_launch = irq_pending & ~irq_req & {6{msi_enable}};

always @(posedge core_clk) begin
    if (!core_aresetn) begin
        irq_last <= 6'd0;
        irq_pending <= 6'd0;
        irq_req <= 6'd0;
    end else begin
        irq_last <= irq_level;
        irq_pending <= (irq_pending & ~irq_launch) | (irq_level & ~irq_last);
        irq_req <= (irq_req & ~usr_irq_ack) | irq_launch;
    end
end

assign usr_irq_req = irq_req;

// ---------------------------------------------------------------------------------------
// Ethernet: CMAC on QSFP28 port 1
// ---------------------------------------------------------------------------------------

assign qsfp1_modsell = 1'b0;
assign qsfp1_resetl = 1'b1;
assign qsfp1_lpmode = 1'b0;

cmac_100g cmac (
    .gt_rxp         ({qsfp1_rx4_p, qsfp1_rx3_p, qsfp1_rx2_p, qsfp1_rx1_p}),
    .gt_rxn         ({qsfp1_rx4_n, qsfp1_rx3_n, qsfp1_rx2_n, qsfp1_rx1_n}),
    .gt_txp         ({qsfp1_tx4_p, qsfp1_tx3_p, qsfp1_tx2_p, qsfp1_tx1_p}),
    .gt_txn         ({qsfp1_tx4_n, qsfp1_tx3_n, qsfp1_tx2_n, qsfp1_tx1_n}),
    .gt_ref_clk_p   (qsfp1_mgt_refclk_0_p),
    .gt_ref_clk_n   (qsfp1_mgt_refclk_0_n),
    .init_clk       (clk_125mhz),
    .sys_reset      (rst_125mhz),
    .mac_clk        (mac_clk),
    .tx_rst         (mac_tx_rst),
    .rx_rst         (mac_rx_rst),
    .rx_aligned     (rx_aligned),
    .rx_axis_tdata  (rx_axis_tdata),
    .rx_axis_tkeep  (rx_axis_tkeep),
    .rx_axis_tvalid (rx_axis_tvalid),
    .rx_axis_tlast  (rx_axis_tlast),
    .rx_axis_tuser  (rx_axis_tuser),
    .tx_axis_tdata  (tx_axis_tdata),
    .tx_axis_tkeep  (tx_axis_tkeep),
    .tx_axis_tvalid (tx_axis_tvalid),
    .tx_axis_tready (tx_axis_tready),
    .tx_axis_tlast  (tx_axis_tlast),
    .tx_axis_tuser  (tx_axis_tuser)
);

// LEDs: 0 the MAC's lanes aligned, 1 the NIC's link_up, 2 the PCIe link, 3 an interrupt
// requested and not yet acknowledged.
assign led = {4'd0, |irq_req, pcie_link_up, link_up, rx_aligned};

// Bits this top does not use: the bridge's IDs above the NIC's one bit (the NIC's requests
// go out with the upper bits zero, so the answers come back with them zero) and BAR0
// address bits above its 2 MiB.
wire unused_ok = &{1'b0, m_axi_bid[3:1], m_axi_rid[3:1], lite_awaddr[63:21],
                   lite_araddr[63:21]};

endmodule

`default_nettype wire
