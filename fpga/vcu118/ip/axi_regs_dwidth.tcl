# BAR0 accesses from the bridge's 512-bit AXI4 master down to 64 bits (the ACCIO registers'
# width). AXI Data Width Converter (PG059) as a downsizer.

create_ip -name axi_dwidth_converter -vendor xilinx.com -library ip -module_name axi_regs_dwidth

set_property -dict [list \
    CONFIG.PROTOCOL {AXI4} \
    CONFIG.ADDR_WIDTH {64} \
    CONFIG.SI_DATA_WIDTH {512} \
    CONFIG.MI_DATA_WIDTH {64} \
    CONFIG.SI_ID_WIDTH {4} \
    CONFIG.ACLK_ASYNC {0} \
] [get_ips axi_regs_dwidth]
