// Black box of the UltraScale primitive IBUFDS_GTE4 for linting the board tops (fpga/*/fpga.v).
// Ports and parameters as Yosys's /usr/share/yosys/xilinx/cells_xtra.v (`module IBUFDS_GTE4`); UG974 describes them.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
/* verilator lint_off UNUSEDPARAM */
module IBUFDS_GTE4
#(
    parameter [0:0] REFCLK_EN_TX_PATH = 1'b0,
    parameter [1:0] REFCLK_HROW_CK_SEL = 2'b00,
    parameter [1:0] REFCLK_ICNTL_RX = 2'b00
) (
    output wire O,
    output wire ODIV2,
    input  wire CEB,
    input  wire I,
    input  wire IB
);
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
