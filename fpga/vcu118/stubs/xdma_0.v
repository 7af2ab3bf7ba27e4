// Black box of xdma_0 (DMA/Bridge Subsystem for PCI Express, PG195, in AXI Bridge mode as
// PG194 describes it) as fpga/vcu118/ip/xdma_0.tcl configures it: PCIe x16 Gen3, 512-bit
// AXI at 250 MHz, 64-bit AXI addresses, 4-bit AXI IDs, the AXI4 master m_axib_* (BAR0)
// and slave s_axib_* both enabled, MSI with xdma_num_usr_irq = 6 user interrupts.
//
// Port names, directions and widths: PG195's port tables for the bridge (PCIe, clock and
// reset, AXI4 master and slave bridge interfaces) and PG194's "DMA/Bridge Subsystem for
// PCIe in Bridge Mode Interrupt Signals" (usr_irq_req/usr_irq_ack[NUM_USR_IRQ-1:0],
// msi_enable: PG194 notes that the intx_msi_request / msi_vector_num interface is the
// standalone AXI Bridge for PCIe Gen3's, not this core's), as a Vivado-generated block
// design netlist names them for an XDMA in AXI Bridge mode with 512-bit, 4-bit-ID
// m_axib/s_axib (instance `top_level_xdma_0_1 pcie_bridge` in the search index's public
// code: sys_clk, sys_clk_gt, sys_rst_n, usr_irq_req, m_axib_*lock/cache/prot,
// s_axib_*region, no s_axib_*cache/prot/lock). xdma_0.tcl does not turn on the optional
// AXI4-Lite slave (s_axil_*, bridge registers; that netlist's core has it) or the
// configuration management port; they are taken as off and not declared (an assumption
// the top-level README lists). Every input is declared, so fpga.v must drive each one; of
// the outputs, those of the enabled interfaces plus user_lnk_up and msi_enable.

/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
module xdma_0 (
    // PCIe link, clocks and reset
    input  wire         sys_clk,
    input  wire         sys_clk_gt,
    input  wire         sys_rst_n,
    input  wire [15:0]  pci_exp_rxp,
    input  wire [15:0]  pci_exp_rxn,
    output wire [15:0]  pci_exp_txp,
    output wire [15:0]  pci_exp_txn,
    output wire         user_lnk_up,
    output wire         axi_aclk,
    output wire         axi_aresetn,

    // User interrupts (MSI)
    input  wire [5:0]   usr_irq_req,
    output wire [5:0]   usr_irq_ack,
    output wire         msi_enable,

    // AXI4 master: PCIe BAR accesses
    output wire [3:0]   m_axib_awid,
    output wire [63:0]  m_axib_awaddr,
    output wire [7:0]   m_axib_awlen,
    output wire [2:0]   m_axib_awsize,
    output wire [1:0]   m_axib_awburst,
    output wire [2:0]   m_axib_awprot,
    output wire         m_axib_awvalid,
    input  wire         m_axib_awready,
    output wire         m_axib_awlock,
    output wire [3:0]   m_axib_awcache,
    output wire [511:0] m_axib_wdata,
    output wire [63:0]  m_axib_wstrb,
    output wire         m_axib_wlast,
    output wire         m_axib_wvalid,
    input  wire         m_axib_wready,
    input  wire [3:0]   m_axib_bid,
    input  wire [1:0]   m_axib_bresp,
    input  wire         m_axib_bvalid,
    output wire         m_axib_bready,
    output wire [3:0]   m_axib_arid,
    output wire [63:0]  m_axib_araddr,
    output wire [7:0]   m_axib_arlen,
    output wire [2:0]   m_axib_arsize,
    output wire [1:0]   m_axib_arburst,
    output wire [2:0]   m_axib_arprot,
    output wire         m_axib_arvalid,
    input  wire         m_axib_arready,
    output wire         m_axib_arlock,
    output wire [3:0]   m_axib_arcache,
    input  wire [3:0]   m_axib_rid,
    input  wire [511:0] m_axib_rdata,
    input  wire [1:0]   m_axib_rresp,
    input  wire         m_axib_rlast,
    input  wire         m_axib_rvalid,
    output wire         m_axib_rready,

    // AXI4 slave: requests to host memory
    input  wire [3:0]   s_axib_awid,
    input  wire [63:0]  s_axib_awaddr,
    input  wire [3:0]   s_axib_awregion,
    input  wire [7:0]   s_axib_awlen,
    input  wire [2:0]   s_axib_awsize,
    input  wire [1:0]   s_axib_awburst,
    input  wire         s_axib_awvalid,
    output wire         s_axib_awready,
    input  wire [511:0] s_axib_wdata,
    input  wire [63:0]  s_axib_wstrb,
    input  wire         s_axib_wlast,
    input  wire         s_axib_wvalid,
    output wire         s_axib_wready,
    output wire [3:0]   s_axib_bid,
    output wire [1:0]   s_axib_bresp,
    output wire         s_axib_bvalid,
    input  wire         s_axib_bready,
    input  wire [3:0]   s_axib_arid,
    input  wire [63:0]  s_axib_araddr,
    input  wire [3:0]   s_axib_arregion,
    input  wire [7:0]   s_axib_arlen,
    input  wire [2:0]   s_axib_arsize,
    input  wire [1:0]   s_axib_arburst,
    input  wire         s_axib_arvalid,
    output wire         s_axib_arready,
    output wire [3:0]   s_axib_rid,
    output wire [511:0] s_axib_rdata,
    output wire [1:0]   s_axib_rresp,
    output wire         s_axib_rlast,
    output wire         s_axib_rvalid,
    input  wire         s_axib_rready
);
endmodule
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
