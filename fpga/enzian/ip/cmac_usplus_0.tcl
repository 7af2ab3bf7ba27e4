# 100G Ethernet on Enzian's F_MAC0 QSFP28 cage: CAUI-4 (4 x 25.78125 Gb/s) from its 156.25
# MHz reference clock, RS-FEC, 512-bit AXI4-Stream at gt_txusrclk2 (322.265625 MHz). The
# same core configuration as fpga/vcu118/ip/cmac_usplus_0.tcl; the CMAC site and GT quad of
# F_MAC0 are the static shell's (its constraints are not public), so none is named here.

create_ip -name cmac_usplus -vendor xilinx.com -library ip -module_name cmac_usplus_0

set_property -dict [list \
    CONFIG.CMAC_CAUI4_MODE {1} \
    CONFIG.NUM_LANES {4x25} \
    CONFIG.GT_REF_CLK_FREQ {156.25} \
    CONFIG.USER_INTERFACE {AXIS} \
    CONFIG.GT_DRP_CLK {100} \
    CONFIG.TX_FLOW_CONTROL {0} \
    CONFIG.RX_FLOW_CONTROL {0} \
    CONFIG.INCLUDE_RS_FEC {1} \
    CONFIG.RX_MIN_PACKET_LEN {64} \
    CONFIG.RX_MAX_PACKET_LEN {9600} \
    CONFIG.ENABLE_PIPELINE_REG {1} \
] [get_ips cmac_usplus_0]
