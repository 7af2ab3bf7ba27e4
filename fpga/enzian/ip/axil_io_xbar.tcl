# The I/O window split between the LAUBERHORN registers (1 MiB at 0) and the DMA
# fallback's ICT (1 MiB at 0x100000) (AXI Crossbar, PG059, AXI4-Lite, one slave, two
# masters).

create_ip -name axi_crossbar -vendor xilinx.com -library ip -module_name axil_io_xbar

set_property -dict [list \
    CONFIG.PROTOCOL {AXI4LITE} \
    CONFIG.ADDR_WIDTH {44} \
    CONFIG.DATA_WIDTH {64} \
    CONFIG.NUM_SI {1} \
    CONFIG.NUM_MI {2} \
    CONFIG.M00_A00_BASE_ADDR {0x00000000000} \
    CONFIG.M00_A00_ADDR_WIDTH {20} \
    CONFIG.M01_A00_BASE_ADDR {0x00000100000} \
    CONFIG.M01_A00_ADDR_WIDTH {20} \
] [get_ips axil_io_xbar]
