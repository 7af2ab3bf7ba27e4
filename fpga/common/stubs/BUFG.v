// Black box of the UltraScale primitive BUFG for linting the board tops (fpga/*/fpga.v).
// Ports and parameters as Yosys's /usr/share/yosys/xilinx/cells_sim.v (`module BUFG`); UG974 describes them.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
module BUFG
(
    output wire O,
    input  wire I
);
endmodule
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
