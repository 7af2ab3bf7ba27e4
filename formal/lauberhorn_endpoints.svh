// Properties of lauberhorn_endpoints_* (hdl/src/lauberhorn/endpoints.rs, the protocol in
// coherence.rs) as hdl/examples/formal_blocks.rs builds it: one core, so endpoints 0
// (user) and 1 (kernel); one AUX line; lines of one beat. scripts/formal.sh pastes this
// file into a copy of the emitted module, just before `endmodule`. Reset is high in the
// first cycle only.
//
// The proof takes the NIC's view: the moment the endpoint queues a message for the core
// (a job: an answer or an INV) is the moment it sends it. The job and output FIFOs after
// it keep order (the FIFO generator is proven in formal/sync_fifo.svh). Per tracked line of
// each endpoint (bit 5 * ep + j; j = 0, 1: CONTROL 0, 1; 2: AUX 0; 3, 4: TX 0, 1) the
// scoreboard keeps what the core can hold by then:
//   f_open    a load of the line received and not yet answered (f_open_x: RD_EXCL);
//   f_granted the line was answered with data (not `err`) and not yet given back by an
//             eviction or by the ACK of an INV (f_shared: granted for RD_SHARED; f_try:
//             the data was a TRYAGAIN line);
//   f_inv     INVs of the line sent and not yet answered (two bits: see the bound at
//             the end).
//
// The core obeys the channel rules of coherence.rs (assumed, A1-A5 below). Proven:
// * one holder per line: the NIC grants a line only to the core whose endpoint it is, and
//   never while taking it back (to be invalidated, or an INV open), nor while the core
//   holds it (but to upgrade a shared copy); every line the core can hold is one the
//   endpoint tracks (held, to invalidate, or INV open); the NIC takes a request's lines
//   back for itself (the slot to the reply path), binds a new slot, or queues a TX buffer
//   to the transmitter only once the core holds none of those lines and no INV of them
//   is open; a TX buffer being sent is never granted as data;
// * every INV is counted: an endpoint's count of unanswered INVs is the number open;
// * answers: an answer only for an outstanding load, at most one per load, every load
//   answered at once or kept outstanding, one job a cycle and never into a full queue;
// * the output channels (n2c, done, tx_send) hold valid and payload until ready.
`ifdef FORMAL
    localparam integer F_L = 5;                     // tracked lines per endpoint
    localparam integer F_N = 2 * F_L;
    reg f_init = 1'b1;
    always @(posedge clk) f_init <= 1'b0;
    always @(*) assume(rst == f_init);

    // A tracked line's bit: 5 * ep + j for page line `idx` of endpoint `ep`.
    function [F_N-1:0] f_bit(input ep, input [4:0] idx);
        f_bit = (idx == 5'd30 ? 10'd8 : idx == 5'd31 ? 10'd16 : 10'd1 << idx) << (ep ? F_L : 0);
    endfunction
    function [F_N-1:0] f_ctrl(input ep, input parity);
        f_ctrl = f_bit(ep, {4'd0, parity});
    endfunction
    function [F_N-1:0] f_tx(input ep, input parity);
        f_tx = f_bit(ep, {4'd15, parity});
    endfunction
    // An endpoint's receive lines (CONTROL, AUX).
    function [F_N-1:0] f_rx(input ep);
        f_rx = ep ? 10'b00111_00000 : 10'b00000_00111;
    endfunction

    // ---- The scoreboard ----
    reg [F_N-1:0] f_open, f_open_x, f_granted, f_shared, f_try;
    reg [2*F_N-1:0] f_inv;                          // two bits a line
    wire [F_N-1:0] f_inv_any;                       // an INV of the line open
    genvar f_g;
    generate
        for (f_g = 0; f_g < F_N; f_g = f_g + 1) begin : f_lines
            assign f_inv_any[f_g] = f_inv[2*f_g +: 2] != 2'd0;
        end
    endgenerate
    wire [F_N-1:0] f_held = {ep1_held, ep0_held};
    wire [F_N-1:0] f_todo = {ep1_todo, ep0_todo};

    // The c2n message taken this cycle: one beat (a line is one beat here), decoded.
    wire f_msg = c2n_valid && c2n_ready;
    wire f_own = c2n_target_ok;                     // a tracked line of the sender's endpoints
    wire [F_N-1:0] f_msg_line = f_own ? f_bit(c2n_ep, c2n_index) : {F_N{1'b0}};
    wire f_load = f_msg && c2n_op <= 3'd1;
    wire f_evict = f_msg && (c2n_op == 3'd2 || c2n_op == 3'd3);
    wire f_ack = f_msg && (c2n_op == 3'd4 || c2n_op == 3'd5);
    wire f_dirty = f_msg && (c2n_op == 3'd3 || c2n_op == 3'd5);

    // What the endpoint queues this cycle (the jobs FIFO's input is these events' mux):
    // an answer to a held load (assignment, TX grant, TRYAGAIN), an INV, or the answer
    // to this cycle's load (from the slot, or `err`).
    wire [F_N-1:0] f_ev_line = do_assign ? f_ctrl(assign_ep, _t0[assign_ep])
        : do_tx_grant ? f_tx(tx_grant_ep, tx_grant_par)
        : do_expire ? (expire_tx ? f_tx(expire_ep, _t1[expire_ep]) : f_ctrl(expire_ep, _t2[expire_ep]))
        : {F_N{1'b0}};
    wire f_ev_answer = do_assign || do_tx_grant || do_expire;
    wire [F_N-1:0] f_inv_line = do_inv ? f_bit(inv_ep, inv_line) : {F_N{1'b0}};
    wire f_now_answer = c2n_job;                    // served or err, this cycle's load
    wire f_now_grant = c2n_job && rd_serve;
    // The line granted this cycle (data, not err) and how.
    wire [F_N-1:0] f_grant = f_ev_answer ? f_ev_line : f_now_grant ? f_msg_line : {F_N{1'b0}};
    wire f_grant_excl = f_ev_answer ? |(f_open_x & f_ev_line) : c2n_op == 3'd1;
    // The line the core gives back this cycle.
    wire [F_N-1:0] f_back = (f_evict || f_ack) ? f_msg_line : {F_N{1'b0}};
    // Loads kept outstanding: held, acknowledging, a held TX load, a doorbell.
    wire f_keep = f_load && (rd_hold || rd_ack || rd_tx_hold || rd_doorbell);

    integer f_i;
    always @(posedge clk) begin
        if (rst) begin
            f_open <= 0;
            f_open_x <= 0;
            f_granted <= 0;
            f_shared <= 0;
            f_try <= 0;
            f_inv <= 0;
        end else begin
            // A load of a tracked line opens; any answer closes it.
            f_open <= (f_open & ~f_ev_line) | (f_keep ? f_msg_line : {F_N{1'b0}});
            f_open_x <= (f_open_x & ~f_ev_line)
                | (f_keep && c2n_op == 3'd1 ? f_msg_line : {F_N{1'b0}});
            // Granted until evicted or invalidated.
            f_granted <= (f_granted & ~f_back) | f_grant;
            f_shared <= (f_shared & ~f_back & ~f_grant) | (f_grant_excl ? {F_N{1'b0}} : f_grant);
            f_try <= (f_try & ~f_back & ~f_grant) | (do_expire ? f_grant : {F_N{1'b0}});
            for (f_i = 0; f_i < F_N; f_i = f_i + 1)
                f_inv[2*f_i +: 2] <= f_inv[2*f_i +: 2] + f_inv_line[f_i] - (f_ack && f_msg_line[f_i]);
        end
    end
    wire [3:0] f_inv_count0 = f_inv[1:0] + f_inv[3:2] + f_inv[5:4] + f_inv[7:6] + f_inv[9:8];
    wire [3:0] f_inv_count1 = f_inv[11:10] + f_inv[13:12] + f_inv[15:14] + f_inv[17:16] + f_inv[19:18];

    // ---- The core (assumptions): the rules of coherence.rs ----
    always @(*) if (!rst) begin
        // A line is one beat, and so is every message.
        assume(c2n_last);
        // A1 (rule 3): a load of its endpoints' lines only for a line the core does not
        // hold and has no load of outstanding, or to upgrade a shared copy (RD_EXCL); a
        // core holding a TRYAGAIN line waits for the INV. Loads of other lines (another
        // core's, none) are free: they are answered `err`.
        if (f_load && f_own) assume(!(f_open & f_msg_line)
            && (!(f_granted & f_msg_line)
                || (c2n_op == 3'd1 && (f_shared & f_msg_line) && !(f_try & f_msg_line))));
        // A2 (rule 3): an eviction only of a line the core holds, not while its own load
        // of it is outstanding; dirty only if held exclusively (a TRYAGAIN is never
        // written).
        if (f_evict && f_own) assume((f_granted & f_msg_line) && !(f_open & f_msg_line));
        // A3 (rule 2): an ACK only to an open INV of its line, with data only if the core
        // still holds the line exclusively.
        if (f_ack && f_own) assume(f_inv_any & f_msg_line);
        if (f_dirty && f_own) assume((f_granted & f_msg_line) && !(f_shared & f_msg_line)
            && !(f_try & f_msg_line));
        // A4: the core sends evictions and ACKs only for its own endpoints' lines (a load
        // of another line is legal, and refused).
        if ((f_evict || f_ack) && !f_own) assume(0);
        // A5: the transmitter hands back only a buffer it was given (queued and not back).
        if (tx_done_valid) assume({ep1_tx_busy, ep0_tx_busy} >> {tx_done_ep, tx_done_buf} & 1'b1);
    end

    // ---- Properties ----
    always @(*) if (!rst) begin
        // One job a cycle, never into a full queue: no answer or INV is lost.
        assert(do_assign + do_tx_grant + do_expire + do_inv + c2n_job <= 1);
        if (do_assign || do_tx_grant || do_expire || do_inv || c2n_job) assert(jobs_s_ready);
        // Every load is answered at once or kept outstanding; a load of a line not the
        // sender's is answered `err`.
        if (f_load) assert(c2n_job != f_keep);
        if (f_load && !f_own) assert(c2n_job && rd_error);
        // An answer to a held load only for an outstanding load (at most one answer each).
        if (f_ev_answer) assert(f_ev_line & f_open);
        // One holder: a grant only while the line is not being taken back, and not held
        // by the core (but to upgrade a shared copy).
        if (f_grant) begin
            assert(!(f_grant & f_todo) && !(f_grant & f_inv_any));
            assert(!(f_grant & f_granted) || (f_grant_excl && (f_grant & f_shared)));
        end
        // Every line the core can hold is tracked: granted, to invalidate, or INV open.
        assert((f_granted & ~(f_held | f_todo | f_inv_any)) == 0);
        // Every INV is counted, and only a line to invalidate is invalidated.
        assert({1'b0, ep0_outst} == f_inv_count0 && {1'b0, ep1_outst} == f_inv_count1);
        if (do_inv) assert((f_inv_line & f_todo) != 0);
        // The NIC takes lines for itself only once the core holds none of them: the slot
        // to the reply path, a new slot bound, a TX buffer to the transmitter.
        if (do_complete) assert(!((f_granted | f_inv_any) & f_rx(complete_ep)));
        if (do_assign) assert(!((f_granted | f_inv_any) & f_rx(assign_ep)));
        if (do_tx_complete)
            assert(!((f_granted | f_inv_any) & f_tx(tx_complete_ep, tx_complete_par)));
        // A TX buffer being sent is never granted as data (only a TRYAGAIN of its line).
        assert(!(f_granted & ~f_try & {ep1_tx_busy, 3'd0, ep0_tx_busy, 3'd0}));
    end

    // ---- Helper invariants for the induction (each holds by the design) ----
    always @(*) if (!rst) begin
        // A load is held only with no slot bound (rd_hold needs !bound; assignment clears
        // `want`); an acknowledgement and a held load exclude each other (each needs the
        // other clear); likewise for TX.
        assert(!(ep0_want && (ep0_bound || ep0_flip)) && !(ep1_want && (ep1_bound || ep1_flip)));
        assert(!(ep0_tx_want && ep0_tx_flip) && !(ep1_tx_want && ep1_tx_flip));
        // The outstanding loads are exactly the held ones: CONTROL `par` (want), the other
        // CONTROL line (the acknowledging load), TX `tx_par` (tx_want), the other TX line
        // (the doorbell); AUX loads are answered at once.
        assert(f_open == (({F_N{ep0_want}} & f_ctrl(0, ep0_par))
            | ({F_N{ep0_flip}} & f_ctrl(0, !ep0_par))
            | ({F_N{ep0_tx_want}} & f_tx(0, ep0_tx_par))
            | ({F_N{ep0_tx_flip}} & f_tx(0, !ep0_tx_par))
            | ({F_N{ep1_want}} & f_ctrl(1, ep1_par))
            | ({F_N{ep1_flip}} & f_ctrl(1, !ep1_par))
            | ({F_N{ep1_tx_want}} & f_tx(1, ep1_tx_par))
            | ({F_N{ep1_tx_flip}} & f_tx(1, !ep1_tx_par))));
        assert((f_open_x & ~f_open) == 0);
        // A load of a line the core holds is an upgrade of a shared copy (A1; the copy
        // stays until answered: no eviction meanwhile, and an ACK ends the holding).
        assert((f_open & f_granted & ~(f_open_x & f_shared & ~f_try)) == 0);
        // Receive lines are granted only from a bound slot before the acknowledgement
        // (rd_serve needs bound and not completing; an acknowledgement moves them to
        // `todo`, and unbinding needs it).
        if (!ep0_bound || ep0_flip) assert((ep0_held & 5'b00111) == 0);
        if (!ep1_bound || ep1_flip) assert((ep1_held & 5'b00111) == 0);
        // The other CONTROL line is never held: slots are served at `par` only, and
        // `par` flips only once the receive lines are back.
        assert(!(f_held & (f_ctrl(0, !ep0_par) | f_ctrl(1, !ep1_par))));
        // A doorbell moved the current TX line from `held` to `todo`, and while it is
        // collected the line is neither granted nor TRYAGAINed (both need no doorbell).
        if (ep0_tx_flip) assert(!(f_held & f_tx(0, ep0_tx_par)));
        if (ep1_tx_flip) assert(!(f_held & f_tx(1, ep1_tx_par)));
        // With a request bound and not acknowledged, no receive line is being taken back:
        // binding needs the endpoint quiet, and only an acknowledgement (which ends this)
        // or a TRYAGAIN (which needs no slot bound) puts receive lines into `todo`.
        if (ep0_bound && !ep0_flip) assert(!((f_todo | f_inv_any) & f_rx(0)));
        if (ep1_bound && !ep1_flip) assert(!((f_todo | f_inv_any) & f_rx(1)));
        // A receive line is never both held and being taken back: it moves from `held`
        // to `todo` (acknowledgement) or goes to `todo` unheld (TRYAGAIN, no slot bound),
        // and a grant needs it quiet.
        assert(!(f_held & (f_todo | f_inv_any) & (f_rx(0) | f_rx(1))));
        // What the scoreboard adds up: shared and TRYAGAIN copies are granted ones.
        assert(((f_shared | f_try) & ~f_granted) == 0);
        // The invalidation picked a cycle ahead is one line still to invalidate (only an
        // invalidation clears a `todo` bit, and it clears `inv_ready`).
        if (inv_ready) begin
            assert(inv_pick == 2'b01 || inv_pick == 2'b10);
            assert(inv_line_onehot != 0 && (inv_line_onehot & (inv_line_onehot - 1'b1)) == 0);
            assert((inv_line_onehot & (inv_pick[1] ? ep1_todo : ep0_todo)) != 0);
        end
        // A TRYAGAIN of a receive line goes straight to `todo`.
        assert(!(f_try & f_held & (f_rx(0) | f_rx(1))));
    end
    // Per line, INVs open + to invalidate + held is at most 1 for a receive line (it
    // moves held -> todo -> INV open -> given back, and is granted only quiet) and 2 for
    // a TX line: a TRYAGAIN (granted quiet) puts the line into `todo` leaving `held` as
    // it was (a shared copy being upgraded), and the doorbell then moves `held` into
    // `todo` again while the first INV may be open. So the counts never wrap.
    generate
        for (f_g = 0; f_g < F_N; f_g = f_g + 1) begin : f_inv_bound
            always @(*) if (!rst)
                assert({1'b0, f_inv[2*f_g +: 2]} + f_todo[f_g] + f_held[f_g] <= (f_g % F_L < 3 ? 1 : 2));
        end
    endgenerate

    // ---- Output channels: valid and payload held until ready ----
    reg f_n2c_stall = 1'b0, f_done_stall = 1'b0, f_send_stall = 1'b0;
    reg [1054:0] f_n2c_last;
    reg [3:0] f_done_last;
    reg [1:0] f_send_last;
    wire [1054:0] f_n2c_now = {n2c_op, n2c_line, n2c_id, n2c_err, n2c_last, n2c_data};
    wire [3:0] f_done_now = {done_ep, done_slot, done_wrote};
    wire [1:0] f_send_now = {tx_send_ep, tx_send_buf};
    always @(posedge clk) begin
        f_n2c_stall <= !rst && n2c_valid && !n2c_ready;
        f_done_stall <= !rst && done_valid && !done_ready;
        f_send_stall <= !rst && tx_send_valid && !tx_send_ready;
        f_n2c_last <= f_n2c_now;
        f_done_last <= f_done_now;
        f_send_last <= f_send_now;
    end
    always @(*) if (!rst) begin
        if (f_n2c_stall) assert(n2c_valid && f_n2c_now == f_n2c_last);
        if (f_done_stall) assert(done_valid && f_done_now == f_done_last);
        if (f_send_stall) assert(tx_send_valid && f_send_now == f_send_last);
    end
`endif
