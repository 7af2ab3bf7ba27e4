//! AXI4-Lite slave front end for register blocks: one access at a time, in order.
//!
//! A write is taken when `awvalid` and `wvalid` are both high (address and data in the same
//! cycle), a read when `arvalid` is high and no write is offered (writes first). The
//! request is registered; in the next cycle (`incoming.accept`) the block decodes it and
//! registers what it needs (address decode, protection check); from the cycle after, `exec`
//! is high until the block says `done`, which may take any number of cycles (a block stalls
//! by holding `done` low). At `done` the response is registered, so `bvalid`/`rvalid` rise
//! the cycle after; the next request is taken once the response has been accepted. An AR
//! handshake in cycle t thus gives `rvalid` in cycle t+3 when the block is done at once.
//! Every stage starts from registers, so no path runs from the bus inputs into the block.

use crate::bundles::Axil;
use crate::ir::{lit, Expr, ModuleBuilder, Sig};

/// AXI response codes.
pub const OKAY: u64 = 0;
pub const SLVERR: u64 = 2;
pub const DECERR: u64 = 3;

/// The request in its decode cycle (`accept` high for that one cycle): a block decodes and
/// checks it then and registers the result for the execution that starts next cycle.
pub struct Incoming {
    pub accept: Sig,
    pub write: Sig,
    pub addr: Sig,
    pub privileged: Sig,
    pub user: Sig,
}

/// The request being executed (valid while `exec`).
pub struct AxilRequest {
    pub incoming: Incoming,
    pub exec: Sig,
    pub write: Sig,
    pub addr: Sig,
    /// AxPROT[0]: a privileged (kernel) access. AxPROT[2:1] (secure, instruction) are
    /// not used by register blocks.
    pub privileged: Sig,
    pub user: Sig,
    pub wdata: Sig,
    pub wstrb: Sig,
    bvalid: Sig,
    rvalid: Sig,
}

/// Builds the handshakes of slave `s`; the caller decides `done`, `resp` and `rdata` with
/// [`finish`].
pub fn axil_slave(m: &mut ModuleBuilder, s: &Axil) -> AxilRequest {
    let c = s.cfg;
    let decode = m.reg_reset("req_decode", 1, 0);
    m.describe(&decode, "A request is registered and being decoded.");
    let exec = m.reg_reset("req_exec", 1, 0);
    m.describe(&exec, "A decoded request waits for the block to finish it.");
    let write = m.reg("req_write", 1);
    let addr = m.reg("req_addr", c.addr_width);
    let privileged = m.reg("req_privileged", 1);
    m.unused(&s.awprot);
    m.unused(&s.arprot);
    let user = m.reg("req_user", c.user_width.max(1));
    let wdata = m.reg("req_wdata", c.data_width);
    let wstrb = m.reg("req_wstrb", c.data_width / 8);
    let bvalid = m.reg_reset("resp_bvalid", 1, 0);
    let rvalid = m.reg_reset("resp_rvalid", 1, 0);
    let idle = m.node("axil_idle", !&decode & !&exec & !&bvalid & !&rvalid);
    let take_w = m.node("take_write", &idle & &s.awvalid & &s.wvalid);
    let take_r = m.node("take_read", &idle & &s.arvalid & !(&s.awvalid & &s.wvalid));
    let user_of = |u: &Option<Sig>| u.as_ref().map_or_else(|| lit(0, 1), |u| u.into());
    m.when(&take_w | &take_r, |m| {
        m.set(&decode, 1);
        m.set(&write, &take_w);
        m.set(&addr, take_w.mux(&s.awaddr, &s.araddr));
        m.set(&privileged, take_w.mux(s.awprot.bit(0), s.arprot.bit(0)));
        m.set(&user, take_w.mux(user_of(&s.awuser), user_of(&s.aruser)));
    });
    m.when(&take_w, |m| {
        m.set(&wdata, &s.wdata);
        m.set(&wstrb, &s.wstrb);
    });
    m.when(&decode, |m| {
        m.set(&decode, 0);
        m.set(&exec, 1);
    });
    let incoming = Incoming {
        accept: decode.clone(),
        write: write.clone(),
        addr: addr.clone(),
        privileged: privileged.clone(),
        user: user.clone(),
    };
    m.when(&bvalid & &s.bready, |m| m.set(&bvalid, 0));
    m.when(&rvalid & &s.rready, |m| m.set(&rvalid, 0));
    m.set(&s.awready, &take_w);
    m.set(&s.wready, &take_w);
    m.set(&s.arready, &take_r);
    m.set(&s.bvalid, &bvalid);
    m.set(&s.rvalid, &rvalid);
    AxilRequest {
        incoming,
        exec,
        write,
        addr,
        privileged,
        user,
        wdata,
        wstrb,
        bvalid,
        rvalid,
    }
}

/// Ends the request at `done` with `resp` (and `rdata` for a read; the bus sees it only
/// with an OKAY response, zeros otherwise).
pub fn finish(
    m: &mut ModuleBuilder,
    s: &Axil,
    req: &AxilRequest,
    done: &Expr,
    resp: &Expr,
    rdata: &Expr,
) {
    let bresp = m.reg("resp_bresp", 2);
    let rresp = m.reg("resp_rresp", 2);
    let rdata_r = m.reg("resp_rdata", s.cfg.data_width);
    let (bvalid, rvalid) = (&req.bvalid, &req.rvalid);
    m.when(&req.exec & done, |m| {
        m.set(&req.exec, 0);
        m.when(&req.write, |m| {
            m.set(bvalid, 1);
            m.set(&bresp, resp);
        })
        .otherwise(|m| {
            m.set(rvalid, 1);
            m.set(&rresp, resp);
            m.set(&rdata_r, rdata);
        });
    });
    m.set(&s.bresp, &bresp);
    m.set(&s.rresp, &rresp);
    // Only an OKAY read shows data: masked after the register, so the mask is not on the
    // path through the read multiplexer.
    m.set(&s.rdata, rresp.eq(OKAY).repeat(s.cfg.data_width) & &rdata_r);
}
