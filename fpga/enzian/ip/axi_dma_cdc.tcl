# The DMA fallback's bursts (the RX rings' writes, the TX rings' reads) from app_clk to
# clk_sys (AXI Clock Converter, PG059; AXI4, 512 bits, read and write).

create_ip -name axi_clock_converter -vendor xilinx.com -library ip -module_name axi_dma_cdc

set_property -dict [list \
    CONFIG.PROTOCOL {AXI4} \
    CONFIG.READ_WRITE_MODE {READ_WRITE} \
    CONFIG.ADDR_WIDTH {44} \
    CONFIG.DATA_WIDTH {512} \
    CONFIG.ID_WIDTH {1} \
    CONFIG.ACLK_ASYNC {1} \
] [get_ips axi_dma_cdc]
