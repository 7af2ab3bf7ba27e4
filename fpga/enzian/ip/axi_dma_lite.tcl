# The DMA fallback's 64-bit write bursts as single AXI4-Lite writes into the shell's
# FPGA -> CPU window (AXI Protocol Converter, PG059; write only).

create_ip -name axi_protocol_converter -vendor xilinx.com -library ip -module_name axi_dma_lite

set_property -dict [list \
    CONFIG.SI_PROTOCOL {AXI4} \
    CONFIG.MI_PROTOCOL {AXI4LITE} \
    CONFIG.READ_WRITE_MODE {WRITE_ONLY} \
    CONFIG.ADDR_WIDTH {44} \
    CONFIG.DATA_WIDTH {64} \
    CONFIG.ID_WIDTH {0} \
] [get_ips axi_dma_lite]
