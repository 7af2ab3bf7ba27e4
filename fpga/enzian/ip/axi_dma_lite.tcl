# The DMA fallback's 64-bit bursts as single AXI4-Lite writes and reads through the
# shell's FPGA -> CPU window (AXI Protocol Converter, PG059; read and write).

create_ip -name axi_protocol_converter -vendor xilinx.com -library ip -module_name axi_dma_lite

set_property -dict [list \
    CONFIG.SI_PROTOCOL {AXI4} \
    CONFIG.MI_PROTOCOL {AXI4LITE} \
    CONFIG.READ_WRITE_MODE {READ_WRITE} \
    CONFIG.ADDR_WIDTH {44} \
    CONFIG.DATA_WIDTH {64} \
    CONFIG.ID_WIDTH {0} \
] [get_ips axi_dma_lite]
