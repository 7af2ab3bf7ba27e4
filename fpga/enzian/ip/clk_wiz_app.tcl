# The NIC's application clock, 250 MHz, from the shell's clk_sys (322.265625 MHz), as the
# prototype derives app_clk in its block design (Clocking Wizard, PG065).

create_ip -name clk_wiz -vendor xilinx.com -library ip -module_name clk_wiz_app

set_property -dict [list \
    CONFIG.PRIM_IN_FREQ {322.265625} \
    CONFIG.CLKOUT1_REQUESTED_OUT_FREQ {250.000} \
    CONFIG.USE_LOCKED {true} \
    CONFIG.USE_RESET {true} \
    CONFIG.RESET_TYPE {ACTIVE_HIGH} \
] [get_ips clk_wiz_app]
