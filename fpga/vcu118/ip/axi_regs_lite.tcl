# The downsized BAR0 accesses from AXI4 to AXI4-Lite for the NIC's s_axil (AXI Protocol
# Converter, PG059): bursts are split into single transfers.

create_ip -name axi_protocol_converter -vendor xilinx.com -library ip -module_name axi_regs_lite

set_property -dict [list \
    CONFIG.SI_PROTOCOL {AXI4} \
    CONFIG.MI_PROTOCOL {AXI4LITE} \
    CONFIG.ADDR_WIDTH {64} \
    CONFIG.DATA_WIDTH {64} \
    CONFIG.ID_WIDTH {0} \
    CONFIG.TRANSLATION_MODE {2} \
] [get_ips axi_regs_lite]
