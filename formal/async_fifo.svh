// Properties of async_fifo_* (hdl/src/blocks/async_fifo.rs). scripts/formal.sh pastes this
// file into a copy of the emitted module, just before `endmodule`, and turns every flop
// into logic of one global clock (yosys clk2fflogic): each step of the proof, either clock
// may rise or not, in any interleaving; the inputs change freely between steps.
// Reset follows the block's contract (its module docs): both resets high from the start
// until each side has seen its reset at a rising edge, then each released for good.
// Scoreboard: words in (at wr_clk) and out (at rd_clk) are counted; one nondeterministic
// word (index f_idx) is tracked from input to output.
`ifdef FORMAL
    localparam integer F_W = $bits(m_data);
    localparam integer F_P = $bits(wr_ptr_bin);     // address + wrap bit
    localparam integer F_DEPTH = 1 << (F_P - 1);
    localparam integer F_C = F_P + 1;               // counts up to depth + 1 held

    function [F_P-1:0] f_bin(input [F_P-1:0] g);    // Gray to binary
        integer i;
        begin
            f_bin = g;
            for (i = 1; i < F_P; i = i + 1) f_bin = f_bin ^ (g >> i);
        end
    endfunction

    // ---- Reset contract (assumptions) ----
    reg f_wr_reset = 1'b0, f_rd_reset = 1'b0;      // the side saw its reset at an edge
    always @(posedge wr_clk) if (wr_rst) f_wr_reset <= 1'b1;
    always @(posedge rd_clk) if (rd_rst) f_rd_reset <= 1'b1;
    reg f_wr_rst_q = 1'b1, f_rd_rst_q = 1'b1;
    always @($global_clock) begin
        f_wr_rst_q <= wr_rst;
        f_rd_rst_q <= rd_rst;
    end
    wire f_reset_done = f_wr_reset && f_rd_reset;
    always @(*) begin
        if (!f_reset_done) assume(wr_rst && rd_rst);
        if (!f_wr_rst_q) assume(!wr_rst);
        if (!f_rd_rst_q) assume(!rd_rst);
    end
    // Both sides reset: from here on every property holds, also while one side is still
    // held in reset and the other runs.
    wire f_run = f_reset_done;

    // ---- Scoreboard ----
    reg [F_C-1:0] f_in_cnt = 0, f_out_cnt = 0;
    (* anyconst *) reg [F_C-1:0] f_idx;
    reg [F_W-1:0] f_trk;
    always @(posedge wr_clk) begin
        if (wr_rst) f_in_cnt <= 0;
        else if (s_valid && s_ready) f_in_cnt <= f_in_cnt + 1'b1;
        if (!wr_rst && s_valid && s_ready && f_in_cnt == f_idx) f_trk <= s_data;
    end
    always @(posedge rd_clk) begin
        if (rd_rst) f_out_cnt <= 0;
        else if (m_valid && m_ready) f_out_cnt <= f_out_cnt + 1'b1;
    end
    wire [F_C-1:0] f_held = f_in_cnt - f_out_cnt;
    wire [F_C-1:0] f_pos = f_idx - f_out_cnt;       // the tracked word's place in the FIFO
    wire f_inflight = f_pos < f_held;
    wire [F_P-1:0] f_stored = wr_ptr_bin - rd_ptr_bin;
    wire [F_P-2:0] f_slot = rd_ptr_bin[F_P-2:0] + f_pos[F_P-2:0] - {{(F_P-2){1'b0}}, out_valid};
    // What each side knows of the other's pointer, in binary.
    wire [F_P-1:0] f_ws0 = f_bin(wr_ptr_gray_sync0), f_ws1 = f_bin(wr_ptr_gray_sync1);
    wire [F_P-1:0] f_rs0 = f_bin(rd_ptr_gray_sync0), f_rs1 = f_bin(rd_ptr_gray_sync1);
    wire [F_P-1:0] f_ahead = wr_ptr_bin - f_rs1;    // the writer's lead as it sees it

    // ---- Last step's values ----
    reg [F_P-1:0] f_wr_gray_q, f_rd_gray_q;
    reg f_stall = 1'b0;
    reg [F_W-1:0] f_last;
    always @($global_clock) begin
        f_wr_gray_q <= wr_ptr_gray;
        f_rd_gray_q <= rd_ptr_gray;
    end
    always @(posedge rd_clk) begin
        f_stall <= !rd_rst && m_valid && !m_ready;
        f_last <= m_data;
    end
    reg f_run_q = 1'b0;
    always @($global_clock) f_run_q <= f_run;

    // Gray steps: at most one bit changes.
    wire [F_P-1:0] f_wr_flip = wr_ptr_gray ^ f_wr_gray_q, f_rd_flip = rd_ptr_gray ^ f_rd_gray_q;

    always @(*) if (f_run) begin
        // Words held = words in - words out: none lost, none duplicated, none invented;
        // neither side claims space or data that is not there.
        assert(f_held == {1'b0, f_stored} + out_valid);
        assert(f_stored <= F_DEPTH);
        if (s_ready) assert(f_stored < F_DEPTH);
        if (m_valid) assert(f_held != 0);
        // The tracked word sits where order says it must, unchanged.
        if (f_inflight && out_valid && f_pos == 0) assert(out_data == f_trk);
        if (f_inflight && !(out_valid && f_pos == 0)) assert(mem[f_slot] == f_trk);
        if (m_valid && f_out_cnt == f_idx) assert(f_inflight && m_data == f_trk);
        // An offered word stays, unchanged, until taken.
        if (f_stall) assert(m_valid && m_data == f_last);
        // Each published pointer steps one Gray bit at a time.
        if (f_run_q) assert((f_wr_flip & (f_wr_flip - 1'b1)) == 0 && (f_rd_flip & (f_rd_flip - 1'b1)) == 0);

        // Invariants for the induction: Gray and binary pointers agree; each synchronized
        // copy is an older value of the pointer it follows (rd <= ws1 <= ws0 <= wr and
        // rs1 <= rs0 <= rd <= wr, all within one lap).
        assert(wr_ptr_gray == (wr_ptr_bin ^ (wr_ptr_bin >> 1)));
        assert(rd_ptr_gray == (rd_ptr_bin ^ (rd_ptr_bin >> 1)));
        // (Sums two bits wider than a pointer: three laps do not wrap.)
        assert({2'b0, wr_ptr_bin - f_ws0} + {2'b0, f_ws0 - f_ws1} + {2'b0, f_ws1 - rd_ptr_bin}
            == {2'b0, f_stored});
        assert({2'b0, f_stored} + {2'b0, rd_ptr_bin - f_rs0} + {2'b0, f_rs0 - f_rs1}
            == {2'b0, f_ahead});
        assert(f_ahead <= F_DEPTH);
    end
    // A side reset at an edge and still held in reset sits at its reset values.
    always @(*) begin
        if (f_wr_reset && wr_rst) assert(f_in_cnt == 0 && wr_ptr_bin == 0 && wr_ptr_gray == 0
            && rd_ptr_gray_sync0 == 0 && rd_ptr_gray_sync1 == 0);
        if (f_rd_reset && rd_rst) assert(f_out_cnt == 0 && rd_ptr_bin == 0 && rd_ptr_gray == 0
            && wr_ptr_gray_sync0 == 0 && wr_ptr_gray_sync1 == 0 && !out_valid && !f_stall);
    end
`endif
