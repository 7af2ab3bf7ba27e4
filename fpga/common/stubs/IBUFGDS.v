// Black box of the UltraScale primitive IBUFGDS for linting the board tops (fpga/*/fpga.v).
// Ports and parameters as Yosys's /usr/share/yosys/xilinx/cells_xtra.v (`module IBUFGDS`); UG974 describes them.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
/* verilator lint_off UNUSEDPARAM */
module IBUFGDS
#(
    parameter CAPACITANCE = "DONT_CARE",
    parameter DIFF_TERM = "FALSE",
    parameter IBUF_DELAY_VALUE = "0",
    parameter IBUF_LOW_PWR = "TRUE",
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
