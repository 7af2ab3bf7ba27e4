// Probe of the random initial state (testbench/tests/reset_state.rs): one counter that
// resets and one that does not (a forgotten reset), a wide register without reset and a
// small memory, as Verilator's `--x-initial unique` gives them their initial values.
//   counted  <= rst ? 0 : counted + 1
//   forgot   <= forgot + 1            (no reset)
//   wide     <= wide                  (no reset, never written)
//   mem_word  = mem[addr]             (written only when we)
module reset_probe (
    input  wire         clk,
    input  wire         rst,
    input  wire [1:0]   addr,
    input  wire         we,
    input  wire [31:0]  wdata,
    output reg  [31:0]  counted,
    output reg  [31:0]  forgot,
    output reg  [99:0]  wide,
    output wire [31:0]  mem_word
);
    reg [31:0] mem [0:3];
    assign mem_word = mem[addr];

    always @(posedge clk) begin
        if (rst) begin
            counted <= 32'd0;
        end else begin
            counted <= counted + 32'd1;
        end
        forgot <= forgot + 32'd1;
        wide <= wide;
        if (we) begin
            mem[addr] <= wdata;
        end
    end
endmodule
