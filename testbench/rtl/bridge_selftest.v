// Self-test model of the sim crate's Verilator bridge (testbench/tests/sim_bridge.rs).
//
// Registered outputs (synchronous active-high reset to 0):
//   outN      <= inN + 1 (mod 2^N) for N = 8, 16, 33, 64, 1024
//   beats     <= number of beats accepted on s_axis (mod 2^16)
//   m_axis_*  <= s_axis_* : a one-deep AXI4-Stream register slice
// Combinational outputs:
//   comb8         = in8 ^ 8'hA5
//   comb1024      = ~in1024
//   s_axis_tready = !m_axis_tvalid || m_axis_tready
// Simulation control:
//   fatal_trigger high at a rising edge  -> $fatal
//   stop_trigger high (combinational)    -> $stop
//   finish_trigger high at a rising edge -> $finish
module bridge_selftest (
    input  wire          clk,
    input  wire          rst,
    input  wire [7:0]    in8,
    input  wire [15:0]   in16,
    input  wire [32:0]   in33,
    input  wire [63:0]   in64,
    input  wire [1023:0] in1024,
    output reg  [7:0]    out8,
    output reg  [15:0]   out16,
    output reg  [32:0]   out33,
    output reg  [63:0]   out64,
    output reg  [1023:0] out1024,
    output wire [7:0]    comb8,
    output wire [1023:0] comb1024,
    input  wire [511:0]  s_axis_tdata,
    input  wire [63:0]   s_axis_tkeep,
    input  wire          s_axis_tvalid,
    input  wire          s_axis_tlast,
    output wire          s_axis_tready,
    output reg  [511:0]  m_axis_tdata,
    output reg  [63:0]   m_axis_tkeep,
    output reg           m_axis_tvalid,
    output reg           m_axis_tlast,
    input  wire          m_axis_tready,
    output reg  [15:0]   beats,
    input  wire          fatal_trigger,
    input  wire          stop_trigger,
    input  wire          finish_trigger
);
    assign comb8 = in8 ^ 8'hA5;
    assign comb1024 = ~in1024;
    assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

    always @(posedge clk) begin
        if (rst) begin
            out8 <= 8'd0;
            out16 <= 16'd0;
            out33 <= 33'd0;
            out64 <= 64'd0;
            out1024 <= 1024'd0;
            beats <= 16'd0;
            m_axis_tvalid <= 1'b0;
        end else begin
            out8 <= in8 + 8'd1;
            out16 <= in16 + 16'd1;
            out33 <= in33 + 33'd1;
            out64 <= in64 + 64'd1;
            out1024 <= in1024 + 1024'd1;
            if (s_axis_tvalid && s_axis_tready) begin
                beats <= beats + 16'd1;
            end
            if (s_axis_tready) begin
                m_axis_tvalid <= s_axis_tvalid;
            end
        end
        if (s_axis_tready) begin
            m_axis_tdata <= s_axis_tdata;
            m_axis_tkeep <= s_axis_tkeep;
            m_axis_tlast <= s_axis_tlast;
        end
        if (fatal_trigger) begin
            $fatal(1, "fatal_trigger set (in8=%0d)", in8);
        end
        if (finish_trigger) begin
            $finish;
        end
    end

    always @(*) begin
        if (stop_trigger) begin
            $stop;
        end
    end
endmodule
