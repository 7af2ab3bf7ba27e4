# PCIe x16 Gen3 in AXI Bridge mode (PG194/PG195): BAR0 (2 MiB) appears on the 512-bit AXI4
# master m_axib_* at 250 MHz (axi_aclk, the NIC's core_clk); the 512-bit AXI4 slave s_axib_*
# reaches host memory one-to-one (the AXI address is the PCIe address); MSI with 8 vectors,
# raised through six user interrupts usr_irq_req[5:0] (PG194's interrupt interface for the
# DMA/Bridge Subsystem in Bridge mode; xdma_num_usr_irq). Link parameters as Corundum's
# fpga/mqnic/VCU118/fpga_100g/ip/pcie4_uscale_plus_0.tcl (X16, 8.0 GT/s, 250 MHz, 512 bits).

create_ip -name xdma -vendor xilinx.com -library ip -module_name xdma_0

set_property -dict [list \
    CONFIG.functional_mode {AXI_Bridge} \
    CONFIG.mode_selection {Advanced} \
    CONFIG.pl_link_cap_max_link_width {X16} \
    CONFIG.pl_link_cap_max_link_speed {8.0_GT/s} \
    CONFIG.axi_data_width {512_bit} \
    CONFIG.axisten_freq {250} \
    CONFIG.ref_clk_freq {100_MHz} \
    CONFIG.axi_addr_width {64} \
    CONFIG.axi_id_width {4} \
    CONFIG.pf0_class_code_base {02} \
    CONFIG.pf0_class_code_sub {00} \
    CONFIG.pf0_device_id {9038} \
    CONFIG.pf0_bar0_enabled {true} \
    CONFIG.pf0_bar0_64bit {true} \
    CONFIG.pf0_bar0_prefetchable {false} \
    CONFIG.pf0_bar0_scale {Megabytes} \
    CONFIG.pf0_bar0_size {2} \
    CONFIG.pciebar2axibar_0 {0x0000000000000000} \
    CONFIG.en_axi_slave_if {true} \
    CONFIG.en_axi_master_if {true} \
    CONFIG.axibar_num {1} \
    CONFIG.BASEADDR {0x0000000000000000} \
    CONFIG.HIGHADDR {0xFFFFFFFFFFFFFFFF} \
    CONFIG.axibar2pciebar_0 {0x0000000000000000} \
    CONFIG.pf0_msi_enabled {true} \
    CONFIG.pf0_msi_cap_multimsgcap {8_vectors} \
    CONFIG.pf0_msix_enabled {false} \
    CONFIG.xdma_num_usr_irq {6} \
] [get_ips xdma_0]
