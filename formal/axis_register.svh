// Properties of axis_register_* (hdl/src/blocks/axis_register.rs). scripts/formal.sh pastes
// this file into a copy of the emitted module, just before `endmodule`, so it can name the
// module's registers (yosys 0.23 without Verific has no `bind` and no hierarchical names).
// Scoreboard: beats in and out are counted; one nondeterministic beat (index f_idx) is
// tracked from input to output. Reset is high in the first cycle only.
`ifdef FORMAL
    localparam integer F_W = $bits(out_payload);
    reg f_init = 1'b1;
    always @(posedge clk) f_init <= 1'b0;
    always @(*) assume(rst == f_init);

    wire f_in = s_axis_tvalid & s_axis_tready;
    wire f_out = m_axis_tvalid & m_axis_tready;
    wire [F_W-1:0] f_in_beat = {s_axis_tlast, s_axis_tkeep, s_axis_tdata};
    wire [F_W-1:0] f_out_beat = {m_axis_tlast, m_axis_tkeep, m_axis_tdata};
    reg [3:0] f_in_cnt, f_out_cnt;
    (* anyconst *) reg [3:0] f_idx;
    reg [F_W-1:0] f_trk;
    always @(posedge clk) begin
        if (rst) begin
            f_in_cnt <= 4'd0;
            f_out_cnt <= 4'd0;
        end else begin
            f_in_cnt <= f_in_cnt + f_in;
            f_out_cnt <= f_out_cnt + f_out;
        end
        if (!rst && f_in && f_in_cnt == f_idx) f_trk <= f_in_beat;
    end
    wire [3:0] f_held = f_in_cnt - f_out_cnt;
    wire [3:0] f_pos = f_idx - f_out_cnt;      // the tracked beat's place in the slice
    wire f_inflight = f_pos < f_held;
    always @(*) if (!rst) begin
        // Beats held = beats in - beats out: none lost, none duplicated, none invented.
        assert(f_held == {3'd0, out_valid} + {3'd0, skid_valid});
        assert(!skid_valid || out_valid);
        // The tracked beat sits where order says it must, unchanged.
        if (f_inflight && f_pos == 4'd0) assert(out_valid && out_payload == f_trk);
        if (f_inflight && f_pos == 4'd1) assert(skid_valid && skid_payload == f_trk);
        if (f_out && f_out_cnt == f_idx) assert(f_out_beat == f_trk);
    end
    // An offered beat stays, unchanged, until taken.
    reg [F_W-1:0] f_last_beat;
    reg f_stall;
    always @(posedge clk) begin
        f_stall <= !rst && m_axis_tvalid && !m_axis_tready;
        f_last_beat <= f_out_beat;
    end
    always @(*) if (!rst && f_stall) assert(m_axis_tvalid && f_out_beat == f_last_beat);
`endif
