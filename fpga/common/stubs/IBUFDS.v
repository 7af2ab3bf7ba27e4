// Black box of the UltraScale primitive IBUFDS for linting the board tops (fpga/*/fpga.v).
// Ports and parameters as Yosys's /usr/share/yosys/xilinx/cells_xtra.v (`module IBUFDS`); UG974 describes them.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
/* verilator lint_off UNUSEDPARAM */
module IBUFDS
#(
    parameter CAPACITANCE = "DONT_CARE",
    parameter DIFF_TERM = "FALSE",
    parameter DQS_BIAS = "FALSE",
    parameter IBUF_DELAY_VALUE = "0",
    parameter IBUF_LOW_PWR = "TRUE",
    parameter IFD_DELAY_VALUE = "AUTO",
    parameter IOSTANDARD = "DEFAULT"
) (
    output wire O,
    input  wire I,
    input  wire IB
);
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
