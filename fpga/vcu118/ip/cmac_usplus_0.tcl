# 100G Ethernet on QSFP28 port 1: CAUI-4 (4 x 25.78125 Gb/s) from the 156.25 MHz reference
# clock on MGTREFCLK0 of quad 231, RS-FEC, 512-bit AXI4-Stream at gt_txusrclk2 (322.265625 MHz).
# Core and GT placement (CMACE4_X0Y7, GTYE4 X1Y48-X1Y51) as Corundum's
# fpga/mqnic/VCU118/fpga_100g/ip/cmac_usplus_0.tcl; INCLUDE_RS_FEC and RX_MIN/MAX_PACKET_LEN
# as open-nic-shell's src/cmac_subsystem/vivado_ip/cmac_usplus_0_au250.tcl names them.

create_ip -name cmac_usplus -vendor xilinx.com -library ip -module_name cmac_usplus_0

set_property -dict [list \
    CONFIG.CMAC_CAUI4_MODE {1} \
    CONFIG.NUM_LANES {4x25} \
    CONFIG.GT_REF_CLK_FREQ {156.25} \
    CONFIG.USER_INTERFACE {AXIS} \
    CONFIG.GT_DRP_CLK {125} \
    CONFIG.TX_FLOW_CONTROL {0} \
    CONFIG.RX_FLOW_CONTROL {0} \
    CONFIG.INCLUDE_RS_FEC {1} \
    CONFIG.RX_MIN_PACKET_LEN {64} \
    CONFIG.RX_MAX_PACKET_LEN {9600} \
    CONFIG.CMAC_CORE_SELECT {CMACE4_X0Y7} \
    CONFIG.GT_GROUP_SELECT {X1Y48~X1Y51} \
    CONFIG.LANE1_GT_LOC {X1Y48} \
    CONFIG.LANE2_GT_LOC {X1Y49} \
    CONFIG.LANE3_GT_LOC {X1Y50} \
    CONFIG.LANE4_GT_LOC {X1Y51} \
    CONFIG.ENABLE_PIPELINE_REG {1} \
] [get_ips cmac_usplus_0]
