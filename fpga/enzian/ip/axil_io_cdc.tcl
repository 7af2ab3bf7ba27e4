# The shell's AXI4-Lite I/O window from clk_sys to app_clk (AXI Clock Converter, PG059;
# the prototype's axil_cdc).

create_ip -name axi_clock_converter -vendor xilinx.com -library ip -module_name axil_io_cdc

set_property -dict [list \
    CONFIG.PROTOCOL {AXI4LITE} \
    CONFIG.ADDR_WIDTH {44} \
    CONFIG.DATA_WIDTH {64} \
    CONFIG.ACLK_ASYNC {1} \
] [get_ips axil_io_cdc]
