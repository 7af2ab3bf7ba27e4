// Properties of sync_fifo_* (hdl/src/blocks/sync_fifo.rs). scripts/formal.sh pastes this
// file into a copy of the emitted module, just before `endmodule`, so it can name the
// module's registers (yosys 0.23 without Verific has no `bind` and no hierarchical names).
// Scoreboard: words in and out are counted; one nondeterministic word (index f_idx) is
// tracked from input to output. Reset is high in the first cycle only.
`ifdef FORMAL
    localparam integer F_W = $bits(out_data);
    localparam integer F_P = $bits(rd_ptr);
    localparam integer F_C = $bits(used) + 1;
    localparam integer F_DEPTH = 1 << F_P;
    reg f_init = 1'b1;
    always @(posedge clk) f_init <= 1'b0;
    always @(*) assume(rst == f_init);

    wire f_in = s_valid & s_ready;
    wire f_out = m_valid & m_ready;
    reg [F_C-1:0] f_in_cnt, f_out_cnt;
    (* anyconst *) reg [F_C-1:0] f_idx;
    reg [F_W-1:0] f_trk;
    always @(posedge clk) begin
        if (rst) begin
            f_in_cnt <= 0;
            f_out_cnt <= 0;
        end else begin
            f_in_cnt <= f_in_cnt + f_in;
            f_out_cnt <= f_out_cnt + f_out;
        end
        if (!rst && f_in && f_in_cnt == f_idx) f_trk <= s_data;
    end
    wire [F_C-1:0] f_held = f_in_cnt - f_out_cnt;
    wire [F_C-1:0] f_pos = f_idx - f_out_cnt;   // the tracked word's place in the FIFO
    wire f_inflight = f_pos < f_held;
    wire [F_P-1:0] f_stored = wr_ptr - rd_ptr;
    wire [F_P-1:0] f_slot = rd_ptr + f_pos[F_P-1:0] - {{(F_P-1){1'b0}}, out_valid};
    always @(*) if (!rst) begin
        // Words held = words in - words out: none lost, none duplicated, none invented.
        assert(f_held == {1'b0, count});
        assert(f_held <= F_DEPTH);
        assert({1'b0, used} == {{(F_C-1){1'b0}}, out_valid} + {{(F_C-F_P){1'b0}}, f_stored});
        assert(s_ready == (f_held != F_DEPTH));
        // The tracked word sits where order says it must, unchanged.
        if (f_inflight && out_valid && f_pos == 0) assert(out_data == f_trk);
        if (f_inflight && !(out_valid && f_pos == 0)) assert(mem[f_slot] == f_trk);
        if (f_out && f_out_cnt == f_idx) assert(m_data == f_trk);
    end
    // An offered word stays, unchanged, until taken.
    reg [F_W-1:0] f_last;
    reg f_stall;
    always @(posedge clk) begin
        f_stall <= !rst && m_valid && !m_ready;
        f_last <= m_data;
    end
    always @(*) if (!rst && f_stall) assert(m_valid && m_data == f_last);
`endif
