# The DMA fallback's 512-bit bursts as 64-bit ones, for the shell's FPGA -> CPU window
# (AXI Data Width Converter, PG059, downsizer; read and write).

create_ip -name axi_dwidth_converter -vendor xilinx.com -library ip -module_name axi_dma_dwidth

set_property -dict [list \
    CONFIG.PROTOCOL {AXI4} \
    CONFIG.READ_WRITE_MODE {READ_WRITE} \
    CONFIG.ADDR_WIDTH {44} \
    CONFIG.SI_DATA_WIDTH {512} \
    CONFIG.MI_DATA_WIDTH {64} \
    CONFIG.SI_ID_WIDTH {1} \
] [get_ips axi_dma_dwidth]
