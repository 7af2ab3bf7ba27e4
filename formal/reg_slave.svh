// Properties of the register front end (hdl/src/blocks/reg_slave.rs, axil_slave.rs) as
// reg_slave_probe (hdl/examples/formal_blocks.rs) builds it: registers A (0x00: kernel,
// and user code whose AxUSER is 1), B (0x08: kernel), C (0x10: read-only), no register at
// 0x18; inputs `stall` and `refuse`. scripts/formal.sh pastes this file into a copy of the
// emitted module, just before `endmodule`. Reset is high in the first cycle only.
//
// The master obeys AXI4-Lite (assumed): no VALID in reset, VALID held until READY with the
// payload stable, AW and W offered independently. Proven: AW and W are taken together;
// every request gets exactly one response, on its own channel, within two unstalled cycles,
// and none comes without one; a response is held with its payload until taken; the
// response is DECERR for no register, SLVERR for an access the map or the user check
// denies or the block refuses, OKAY otherwise; a register changes only by an OKAY write to
// it, to the strobed bytes of the written data; an OKAY read returns the addressed
// register, any other response reads as zero.
`ifdef FORMAL
    reg f_init = 1'b1;
    reg f_run = 1'b0;                   // a cycle after reset has passed
    always @(posedge clk) begin
        f_init <= 1'b0;
        f_run <= !rst;
    end
    always @(*) assume(rst == f_init);

    // ---- The master (assumptions) ----
    reg f_aw_wait, f_w_wait, f_ar_wait;
    reg [4:0] f_aw_addr, f_ar_addr;
    reg [2:0] f_aw_prot, f_ar_prot;
    reg f_aw_user, f_ar_user;
    reg [63:0] f_w_data;
    reg [7:0] f_w_strb;
    always @(posedge clk) begin
        f_aw_wait <= !rst && s_axil_awvalid && !s_axil_awready;
        f_w_wait <= !rst && s_axil_wvalid && !s_axil_wready;
        f_ar_wait <= !rst && s_axil_arvalid && !s_axil_arready;
        {f_aw_addr, f_aw_prot, f_aw_user} <= {s_axil_awaddr, s_axil_awprot, s_axil_awuser};
        {f_ar_addr, f_ar_prot, f_ar_user} <= {s_axil_araddr, s_axil_arprot, s_axil_aruser};
        {f_w_data, f_w_strb} <= {s_axil_wdata, s_axil_wstrb};
    end
    always @(*) begin
        if (rst) assume(!s_axil_awvalid && !s_axil_wvalid && !s_axil_arvalid);
        if (f_aw_wait) assume(s_axil_awvalid
            && {s_axil_awaddr, s_axil_awprot, s_axil_awuser} == {f_aw_addr, f_aw_prot, f_aw_user});
        if (f_w_wait) assume(s_axil_wvalid && {s_axil_wdata, s_axil_wstrb} == {f_w_data, f_w_strb});
        if (f_ar_wait) assume(s_axil_arvalid
            && {s_axil_araddr, s_axil_arprot, s_axil_aruser} == {f_ar_addr, f_ar_prot, f_ar_user});
    end

    // ---- The request in flight, as the bus gave it ----
    wire f_aw = s_axil_awvalid && s_axil_awready;
    wire f_w = s_axil_wvalid && s_axil_wready;
    wire f_ar = s_axil_arvalid && s_axil_arready;
    wire f_b = s_axil_bvalid && s_axil_bready;
    wire f_r = s_axil_rvalid && s_axil_rready;
    reg [1:0] f_wo, f_ro;               // writes, reads accepted and not yet answered
    reg [1:0] f_age;                    // unstalled cycles the request has waited
    reg f_write, f_priv, f_user;
    reg [4:0] f_addr;
    reg [63:0] f_data;
    reg [7:0] f_strb;
    always @(posedge clk) begin
        if (rst) begin
            f_wo <= 2'd0;
            f_ro <= 2'd0;
        end else begin
            f_wo <= f_wo + f_aw - f_b;
            f_ro <= f_ro + f_ar - f_r;
        end
        if (f_aw || f_ar) f_age <= 2'd0;
        else if ((f_wo != 0 || f_ro != 0) && !s_axil_bvalid && !s_axil_rvalid && !stall)
            f_age <= f_age + 2'd1;
        if (f_aw || f_ar) begin
            f_write <= f_aw;
            f_addr <= f_aw ? s_axil_awaddr : s_axil_araddr;
            f_priv <= f_aw ? s_axil_awprot[0] : s_axil_arprot[0];
            f_user <= f_aw ? s_axil_awuser : s_axil_aruser;
        end
        if (f_aw) {f_data, f_strb} <= {s_axil_wdata, s_axil_wstrb};
    end
    // What the map and the user check allow the request in flight.
    wire [1:0] f_reg = f_addr[4:3];
    wire f_known = f_reg != 2'd3;
    wire f_allowed = f_priv
        ? (f_write ? f_reg <= 2'd1 : f_known)
        : f_user && (f_write ? f_reg == 2'd0 : (f_reg == 2'd0 || f_reg == 2'd2));
    wire [63:0] f_mask;
    genvar f_i;
    for (f_i = 0; f_i < 8; f_i = f_i + 1) assign f_mask[8*f_i +: 8] = {8{f_strb[f_i]}};

    // ---- Last cycle's outputs ----
    reg f_b_wait, f_r_wait, f_bv, f_rv, f_refuse, f_stall;
    reg [1:0] f_bresp, f_rresp;
    reg [63:0] f_rdata, f_a, f_bval;
    always @(posedge clk) begin
        f_b_wait <= !rst && s_axil_bvalid && !s_axil_bready;
        f_r_wait <= !rst && s_axil_rvalid && !s_axil_rready;
        f_bv <= !rst && s_axil_bvalid;
        f_rv <= !rst && s_axil_rvalid;
        f_refuse <= refuse;
        f_stall <= stall;
        {f_bresp, f_rresp, f_rdata} <= {s_axil_bresp, s_axil_rresp, s_axil_rdata};
        {f_a, f_bval} <= {a_value, b_value};
    end
    wire f_new_b = s_axil_bvalid && !f_b_wait;
    wire f_new_r = s_axil_rvalid && !f_r_wait;
    wire [1:0] f_resp = !f_known ? 2'd3 : (!f_allowed || f_refuse) ? 2'd2 : 2'd0;

    always @(*) if (!rst) begin
        // AW and W are taken together, only when offered; a read only when offered.
        assert(s_axil_awready == s_axil_wready);
        if (s_axil_awready) assert(s_axil_awvalid && s_axil_wvalid);
        if (s_axil_arready) assert(s_axil_arvalid);
        // One request at a time, answered once on its own channel, none unasked.
        assert(f_wo + f_ro <= 2'd1);
        if (s_axil_bvalid) assert(f_wo == 2'd1);
        if (s_axil_rvalid) assert(f_ro == 2'd1);
        if (f_wo != 0 || f_ro != 0) assert(f_age <= 2'd2);
        // A response is held, unchanged, until taken.
        if (f_b_wait) assert(s_axil_bvalid && s_axil_bresp == f_bresp);
        if (f_r_wait) assert(s_axil_rvalid && s_axil_rresp == f_rresp && s_axil_rdata == f_rdata);
        // A request ends only in an unstalled cycle, with the response the rules give.
        if (f_new_b) assert(!f_stall && !f_bv && s_axil_bresp == f_resp);
        if (f_new_r) assert(!f_stall && !f_rv && s_axil_rresp == f_resp);
        // A register changes only by an OKAY write to it: the strobed bytes, written.
        if (f_run && a_value != f_a || (f_new_b && s_axil_bresp == 2'd0 && f_reg == 2'd0))
            assert(f_new_b && s_axil_bresp == 2'd0 && f_reg == 2'd0
                && a_value == ((f_a & ~f_mask) | (f_data & f_mask)));
        if (f_run && b_value != f_bval || (f_new_b && s_axil_bresp == 2'd0 && f_reg == 2'd1))
            assert(f_new_b && s_axil_bresp == 2'd0 && f_reg == 2'd1
                && b_value == ((f_bval & ~f_mask) | (f_data & f_mask)));
        // An OKAY read returns the register, any other reads as zero.
        if (f_new_r) assert(s_axil_rdata == (s_axil_rresp != 2'd0 ? 64'd0
            : f_reg == 2'd0 ? a_value : f_reg == 2'd1 ? b_value : 64'h600d_c0de));

        // Invariants for the induction: the pipeline holds the request in flight.
        assert(!(req_decode && req_exec));
        assert((f_wo != 0) == ((req_decode || req_exec) && req_write || resp_bvalid));
        assert((f_ro != 0) == ((req_decode || req_exec) && !req_write || resp_rvalid));
        if (req_decode || req_exec) assert(!resp_bvalid && !resp_rvalid
            && req_write == f_write && req_addr == f_addr && req_privileged == f_priv
            && req_user == f_user);
        if ((req_decode || req_exec) && req_write) assert(req_wdata == f_data && req_wstrb == f_strb);
        if (req_decode) assert(f_age == 2'd0);
        if (req_exec) assert(f_age <= 2'd1 && req_known == f_known && req_permitted == f_allowed
            && dec_p_a == (f_reg == 2'd0) && dec_p_b == (f_reg == 2'd1) && dec_p_c == (f_reg == 2'd2));
        if (f_b_wait || f_r_wait) assert(f_bv || f_rv);
    end
`endif
