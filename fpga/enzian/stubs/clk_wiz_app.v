// Black box of clk_wiz_app (Clocking Wizard, PG065) as fpga/enzian/ip/clk_wiz_app.tcl
// configures it: one input clock clk_in1 (322.265625 MHz), one output clk_out1 (250 MHz),
// an active-high reset input (USE_RESET, RESET_TYPE ACTIVE_HIGH) and the locked output
// (USE_LOCKED). Port names: PG065's port descriptions (clk_in1, clk_out1, reset, locked).

/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
module clk_wiz_app (
    input  wire clk_in1,
    input  wire reset,
    output wire clk_out1,
    output wire locked
);
endmodule
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
