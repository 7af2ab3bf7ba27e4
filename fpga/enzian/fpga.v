// Enzian application top for the Lauberhorn NIC: the vendor IP around
// `lauberhorn_enzian_core` (emitted by `cargo run -p gen -- --board enzian`), which holds
// every clock-domain crossing. The module's ports are what the ECI shell gives an
// application (the prototype's `lauberhorn_eci` entity), with the two directory-controller
// slices taken as the shell's: their AXI4 masters and LCL channels arrive in clk_sys.
//
//   clk_sys (322.265625 MHz)  -- the DCS slices (s_axi_*, lci_*, lcia_*, ul_*) -- shell_clk
//   clk_sys -- clk_wiz_app    -- 250 MHz                                       -- app_clk
//   s_io_axil (the CPU's I/O window, clk_sys) -- axil_io_cdc (to app_clk) -- axil_io_xbar:
//       [0x000000, 0x100000) the LAUBERHORN registers (s_axil),
//       [0x100000, 0x200000) the DMA fallback's ICT (s_axil_ict; bits [19:17] name the core)
//   F_MAC0 (QSFP28, CAUI-4, 156.25 MHz reference) -- cmac_100g (cmac_usplus_0) -- mac_clk: gt_txusrclk2
//   prgc0 (programmed to 100 MHz by the shell)     -- the CMAC's init_clk
//
//   m_axi (the DMA fallback's rings, app_clk, 512-bit bursts: the RX rings' writes, the TX
//       rings' reads) -- axi_dma_cdc (to clk_sys) -- axi_dma_dwidth (to 64 bits) --
//       axi_dma_lite (to AXI4-Lite) -- m_io_axil (the shell's FPGA -> CPU AXI4-Lite window,
//       clk_sys)
//   irq[c] (core c's CORE.PREEMPT.REQ, app_clk) -- F_IRQ_IRQc
//
// Not connected, since the shell gives an application no path for them: the normal-path
// frames m_axis_other (taken and dropped: the NIC's normal path is a stream for a
// host-side NIC, and the shell has no stream to the host), backlog_irq and the ICT's
// accio_irq / accio_evq_irq (the shell has four interrupt lines, which the cores'
// PREEMPT.REQ take; the kernel polls GLOBAL.BACKLOG and the rings' RX_TAIL instead).
// Pin locations come from the static shell's constraints.

`default_nettype none

module fpga (
    input  wire           clk_sys,
    input  wire           reset_sys,
    input  wire           prgc0_clk_p,
    input  wire           prgc0_clk_n,

    // The DCS slices, clk_sys
    input  wire [6:0]     s_axi_even_awid,
    input  wire [37:0]    s_axi_even_awaddr,
    input  wire [7:0]     s_axi_even_awlen,
    input  wire [2:0]     s_axi_even_awsize,
    input  wire [1:0]     s_axi_even_awburst,
    input  wire [3:0]     s_axi_even_awcache,
    input  wire [2:0]     s_axi_even_awprot,
    input  wire           s_axi_even_awvalid,
    output wire           s_axi_even_awready,
    input  wire [511:0]   s_axi_even_wdata,
    input  wire [63:0]    s_axi_even_wstrb,
    input  wire           s_axi_even_wlast,
    input  wire           s_axi_even_wvalid,
    output wire           s_axi_even_wready,
    output wire [6:0]     s_axi_even_bid,
    output wire [1:0]     s_axi_even_bresp,
    output wire           s_axi_even_bvalid,
    input  wire           s_axi_even_bready,
    input  wire [6:0]     s_axi_even_arid,
    input  wire [37:0]    s_axi_even_araddr,
    input  wire [7:0]     s_axi_even_arlen,
    input  wire [2:0]     s_axi_even_arsize,
    input  wire [1:0]     s_axi_even_arburst,
    input  wire [3:0]     s_axi_even_arcache,
    input  wire [2:0]     s_axi_even_arprot,
    input  wire           s_axi_even_arvalid,
    output wire           s_axi_even_arready,
    output wire [6:0]     s_axi_even_rid,
    output wire [511:0]   s_axi_even_rdata,
    output wire [1:0]     s_axi_even_rresp,
    output wire           s_axi_even_rlast,
    output wire           s_axi_even_rvalid,
    input  wire           s_axi_even_rready,
    output wire [63:0]    lci_even_data,
    output wire [4:0]     lci_even_size,
    output wire [4:0]     lci_even_vc,
    output wire           lci_even_valid,
    input  wire           lci_even_ready,
    input  wire [63:0]    lcia_even_data,
    input  wire [4:0]     lcia_even_size,
    input  wire [4:0]     lcia_even_vc,
    input  wire           lcia_even_valid,
    output wire           lcia_even_ready,
    output wire [63:0]    ul_even_data,
    output wire [4:0]     ul_even_size,
    output wire [4:0]     ul_even_vc,
    output wire           ul_even_valid,
    input  wire           ul_even_ready,
    input  wire [6:0]     s_axi_odd_awid,
    input  wire [37:0]    s_axi_odd_awaddr,
    input  wire [7:0]     s_axi_odd_awlen,
    input  wire [2:0]     s_axi_odd_awsize,
    input  wire [1:0]     s_axi_odd_awburst,
    input  wire [3:0]     s_axi_odd_awcache,
    input  wire [2:0]     s_axi_odd_awprot,
    input  wire           s_axi_odd_awvalid,
    output wire           s_axi_odd_awready,
    input  wire [511:0]   s_axi_odd_wdata,
    input  wire [63:0]    s_axi_odd_wstrb,
    input  wire           s_axi_odd_wlast,
    input  wire           s_axi_odd_wvalid,
    output wire           s_axi_odd_wready,
    output wire [6:0]     s_axi_odd_bid,
    output wire [1:0]     s_axi_odd_bresp,
    output wire           s_axi_odd_bvalid,
    input  wire           s_axi_odd_bready,
    input  wire [6:0]     s_axi_odd_arid,
    input  wire [37:0]    s_axi_odd_araddr,
    input  wire [7:0]     s_axi_odd_arlen,
    input  wire [2:0]     s_axi_odd_arsize,
    input  wire [1:0]     s_axi_odd_arburst,
    input  wire [3:0]     s_axi_odd_arcache,
    input  wire [2:0]     s_axi_odd_arprot,
    input  wire           s_axi_odd_arvalid,
    output wire           s_axi_odd_arready,
    output wire [6:0]     s_axi_odd_rid,
    output wire [511:0]   s_axi_odd_rdata,
    output wire [1:0]     s_axi_odd_rresp,
    output wire           s_axi_odd_rlast,
    output wire           s_axi_odd_rvalid,
    input  wire           s_axi_odd_rready,
    output wire [63:0]    lci_odd_data,
    output wire [4:0]     lci_odd_size,
    output wire [4:0]     lci_odd_vc,
    output wire           lci_odd_valid,
    input  wire           lci_odd_ready,
    input  wire [63:0]    lcia_odd_data,
    input  wire [4:0]     lcia_odd_size,
    input  wire [4:0]     lcia_odd_vc,
    input  wire           lcia_odd_valid,
    output wire           lcia_odd_ready,
    output wire [63:0]    ul_odd_data,
    output wire [4:0]     ul_odd_size,
    output wire [4:0]     ul_odd_vc,
    output wire           ul_odd_valid,
    input  wire           ul_odd_ready,

    // The shell's AXI4-Lite I/O window, CPU to FPGA, clk_sys
    input  wire [43:0]    s_io_axil_awaddr,
    input  wire           s_io_axil_awvalid,
    output wire           s_io_axil_awready,
    input  wire [63:0]    s_io_axil_wdata,
    input  wire [7:0]     s_io_axil_wstrb,
    input  wire           s_io_axil_wvalid,
    output wire           s_io_axil_wready,
    output wire [1:0]     s_io_axil_bresp,
    output wire           s_io_axil_bvalid,
    input  wire           s_io_axil_bready,
    input  wire [43:0]    s_io_axil_araddr,
    input  wire           s_io_axil_arvalid,
    output wire           s_io_axil_arready,
    output wire [63:0]    s_io_axil_rdata,
    output wire [1:0]     s_io_axil_rresp,
    output wire           s_io_axil_rvalid,
    input  wire           s_io_axil_rready,

    // CMAC on F_MAC0
    input  wire           F_MAC0C_CLK_P,
    input  wire           F_MAC0C_CLK_N,
    output wire [3:0]     F_MAC0_TX_P,
    output wire [3:0]     F_MAC0_TX_N,
    input  wire [3:0]     F_MAC0_RX_P,
    input  wire [3:0]     F_MAC0_RX_N,

    // The shell's FPGA -> CPU AXI4-Lite window, clk_sys: the DMA fallback's writes
    output wire [43:0]    m_io_axil_awaddr,
    output wire           m_io_axil_awvalid,
    input  wire           m_io_axil_awready,
    output wire [63:0]    m_io_axil_wdata,
    output wire [7:0]     m_io_axil_wstrb,
    output wire           m_io_axil_wvalid,
    input  wire           m_io_axil_wready,
    input  wire [1:0]     m_io_axil_bresp,
    input  wire           m_io_axil_bvalid,
    output wire           m_io_axil_bready,
    output wire [43:0]    m_io_axil_araddr,
    output wire           m_io_axil_arvalid,
    input  wire           m_io_axil_arready,
    input  wire [63:0]    m_io_axil_rdata,
    input  wire [1:0]     m_io_axil_rresp,
    input  wire           m_io_axil_rvalid,
    output wire           m_io_axil_rready,

    // Interrupts to the CPU: core c's PREEMPT.REQ on F_IRQ_IRQc
    output wire           F_IRQ_IRQ0,
    output wire           F_IRQ_IRQ1,
    output wire           F_IRQ_IRQ2,
    output wire           F_IRQ_IRQ3
);

// ---------------------------------------------------------------------------------------
// Clocks and resets
// ---------------------------------------------------------------------------------------

wire init_clk_ibuf;
wire init_clk;
IBUFDS init_clk_ibufds (.I(prgc0_clk_p), .IB(prgc0_clk_n), .O(init_clk_ibuf));
BUFG init_clk_bufg (.I(init_clk_ibuf), .O(init_clk));

// The CMAC's housekeeping reset: the shell's reset, synchronized to init_clk.
wire init_rst;
reset_sync_s2 init_rst_sync (.clk(init_clk), .rst_in(reset_sys), .rst_out(init_rst));

wire app_clk;
wire app_locked;
clk_wiz_app app_clk_wiz (
    .clk_in1  (clk_sys),
    .reset    (reset_sys),
    .clk_out1 (app_clk),
    .locked   (app_locked)
);

wire mac_clk;         // cmac gt_txusrclk2, 322.265625 MHz
wire mac_tx_rst;
wire mac_rx_rst;
wire rx_aligned;

// The core's one reset (reset_syncs inside release each domain in step with its clock).
wire board_rst = reset_sys | ~app_locked | mac_tx_rst | mac_rx_rst;

// This file's own logic in app_clk.
wire app_rst;
reset_sync_s2 app_rst_sync (.clk(app_clk), .rst_in(board_rst), .rst_out(app_rst));

// ---------------------------------------------------------------------------------------
// The NIC core
// ---------------------------------------------------------------------------------------

wire [16:0]    s_axil_ict_awaddr;
wire [2:0]     s_axil_ict_awprot;
wire [7:0]     s_axil_ict_awuser;
wire           s_axil_ict_awvalid;
wire           s_axil_ict_awready;
wire [63:0]    s_axil_ict_wdata;
wire [7:0]     s_axil_ict_wstrb;
wire           s_axil_ict_wvalid;
wire           s_axil_ict_wready;
wire [1:0]     s_axil_ict_bresp;
wire           s_axil_ict_bvalid;
wire           s_axil_ict_bready;
wire [16:0]    s_axil_ict_araddr;
wire [2:0]     s_axil_ict_arprot;
wire [7:0]     s_axil_ict_aruser;
wire           s_axil_ict_arvalid;
wire           s_axil_ict_arready;
wire [63:0]    s_axil_ict_rdata;
wire [1:0]     s_axil_ict_rresp;
wire           s_axil_ict_rvalid;
wire           s_axil_ict_rready;
wire [14:0]    s_axil_awaddr;
wire [2:0]     s_axil_awprot;
wire           s_axil_awvalid;
wire           s_axil_awready;
wire [63:0]    s_axil_wdata;
wire [7:0]     s_axil_wstrb;
wire           s_axil_wvalid;
wire           s_axil_wready;
wire [1:0]     s_axil_bresp;
wire           s_axil_bvalid;
wire           s_axil_bready;
wire [14:0]    s_axil_araddr;
wire [2:0]     s_axil_arprot;
wire           s_axil_arvalid;
wire           s_axil_arready;
wire [63:0]    s_axil_rdata;
wire [1:0]     s_axil_rresp;
wire           s_axil_rvalid;
wire           s_axil_rready;
wire           m_axi_awid;
wire [63:0]    m_axi_awaddr;
wire [7:0]     m_axi_awlen;
wire [2:0]     m_axi_awsize;
wire [1:0]     m_axi_awburst;
wire [3:0]     m_axi_awcache;
wire [2:0]     m_axi_awprot;
wire           m_axi_awvalid;
wire           m_axi_awready;
wire [511:0]   m_axi_wdata;
wire [63:0]    m_axi_wstrb;
wire           m_axi_wlast;
wire           m_axi_wvalid;
wire           m_axi_wready;
wire           m_axi_bid;
wire [1:0]     m_axi_bresp;
wire           m_axi_bvalid;
wire           m_axi_bready;
wire           m_axi_arid;
wire [63:0]    m_axi_araddr;
wire [7:0]     m_axi_arlen;
wire [2:0]     m_axi_arsize;
wire [1:0]     m_axi_arburst;
wire [3:0]     m_axi_arcache;
wire [2:0]     m_axi_arprot;
wire           m_axi_arvalid;
wire           m_axi_arready;
wire           m_axi_rid;
wire [511:0]   m_axi_rdata;
wire [1:0]     m_axi_rresp;
wire           m_axi_rlast;
wire           m_axi_rvalid;
wire           m_axi_rready;
wire [511:0]   m_axis_other_tdata;
wire [63:0]    m_axis_other_tkeep;
wire           m_axis_other_tvalid;
wire           m_axis_other_tready;
wire           m_axis_other_tlast;
wire           m_axis_other_tuser;
wire [3:0]     irq;
wire           backlog_irq;
wire [3:0]     accio_irq;
wire           accio_evq_irq;
wire           link_up;
wire [511:0]   rx_axis_tdata;
wire [63:0]    rx_axis_tkeep;
wire           rx_axis_tvalid;
wire           rx_axis_tready;
wire           rx_axis_tlast;
wire           rx_axis_tuser;
wire [511:0]   tx_axis_tdata;
wire [63:0]    tx_axis_tkeep;
wire           tx_axis_tvalid;
wire           tx_axis_tready;
wire           tx_axis_tlast;
wire           tx_axis_tuser;
wire           stat_rx_aligned;
wire           rx_drop_bad;
wire           rx_drop_full;
wire           tx_drop_bad;
wire           tx_drop_full;

lauberhorn_enzian_core core (
    .app_clk (app_clk),
    .shell_clk (clk_sys),
    .mac_clk (mac_clk),
    .board_rst (board_rst),
    .s_axil_ict_awaddr (s_axil_ict_awaddr),
    .s_axil_ict_awprot (s_axil_ict_awprot),
    .s_axil_ict_awuser (s_axil_ict_awuser),
    .s_axil_ict_awvalid (s_axil_ict_awvalid),
    .s_axil_ict_awready (s_axil_ict_awready),
    .s_axil_ict_wdata (s_axil_ict_wdata),
    .s_axil_ict_wstrb (s_axil_ict_wstrb),
    .s_axil_ict_wvalid (s_axil_ict_wvalid),
    .s_axil_ict_wready (s_axil_ict_wready),
    .s_axil_ict_bresp (s_axil_ict_bresp),
    .s_axil_ict_bvalid (s_axil_ict_bvalid),
    .s_axil_ict_bready (s_axil_ict_bready),
    .s_axil_ict_araddr (s_axil_ict_araddr),
    .s_axil_ict_arprot (s_axil_ict_arprot),
    .s_axil_ict_aruser (s_axil_ict_aruser),
    .s_axil_ict_arvalid (s_axil_ict_arvalid),
    .s_axil_ict_arready (s_axil_ict_arready),
    .s_axil_ict_rdata (s_axil_ict_rdata),
    .s_axil_ict_rresp (s_axil_ict_rresp),
    .s_axil_ict_rvalid (s_axil_ict_rvalid),
    .s_axil_ict_rready (s_axil_ict_rready),
    .s_axil_awaddr (s_axil_awaddr),
    .s_axil_awprot (s_axil_awprot),
    .s_axil_awvalid (s_axil_awvalid),
    .s_axil_awready (s_axil_awready),
    .s_axil_wdata (s_axil_wdata),
    .s_axil_wstrb (s_axil_wstrb),
    .s_axil_wvalid (s_axil_wvalid),
    .s_axil_wready (s_axil_wready),
    .s_axil_bresp (s_axil_bresp),
    .s_axil_bvalid (s_axil_bvalid),
    .s_axil_bready (s_axil_bready),
    .s_axil_araddr (s_axil_araddr),
    .s_axil_arprot (s_axil_arprot),
    .s_axil_arvalid (s_axil_arvalid),
    .s_axil_arready (s_axil_arready),
    .s_axil_rdata (s_axil_rdata),
    .s_axil_rresp (s_axil_rresp),
    .s_axil_rvalid (s_axil_rvalid),
    .s_axil_rready (s_axil_rready),
    .m_axi_awid (m_axi_awid),
    .m_axi_awaddr (m_axi_awaddr),
    .m_axi_awlen (m_axi_awlen),
    .m_axi_awsize (m_axi_awsize),
    .m_axi_awburst (m_axi_awburst),
    .m_axi_awcache (m_axi_awcache),
    .m_axi_awprot (m_axi_awprot),
    .m_axi_awvalid (m_axi_awvalid),
    .m_axi_awready (m_axi_awready),
    .m_axi_wdata (m_axi_wdata),
    .m_axi_wstrb (m_axi_wstrb),
    .m_axi_wlast (m_axi_wlast),
    .m_axi_wvalid (m_axi_wvalid),
    .m_axi_wready (m_axi_wready),
    .m_axi_bid (m_axi_bid),
    .m_axi_bresp (m_axi_bresp),
    .m_axi_bvalid (m_axi_bvalid),
    .m_axi_bready (m_axi_bready),
    .m_axi_arid (m_axi_arid),
    .m_axi_araddr (m_axi_araddr),
    .m_axi_arlen (m_axi_arlen),
    .m_axi_arsize (m_axi_arsize),
    .m_axi_arburst (m_axi_arburst),
    .m_axi_arcache (m_axi_arcache),
    .m_axi_arprot (m_axi_arprot),
    .m_axi_arvalid (m_axi_arvalid),
    .m_axi_arready (m_axi_arready),
    .m_axi_rid (m_axi_rid),
    .m_axi_rdata (m_axi_rdata),
    .m_axi_rresp (m_axi_rresp),
    .m_axi_rlast (m_axi_rlast),
    .m_axi_rvalid (m_axi_rvalid),
    .m_axi_rready (m_axi_rready),
    .m_axis_other_tdata (m_axis_other_tdata),
    .m_axis_other_tkeep (m_axis_other_tkeep),
    .m_axis_other_tvalid (m_axis_other_tvalid),
    .m_axis_other_tready (m_axis_other_tready),
    .m_axis_other_tlast (m_axis_other_tlast),
    .m_axis_other_tuser (m_axis_other_tuser),
    .irq (irq),
    .backlog_irq (backlog_irq),
    .accio_irq (accio_irq),
    .accio_evq_irq (accio_evq_irq),
    .s_axi_even_awid (s_axi_even_awid),
    .s_axi_even_awaddr (s_axi_even_awaddr),
    .s_axi_even_awlen (s_axi_even_awlen),
    .s_axi_even_awsize (s_axi_even_awsize),
    .s_axi_even_awburst (s_axi_even_awburst),
    .s_axi_even_awcache (s_axi_even_awcache),
    .s_axi_even_awprot (s_axi_even_awprot),
    .s_axi_even_awvalid (s_axi_even_awvalid),
    .s_axi_even_awready (s_axi_even_awready),
    .s_axi_even_wdata (s_axi_even_wdata),
    .s_axi_even_wstrb (s_axi_even_wstrb),
    .s_axi_even_wlast (s_axi_even_wlast),
    .s_axi_even_wvalid (s_axi_even_wvalid),
    .s_axi_even_wready (s_axi_even_wready),
    .s_axi_even_bid (s_axi_even_bid),
    .s_axi_even_bresp (s_axi_even_bresp),
    .s_axi_even_bvalid (s_axi_even_bvalid),
    .s_axi_even_bready (s_axi_even_bready),
    .s_axi_even_arid (s_axi_even_arid),
    .s_axi_even_araddr (s_axi_even_araddr),
    .s_axi_even_arlen (s_axi_even_arlen),
    .s_axi_even_arsize (s_axi_even_arsize),
    .s_axi_even_arburst (s_axi_even_arburst),
    .s_axi_even_arcache (s_axi_even_arcache),
    .s_axi_even_arprot (s_axi_even_arprot),
    .s_axi_even_arvalid (s_axi_even_arvalid),
    .s_axi_even_arready (s_axi_even_arready),
    .s_axi_even_rid (s_axi_even_rid),
    .s_axi_even_rdata (s_axi_even_rdata),
    .s_axi_even_rresp (s_axi_even_rresp),
    .s_axi_even_rlast (s_axi_even_rlast),
    .s_axi_even_rvalid (s_axi_even_rvalid),
    .s_axi_even_rready (s_axi_even_rready),
    .lci_even_data (lci_even_data),
    .lci_even_size (lci_even_size),
    .lci_even_vc (lci_even_vc),
    .lci_even_valid (lci_even_valid),
    .lci_even_ready (lci_even_ready),
    .lcia_even_data (lcia_even_data),
    .lcia_even_size (lcia_even_size),
    .lcia_even_vc (lcia_even_vc),
    .lcia_even_valid (lcia_even_valid),
    .lcia_even_ready (lcia_even_ready),
    .ul_even_data (ul_even_data),
    .ul_even_size (ul_even_size),
    .ul_even_vc (ul_even_vc),
    .ul_even_valid (ul_even_valid),
    .ul_even_ready (ul_even_ready),
    .s_axi_odd_awid (s_axi_odd_awid),
    .s_axi_odd_awaddr (s_axi_odd_awaddr),
    .s_axi_odd_awlen (s_axi_odd_awlen),
    .s_axi_odd_awsize (s_axi_odd_awsize),
    .s_axi_odd_awburst (s_axi_odd_awburst),
    .s_axi_odd_awcache (s_axi_odd_awcache),
    .s_axi_odd_awprot (s_axi_odd_awprot),
    .s_axi_odd_awvalid (s_axi_odd_awvalid),
    .s_axi_odd_awready (s_axi_odd_awready),
    .s_axi_odd_wdata (s_axi_odd_wdata),
    .s_axi_odd_wstrb (s_axi_odd_wstrb),
    .s_axi_odd_wlast (s_axi_odd_wlast),
    .s_axi_odd_wvalid (s_axi_odd_wvalid),
    .s_axi_odd_wready (s_axi_odd_wready),
    .s_axi_odd_bid (s_axi_odd_bid),
    .s_axi_odd_bresp (s_axi_odd_bresp),
    .s_axi_odd_bvalid (s_axi_odd_bvalid),
    .s_axi_odd_bready (s_axi_odd_bready),
    .s_axi_odd_arid (s_axi_odd_arid),
    .s_axi_odd_araddr (s_axi_odd_araddr),
    .s_axi_odd_arlen (s_axi_odd_arlen),
    .s_axi_odd_arsize (s_axi_odd_arsize),
    .s_axi_odd_arburst (s_axi_odd_arburst),
    .s_axi_odd_arcache (s_axi_odd_arcache),
    .s_axi_odd_arprot (s_axi_odd_arprot),
    .s_axi_odd_arvalid (s_axi_odd_arvalid),
    .s_axi_odd_arready (s_axi_odd_arready),
    .s_axi_odd_rid (s_axi_odd_rid),
    .s_axi_odd_rdata (s_axi_odd_rdata),
    .s_axi_odd_rresp (s_axi_odd_rresp),
    .s_axi_odd_rlast (s_axi_odd_rlast),
    .s_axi_odd_rvalid (s_axi_odd_rvalid),
    .s_axi_odd_rready (s_axi_odd_rready),
    .lci_odd_data (lci_odd_data),
    .lci_odd_size (lci_odd_size),
    .lci_odd_vc (lci_odd_vc),
    .lci_odd_valid (lci_odd_valid),
    .lci_odd_ready (lci_odd_ready),
    .lcia_odd_data (lcia_odd_data),
    .lcia_odd_size (lcia_odd_size),
    .lcia_odd_vc (lcia_odd_vc),
    .lcia_odd_valid (lcia_odd_valid),
    .lcia_odd_ready (lcia_odd_ready),
    .ul_odd_data (ul_odd_data),
    .ul_odd_size (ul_odd_size),
    .ul_odd_vc (ul_odd_vc),
    .ul_odd_valid (ul_odd_valid),
    .ul_odd_ready (ul_odd_ready),
    .link_up (link_up),
    .rx_axis_tdata (rx_axis_tdata),
    .rx_axis_tkeep (rx_axis_tkeep),
    .rx_axis_tvalid (rx_axis_tvalid),
    .rx_axis_tready (rx_axis_tready),
    .rx_axis_tlast (rx_axis_tlast),
    .rx_axis_tuser (rx_axis_tuser),
    .tx_axis_tdata (tx_axis_tdata),
    .tx_axis_tkeep (tx_axis_tkeep),
    .tx_axis_tvalid (tx_axis_tvalid),
    .tx_axis_tready (tx_axis_tready),
    .tx_axis_tlast (tx_axis_tlast),
    .tx_axis_tuser (tx_axis_tuser),
    .stat_rx_aligned (stat_rx_aligned),
    .rx_drop_bad (rx_drop_bad),
    .rx_drop_full (rx_drop_full),
    .tx_drop_bad (tx_drop_bad),
    .tx_drop_full (tx_drop_full)
);

// ---------------------------------------------------------------------------------------
// Registers: the I/O window to app_clk, split between the two register maps
// ---------------------------------------------------------------------------------------

wire [43:0]    io_awaddr;
wire [2:0]     io_awprot;
wire           io_awvalid;
wire           io_awready;
wire [63:0]    io_wdata;
wire [7:0]     io_wstrb;
wire           io_wvalid;
wire           io_wready;
wire [1:0]     io_bresp;
wire           io_bvalid;
wire           io_bready;
wire [43:0]    io_araddr;
wire [2:0]     io_arprot;
wire           io_arvalid;
wire           io_arready;
wire [63:0]    io_rdata;
wire [1:0]     io_rresp;
wire           io_rvalid;
wire           io_rready;

axil_io_cdc io_cdc (
    .s_axi_aclk    (clk_sys),
    .s_axi_aresetn (~reset_sys),
    .s_axi_awaddr   (s_io_axil_awaddr),
    .s_axi_awprot   (3'd0),
    .s_axi_awvalid  (s_io_axil_awvalid),
    .s_axi_awready  (s_io_axil_awready),
    .s_axi_wdata    (s_io_axil_wdata),
    .s_axi_wstrb    (s_io_axil_wstrb),
    .s_axi_wvalid   (s_io_axil_wvalid),
    .s_axi_wready   (s_io_axil_wready),
    .s_axi_bresp    (s_io_axil_bresp),
    .s_axi_bvalid   (s_io_axil_bvalid),
    .s_axi_bready   (s_io_axil_bready),
    .s_axi_araddr   (s_io_axil_araddr),
    .s_axi_arprot   (3'd0),
    .s_axi_arvalid  (s_io_axil_arvalid),
    .s_axi_arready  (s_io_axil_arready),
    .s_axi_rdata    (s_io_axil_rdata),
    .s_axi_rresp    (s_io_axil_rresp),
    .s_axi_rvalid   (s_io_axil_rvalid),
    .s_axi_rready   (s_io_axil_rready),
    .m_axi_aclk    (app_clk),
    .m_axi_aresetn (~app_rst),
    .m_axi_awaddr   (io_awaddr),
    .m_axi_awprot   (io_awprot),
    .m_axi_awvalid  (io_awvalid),
    .m_axi_awready  (io_awready),
    .m_axi_wdata    (io_wdata),
    .m_axi_wstrb    (io_wstrb),
    .m_axi_wvalid   (io_wvalid),
    .m_axi_wready   (io_wready),
    .m_axi_bresp    (io_bresp),
    .m_axi_bvalid   (io_bvalid),
    .m_axi_bready   (io_bready),
    .m_axi_araddr   (io_araddr),
    .m_axi_arprot   (io_arprot),
    .m_axi_arvalid  (io_arvalid),
    .m_axi_arready  (io_arready),
    .m_axi_rdata    (io_rdata),
    .m_axi_rresp    (io_rresp),
    .m_axi_rvalid   (io_rvalid),
    .m_axi_rready   (io_rready)
);

wire [87:0]    xb_awaddr;
wire [5:0]     xb_awprot;
wire [1:0]     xb_awvalid;
wire [1:0]     xb_awready;
wire [127:0]   xb_wdata;
wire [15:0]    xb_wstrb;
wire [1:0]     xb_wvalid;
wire [1:0]     xb_wready;
wire [3:0]     xb_bresp;
wire [1:0]     xb_bvalid;
wire [1:0]     xb_bready;
wire [87:0]    xb_araddr;
wire [5:0]     xb_arprot;
wire [1:0]     xb_arvalid;
wire [1:0]     xb_arready;
wire [127:0]   xb_rdata;
wire [3:0]     xb_rresp;
wire [1:0]     xb_rvalid;
wire [1:0]     xb_rready;

axil_io_xbar io_xbar (
    .aclk    (app_clk),
    .aresetn (~app_rst),
    .s_axi_awaddr   (io_awaddr),
    .s_axi_awprot   (io_awprot),
    .s_axi_awvalid  (io_awvalid),
    .s_axi_awready  (io_awready),
    .s_axi_wdata    (io_wdata),
    .s_axi_wstrb    (io_wstrb),
    .s_axi_wvalid   (io_wvalid),
    .s_axi_wready   (io_wready),
    .s_axi_bresp    (io_bresp),
    .s_axi_bvalid   (io_bvalid),
    .s_axi_bready   (io_bready),
    .s_axi_araddr   (io_araddr),
    .s_axi_arprot   (io_arprot),
    .s_axi_arvalid  (io_arvalid),
    .s_axi_arready  (io_arready),
    .s_axi_rdata    (io_rdata),
    .s_axi_rresp    (io_rresp),
    .s_axi_rvalid   (io_rvalid),
    .s_axi_rready   (io_rready),
    .m_axi_awaddr   (xb_awaddr),
    .m_axi_awprot   (xb_awprot),
    .m_axi_awvalid  (xb_awvalid),
    .m_axi_awready  (xb_awready),
    .m_axi_wdata    (xb_wdata),
    .m_axi_wstrb    (xb_wstrb),
    .m_axi_wvalid   (xb_wvalid),
    .m_axi_wready   (xb_wready),
    .m_axi_bresp    (xb_bresp),
    .m_axi_bvalid   (xb_bvalid),
    .m_axi_bready   (xb_bready),
    .m_axi_araddr   (xb_araddr),
    .m_axi_arprot   (xb_arprot),
    .m_axi_arvalid  (xb_arvalid),
    .m_axi_arready  (xb_arready),
    .m_axi_rdata    (xb_rdata),
    .m_axi_rresp    (xb_rresp),
    .m_axi_rvalid   (xb_rvalid),
    .m_axi_rready   (xb_rready)
);

assign s_axil_awaddr = xb_awaddr[14:0];
assign s_axil_awprot = xb_awprot[2:0];
assign s_axil_awvalid = xb_awvalid[0];
assign xb_awready[0] = s_axil_awready;
assign s_axil_wdata = xb_wdata[63:0];
assign s_axil_wstrb = xb_wstrb[7:0];
assign s_axil_wvalid = xb_wvalid[0];
assign xb_wready[0] = s_axil_wready;
assign xb_bresp[1:0] = s_axil_bresp;
assign xb_bvalid[0] = s_axil_bvalid;
assign s_axil_bready = xb_bready[0];
assign s_axil_araddr = xb_araddr[14:0];
assign s_axil_arprot = xb_arprot[2:0];
assign s_axil_arvalid = xb_arvalid[0];
assign xb_arready[0] = s_axil_arready;
assign xb_rdata[63:0] = s_axil_rdata;
assign xb_rresp[1:0] = s_axil_rresp;
assign xb_rvalid[0] = s_axil_rvalid;
assign s_axil_rready = xb_rready[0];
assign s_axil_ict_awaddr = xb_awaddr[60:44];
assign s_axil_ict_awprot = xb_awprot[5:3];
assign s_axil_ict_awvalid = xb_awvalid[1];
assign xb_awready[1] = s_axil_ict_awready;
assign s_axil_ict_wdata = xb_wdata[127:64];
assign s_axil_ict_wstrb = xb_wstrb[15:8];
assign s_axil_ict_wvalid = xb_wvalid[1];
assign xb_wready[1] = s_axil_ict_wready;
assign xb_bresp[3:2] = s_axil_ict_bresp;
assign xb_bvalid[1] = s_axil_ict_bvalid;
assign s_axil_ict_bready = xb_bready[1];
assign s_axil_ict_araddr = xb_araddr[60:44];
assign s_axil_ict_arprot = xb_arprot[5:3];
assign s_axil_ict_arvalid = xb_arvalid[1];
assign xb_arready[1] = s_axil_ict_arready;
assign xb_rdata[127:64] = s_axil_ict_rdata;
assign xb_rresp[3:2] = s_axil_ict_rresp;
assign xb_rvalid[1] = s_axil_ict_rvalid;
assign s_axil_ict_rready = xb_rready[1];
assign s_axil_ict_awuser = {5'd0, xb_awaddr[63:61]};
assign s_axil_ict_aruser = {5'd0, xb_araddr[63:61]};

// ---------------------------------------------------------------------------------------
// The DMA fallback's writes and reads of host memory through the shell's FPGA -> CPU window
// ---------------------------------------------------------------------------------------

// The NIC's 64-bit addresses are the CPU's physical addresses; the window takes 44 bits.
wire [43:0]    dma_awaddr;
wire [7:0]     dma_awlen;
wire [2:0]     dma_awsize;
wire [1:0]     dma_awburst;
wire [3:0]     dma_awcache;
wire [2:0]     dma_awprot;
wire           dma_awvalid;
wire           dma_awready;
wire [511:0]   dma_wdata;
wire [63:0]    dma_wstrb;
wire           dma_wlast;
wire           dma_wvalid;
wire           dma_wready;
wire [1:0]     dma_bresp;
wire           dma_bvalid;
wire           dma_bready;
wire [0:0]     dma_awid;
wire [0:0]     dma_bid;
wire           dma_arid;
wire [43:0]    dma_araddr;
wire [7:0]     dma_arlen;
wire [2:0]     dma_arsize;
wire [1:0]     dma_arburst;
wire [3:0]     dma_arcache;
wire [2:0]     dma_arprot;
wire           dma_arvalid;
wire           dma_arready;
wire           dma_rid;
wire [511:0]   dma_rdata;
wire [1:0]     dma_rresp;
wire           dma_rlast;
wire           dma_rvalid;
wire           dma_rready;

// axi_dma_cdc's outputs left open here.
wire unused_dma_cdc_m_axi_awlock;
wire [3:0] unused_dma_cdc_m_axi_awregion;
wire [3:0] unused_dma_cdc_m_axi_awqos;
wire unused_dma_cdc_m_axi_arlock;
wire [3:0] unused_dma_cdc_m_axi_arregion;
wire [3:0] unused_dma_cdc_m_axi_arqos;

axi_dma_cdc dma_cdc (
    .s_axi_aclk     (app_clk),
    .s_axi_aresetn  (~app_rst),
    .s_axi_awid     (m_axi_awid),
    .s_axi_awaddr   (m_axi_awaddr[43:0]),
    .s_axi_awlen    (m_axi_awlen),
    .s_axi_awsize   (m_axi_awsize),
    .s_axi_awburst  (m_axi_awburst),
    .s_axi_awlock   (1'b0),
    .s_axi_awcache  (m_axi_awcache),
    .s_axi_awprot   (m_axi_awprot),
    .s_axi_awregion (4'd0),
    .s_axi_awqos    (4'd0),
    .s_axi_awvalid  (m_axi_awvalid),
    .s_axi_awready  (m_axi_awready),
    .s_axi_wdata    (m_axi_wdata),
    .s_axi_wstrb    (m_axi_wstrb),
    .s_axi_wlast    (m_axi_wlast),
    .s_axi_wvalid   (m_axi_wvalid),
    .s_axi_wready   (m_axi_wready),
    .s_axi_bid      (m_axi_bid),
    .s_axi_bresp    (m_axi_bresp),
    .s_axi_bvalid   (m_axi_bvalid),
    .s_axi_bready   (m_axi_bready),
    .s_axi_arid     (m_axi_arid),
    .s_axi_araddr   (m_axi_araddr[43:0]),
    .s_axi_arlen    (m_axi_arlen),
    .s_axi_arsize   (m_axi_arsize),
    .s_axi_arburst  (m_axi_arburst),
    .s_axi_arlock   (1'b0),
    .s_axi_arcache  (m_axi_arcache),
    .s_axi_arprot   (m_axi_arprot),
    .s_axi_arregion (4'd0),
    .s_axi_arqos    (4'd0),
    .s_axi_arvalid  (m_axi_arvalid),
    .s_axi_arready  (m_axi_arready),
    .s_axi_rid      (m_axi_rid),
    .s_axi_rdata    (m_axi_rdata),
    .s_axi_rresp    (m_axi_rresp),
    .s_axi_rlast    (m_axi_rlast),
    .s_axi_rvalid   (m_axi_rvalid),
    .s_axi_rready   (m_axi_rready),
    .m_axi_aclk     (clk_sys),
    .m_axi_aresetn  (~reset_sys),
    .m_axi_awid     (dma_awid),
    .m_axi_awaddr   (dma_awaddr),
    .m_axi_awlen    (dma_awlen),
    .m_axi_awsize   (dma_awsize),
    .m_axi_awburst  (dma_awburst),
    .m_axi_awlock   (unused_dma_cdc_m_axi_awlock),
    .m_axi_awcache  (dma_awcache),
    .m_axi_awprot   (dma_awprot),
    .m_axi_awregion (unused_dma_cdc_m_axi_awregion),
    .m_axi_awqos    (unused_dma_cdc_m_axi_awqos),
    .m_axi_awvalid  (dma_awvalid),
    .m_axi_awready  (dma_awready),
    .m_axi_wdata    (dma_wdata),
    .m_axi_wstrb    (dma_wstrb),
    .m_axi_wlast    (dma_wlast),
    .m_axi_wvalid   (dma_wvalid),
    .m_axi_wready   (dma_wready),
    .m_axi_bid      (dma_bid),
    .m_axi_bresp    (dma_bresp),
    .m_axi_bvalid   (dma_bvalid),
    .m_axi_bready   (dma_bready),
    .m_axi_arid     (dma_arid),
    .m_axi_araddr   (dma_araddr),
    .m_axi_arlen    (dma_arlen),
    .m_axi_arsize   (dma_arsize),
    .m_axi_arburst  (dma_arburst),
    .m_axi_arlock   (unused_dma_cdc_m_axi_arlock),
    .m_axi_arcache  (dma_arcache),
    .m_axi_arprot   (dma_arprot),
    .m_axi_arregion (unused_dma_cdc_m_axi_arregion),
    .m_axi_arqos    (unused_dma_cdc_m_axi_arqos),
    .m_axi_arvalid  (dma_arvalid),
    .m_axi_arready  (dma_arready),
    .m_axi_rid      (dma_rid),
    .m_axi_rdata    (dma_rdata),
    .m_axi_rresp    (dma_rresp),
    .m_axi_rlast    (dma_rlast),
    .m_axi_rvalid   (dma_rvalid),
    .m_axi_rready   (dma_rready)
);

wire [43:0]    dma64_awaddr;
wire [7:0]     dma64_awlen;
wire [2:0]     dma64_awsize;
wire [1:0]     dma64_awburst;
wire [3:0]     dma64_awcache;
wire [2:0]     dma64_awprot;
wire           dma64_awvalid;
wire           dma64_awready;
wire [63:0]    dma64_wdata;
wire [7:0]     dma64_wstrb;
wire           dma64_wlast;
wire           dma64_wvalid;
wire           dma64_wready;
wire [1:0]     dma64_bresp;
wire           dma64_bvalid;
wire           dma64_bready;
wire [43:0]    dma64_araddr;
wire [7:0]     dma64_arlen;
wire [2:0]     dma64_arsize;
wire [1:0]     dma64_arburst;
wire [3:0]     dma64_arcache;
wire [2:0]     dma64_arprot;
wire           dma64_arvalid;
wire           dma64_arready;
wire [63:0]    dma64_rdata;
wire [1:0]     dma64_rresp;
wire           dma64_rlast;
wire           dma64_rvalid;
wire           dma64_rready;

// axi_dma_dwidth's outputs left open here.
wire unused_dma_dwidth_m_axi_awlock;
wire [3:0] unused_dma_dwidth_m_axi_awregion;
wire [3:0] unused_dma_dwidth_m_axi_awqos;
wire unused_dma_dwidth_m_axi_arlock;
wire [3:0] unused_dma_dwidth_m_axi_arregion;
wire [3:0] unused_dma_dwidth_m_axi_arqos;

axi_dma_dwidth dma_dwidth (
    .s_axi_aclk     (clk_sys),
    .s_axi_aresetn  (~reset_sys),
    .s_axi_awid     (dma_awid),
    .s_axi_awaddr   (dma_awaddr),
    .s_axi_awlen    (dma_awlen),
    .s_axi_awsize   (dma_awsize),
    .s_axi_awburst  (dma_awburst),
    .s_axi_awlock   (1'b0),
    .s_axi_awcache  (dma_awcache),
    .s_axi_awprot   (dma_awprot),
    .s_axi_awregion (4'd0),
    .s_axi_awqos    (4'd0),
    .s_axi_awvalid  (dma_awvalid),
    .s_axi_awready  (dma_awready),
    .s_axi_wdata    (dma_wdata),
    .s_axi_wstrb    (dma_wstrb),
    .s_axi_wlast    (dma_wlast),
    .s_axi_wvalid   (dma_wvalid),
    .s_axi_wready   (dma_wready),
    .s_axi_bid      (dma_bid),
    .s_axi_bresp    (dma_bresp),
    .s_axi_bvalid   (dma_bvalid),
    .s_axi_bready   (dma_bready),
    .s_axi_arid     (dma_arid),
    .s_axi_araddr   (dma_araddr),
    .s_axi_arlen    (dma_arlen),
    .s_axi_arsize   (dma_arsize),
    .s_axi_arburst  (dma_arburst),
    .s_axi_arlock   (1'b0),
    .s_axi_arcache  (dma_arcache),
    .s_axi_arprot   (dma_arprot),
    .s_axi_arregion (4'd0),
    .s_axi_arqos    (4'd0),
    .s_axi_arvalid  (dma_arvalid),
    .s_axi_arready  (dma_arready),
    .s_axi_rid      (dma_rid),
    .s_axi_rdata    (dma_rdata),
    .s_axi_rresp    (dma_rresp),
    .s_axi_rlast    (dma_rlast),
    .s_axi_rvalid   (dma_rvalid),
    .s_axi_rready   (dma_rready),
    .m_axi_awaddr   (dma64_awaddr),
    .m_axi_awlen    (dma64_awlen),
    .m_axi_awsize   (dma64_awsize),
    .m_axi_awburst  (dma64_awburst),
    .m_axi_awlock   (unused_dma_dwidth_m_axi_awlock),
    .m_axi_awcache  (dma64_awcache),
    .m_axi_awprot   (dma64_awprot),
    .m_axi_awregion (unused_dma_dwidth_m_axi_awregion),
    .m_axi_awqos    (unused_dma_dwidth_m_axi_awqos),
    .m_axi_awvalid  (dma64_awvalid),
    .m_axi_awready  (dma64_awready),
    .m_axi_wdata    (dma64_wdata),
    .m_axi_wstrb    (dma64_wstrb),
    .m_axi_wlast    (dma64_wlast),
    .m_axi_wvalid   (dma64_wvalid),
    .m_axi_wready   (dma64_wready),
    .m_axi_bresp    (dma64_bresp),
    .m_axi_bvalid   (dma64_bvalid),
    .m_axi_bready   (dma64_bready),
    .m_axi_araddr   (dma64_araddr),
    .m_axi_arlen    (dma64_arlen),
    .m_axi_arsize   (dma64_arsize),
    .m_axi_arburst  (dma64_arburst),
    .m_axi_arlock   (unused_dma_dwidth_m_axi_arlock),
    .m_axi_arcache  (dma64_arcache),
    .m_axi_arprot   (dma64_arprot),
    .m_axi_arregion (unused_dma_dwidth_m_axi_arregion),
    .m_axi_arqos    (unused_dma_dwidth_m_axi_arqos),
    .m_axi_arvalid  (dma64_arvalid),
    .m_axi_arready  (dma64_arready),
    .m_axi_rdata    (dma64_rdata),
    .m_axi_rresp    (dma64_rresp),
    .m_axi_rlast    (dma64_rlast),
    .m_axi_rvalid   (dma64_rvalid),
    .m_axi_rready   (dma64_rready)
);

// axi_dma_lite's outputs left open here.
wire [2:0] unused_dma_lite_m_axi_awprot;
wire [2:0] unused_dma_lite_m_axi_arprot;

axi_dma_lite dma_lite (
    .aclk           (clk_sys),
    .aresetn        (~reset_sys),
    .s_axi_awaddr   (dma64_awaddr),
    .s_axi_awlen    (dma64_awlen),
    .s_axi_awsize   (dma64_awsize),
    .s_axi_awburst  (dma64_awburst),
    .s_axi_awlock   (1'b0),
    .s_axi_awcache  (dma64_awcache),
    .s_axi_awprot   (dma64_awprot),
    .s_axi_awregion (4'd0),
    .s_axi_awqos    (4'd0),
    .s_axi_awvalid  (dma64_awvalid),
    .s_axi_awready  (dma64_awready),
    .s_axi_wdata    (dma64_wdata),
    .s_axi_wstrb    (dma64_wstrb),
    .s_axi_wlast    (dma64_wlast),
    .s_axi_wvalid   (dma64_wvalid),
    .s_axi_wready   (dma64_wready),
    .s_axi_bresp    (dma64_bresp),
    .s_axi_bvalid   (dma64_bvalid),
    .s_axi_bready   (dma64_bready),
    .s_axi_araddr   (dma64_araddr),
    .s_axi_arlen    (dma64_arlen),
    .s_axi_arsize   (dma64_arsize),
    .s_axi_arburst  (dma64_arburst),
    .s_axi_arlock   (1'b0),
    .s_axi_arcache  (dma64_arcache),
    .s_axi_arprot   (dma64_arprot),
    .s_axi_arregion (4'd0),
    .s_axi_arqos    (4'd0),
    .s_axi_arvalid  (dma64_arvalid),
    .s_axi_arready  (dma64_arready),
    .s_axi_rdata    (dma64_rdata),
    .s_axi_rresp    (dma64_rresp),
    .s_axi_rlast    (dma64_rlast),
    .s_axi_rvalid   (dma64_rvalid),
    .s_axi_rready   (dma64_rready),
    .m_axi_awaddr   (m_io_axil_awaddr),
    .m_axi_awprot   (unused_dma_lite_m_axi_awprot),
    .m_axi_awvalid  (m_io_axil_awvalid),
    .m_axi_awready  (m_io_axil_awready),
    .m_axi_wdata    (m_io_axil_wdata),
    .m_axi_wstrb    (m_io_axil_wstrb),
    .m_axi_wvalid   (m_io_axil_wvalid),
    .m_axi_wready   (m_io_axil_wready),
    .m_axi_bresp    (m_io_axil_bresp),
    .m_axi_bvalid   (m_io_axil_bvalid),
    .m_axi_bready   (m_io_axil_bready),
    .m_axi_araddr   (m_io_axil_araddr),
    .m_axi_arprot   (unused_dma_lite_m_axi_arprot),
    .m_axi_arvalid  (m_io_axil_arvalid),
    .m_axi_arready  (m_io_axil_arready),
    .m_axi_rdata    (m_io_axil_rdata),
    .m_axi_rresp    (m_io_axil_rresp),
    .m_axi_rvalid   (m_io_axil_rvalid),
    .m_axi_rready   (m_io_axil_rready)
);

// ---------------------------------------------------------------------------------------
// Interrupts, and what the shell has no path for (see the header)
// ---------------------------------------------------------------------------------------

assign F_IRQ_IRQ0 = irq[0];
assign F_IRQ_IRQ1 = irq[1];
assign F_IRQ_IRQ2 = irq[2];
assign F_IRQ_IRQ3 = irq[3];
assign m_axis_other_tready = 1'b1;

// What this top does not use: the frames and signals the shell has no path for (above),
// the NIC's status pulses, the NIC's address bits above the window's 44, and the register
// window's bits above each map.
wire unused_ok = &{1'b0, m_axis_other_tdata, m_axis_other_tkeep, m_axis_other_tvalid,
                   m_axis_other_tlast, m_axis_other_tuser, backlog_irq, accio_irq,
                   accio_evq_irq, link_up, rx_axis_tready, rx_drop_bad, rx_drop_full,
                   tx_drop_bad, tx_drop_full, m_axi_awaddr[63:44], m_axi_araddr[63:44],
                   xb_awaddr[87:64],
                   xb_awaddr[43:15], xb_araddr[87:64], xb_araddr[43:15]};

// ---------------------------------------------------------------------------------------
// Ethernet: CMAC on F_MAC0
// ---------------------------------------------------------------------------------------

assign stat_rx_aligned = rx_aligned;

cmac_100g cmac (
    .gt_rxp         (F_MAC0_RX_P),
    .gt_rxn         (F_MAC0_RX_N),
    .gt_txp         (F_MAC0_TX_P),
    .gt_txn         (F_MAC0_TX_N),
    .gt_ref_clk_p   (F_MAC0C_CLK_P),
    .gt_ref_clk_n   (F_MAC0C_CLK_N),
    .init_clk       (init_clk),
    .sys_reset      (init_rst),
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

endmodule

`default_nettype wire
