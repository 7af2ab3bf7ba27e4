//! The register front end of every register block: the AXI4-Lite slave
//! ([`axil_slave`]), the address decode of a [`RegMap`] ([`RegDecode`]), the permission
//! check, the merge of a write's strobed bytes, the response and the masked read data. The
//! protection rules, the project's security boundary, are written here once:
//!
//! * an address that is no register of the map answers DECERR;
//! * a privileged access (AxPROT[0] = 1) is allowed what the map's kernel column says;
//!   user code what its user column says *and* what the block's own user check adds (the
//!   ICT: the entry's owner ASID must be the requesting core's);
//! * a block may refuse an access it cannot carry out (a post to a full queue);
//! * a denied or refused access answers SLVERR, reads as zero and changes nothing.
//!
//! Decode and permission are worked out as a request is accepted and registered for its
//! execution in the next cycle, so no path runs from the bus into the block's logic. A
//! block may stall the execution (a register an engine updates in the same cycle).
//!
//! Building one takes two steps: [`RegSlave::start`] starts the decode (the block may use it
//! to form its user check or stall), [`Decoding::check`] adds the rules; the block then
//! implements its registers through [`RegSlave::dec`], [`write`](RegSlave::write) and
//! [`read`](RegSlave::read) strobes, and ends with [`finish`](RegSlave::finish).

use super::axil_slave::{axil_slave, finish, AxilRequest, DECERR, OKAY, SLVERR};
use crate::bundles::Axil;
use crate::ir::{lit, Expr, HdlErrors, ModuleBuilder, Sig};
use crate::regmap::{RegDecode, RegMap};

/// A request being decoded: the first step of [`RegSlave`].
pub struct Decoding<'a> {
    pub req: AxilRequest,
    pub dec: RegDecode<'a>,
    width: u32,
}

/// What a block adds to the common rules.
#[derive(Default)]
pub struct Rules {
    /// For user code, besides the map's user column: evaluated on the incoming request
    /// (use the decode's `*_incoming` signals).
    pub user_check: Option<Expr>,
    /// The executing request waits while this is high (it is not a bus input).
    pub stall: Option<Expr>,
    /// The block refuses some accesses: it drives [`RegSlave::refused`] during execution.
    pub refusable: bool,
}

/// The register front end (see the module docs).
pub struct RegSlave<'a> {
    pub req: AxilRequest,
    pub dec: RegDecode<'a>,
    /// The address is a register of the map.
    pub known: Sig,
    /// The rules allow the access.
    pub permitted: Sig,
    /// Driven by the block when [`Rules::refusable`]: SLVERR, nothing changes.
    pub refused: Option<Sig>,
    /// The access is carried out: known, permitted and not refused.
    pub ok: Sig,
    /// The request ends this cycle.
    pub finishing: Sig,
    /// An allowed write, or read, ends this cycle: made when first asked for.
    do_write: Option<Sig>,
    do_read: Option<Sig>,
    done: Expr,
    cur: Sig,
    /// `wstrb` widened to one bit per data bit.
    wmask: Sig,
}

impl<'a> RegSlave<'a> {
    /// Builds the handshakes of `s` and starts decoding its requests against `map`.
    pub fn start(m: &mut ModuleBuilder, s: &Axil, map: &'a RegMap) -> Decoding<'a> {
        let req = axil_slave(m, s);
        let inc = &req.incoming;
        let dec = RegDecode::new(m, map, &inc.addr, Some(&inc.accept));
        Decoding {
            req,
            dec,
            width: map.data_width,
        }
    }

    /// An allowed write ends this cycle (`do_write`).
    pub fn do_write(&mut self, m: &mut ModuleBuilder) -> Sig {
        let (w, ok, fin) = (&self.req.write, &self.ok, &self.finishing);
        self.do_write
            .get_or_insert_with(|| m.node("do_write", fin & w & ok))
            .clone()
    }

    /// An allowed read ends this cycle (`do_read`).
    pub fn do_read(&mut self, m: &mut ModuleBuilder) -> Sig {
        let (w, ok, fin) = (&self.req.write, &self.ok, &self.finishing);
        self.do_read
            .get_or_insert_with(|| m.node("do_read", fin & !w & ok))
            .clone()
    }

    /// The write strobe of `block.reg` (`wr_<block>_<reg>`); the block implements the write.
    pub fn write(&mut self, m: &mut ModuleBuilder, block: &str, reg: &str) -> Sig {
        let h = self.dec.write(block, reg);
        let go = self.do_write(m);
        m.node(&strobe_name("wr", block, reg), &go & h)
    }

    /// The read strobe of `block.reg` (`rd_<block>_<reg>`), for reads with side effects.
    pub fn read(&mut self, m: &mut ModuleBuilder, block: &str, reg: &str) -> Sig {
        let h = self.dec.hit(block, reg);
        let go = self.do_read(m);
        m.node(&strobe_name("rd", block, reg), &go & h)
    }

    /// Field `field` of the value a write of `block.reg` stores: the strobed bytes from
    /// the bus, the others from the register's own read value (give that first). Merging
    /// per register keeps the map's read multiplexer off every write path.
    pub fn field(&mut self, block: &str, reg: &str, field: &str) -> Expr {
        let Some((lsb, width)) = self.dec.field_bits(block, reg, field) else {
            return lit(0, 1);
        };
        let old = self.dec.value(block, reg).slice(lsb, width);
        self.merge_bits(&old, lsb)
    }

    /// [`field`](Self::field) over `old`, the field's own storage (a register per
    /// instance needs no multiplexer at all). A register no one may read has no old
    /// value: the bytes a write does not strobe become zero.
    pub fn field_from(&mut self, block: &str, reg: &str, field: &str, old: &Expr) -> Expr {
        let Some((lsb, width)) = self.dec.field_bits(block, reg, field) else {
            return lit(0, 1);
        };
        let old = match self.dec.readable(block, reg) {
            true => old.clone(),
            false => lit(0, width),
        };
        self.merge_bits(&old, lsb)
    }

    /// `old` with the write's strobed bytes merged in, for a block whose registers share
    /// one storage (a table read at the addressed word).
    pub fn merged(&self, old: &Expr) -> Expr {
        self.merge_bits(old, 0)
    }

    /// `old`, bits `lsb..` of a register, with the write's strobed bytes over it.
    fn merge_bits(&self, old: &Expr, lsb: u32) -> Expr {
        let mask = self.wmask.slice(lsb, old.width());
        let new = self.req.wdata.slice(lsb, old.width()) & &mask;
        match old.as_const() {
            Some(b) if b.is_zero() => new,
            _ => (old & !&mask) | new,
        }
    }

    /// The whole value a write of `block.reg` stores, its low `width` bits (see
    /// [`field`](Self::field)).
    pub fn written(&mut self, block: &str, reg: &str, width: u32) -> Expr {
        let old = self.dec.value(block, reg).trunc(width);
        self.merge_bits(&old, 0)
    }

    /// A known access the rules deny ends this cycle (e.g. to raise a fault event).
    pub fn fault(&self, m: &mut ModuleBuilder) -> Sig {
        m.node("fault", &self.finishing & &self.known & !&self.permitted)
    }

    /// Drives the read data from the registers the block gave the decode, and ends each
    /// request with its response. Fails if a register of the map has no RTL.
    pub fn finish(self, m: &mut ModuleBuilder, s: &Axil) -> Result<(), HdlErrors> {
        let rdata = self.dec.finish(m)?;
        m.set(&self.cur, &rdata);
        let ok = &self.ok;
        let resp = self
            .known
            .mux(ok.mux(lit(OKAY, 2), lit(SLVERR, 2)), lit(DECERR, 2));
        finish(m, s, &self.req, &self.done, &resp, &self.cur.clone().into());
        Ok(())
    }
}

impl<'a> Decoding<'a> {
    /// Adds the permission rules; see the module docs.
    pub fn check(self, m: &mut ModuleBuilder, rules: Rules) -> RegSlave<'a> {
        let Decoding { req, dec, width } = self;
        let inc = &req.incoming;
        let rights = |kernel: bool| {
            inc.write.mux(
                dec.allowed_incoming(kernel, true),
                dec.allowed_incoming(kernel, false),
            )
        };
        let by_user = match rules.user_check {
            Some(check) => rights(false) & check,
            None => rights(false),
        };
        let known = m.reg("req_known", 1);
        let permitted = m.reg("req_permitted", 1);
        let allowed = inc.privileged.mux(rights(true), by_user);
        m.when(&inc.accept, |m| {
            m.set(&known, dec.any_hit_incoming());
            m.set(&permitted, allowed);
        });
        m.describe(
            &permitted,
            "The map's table allows the access (for user code, with the block's own check).",
        );
        let cur = m.wire("cur_value", width);
        m.describe(&cur, "The addressed register's value: the read data.");
        let wmask = m.node("req_wmask", req.wstrb.spread(8));
        m.describe(&wmask, "The write strobes, one bit per data bit.");
        m.unused(&wmask);
        let refused = rules.refusable.then(|| {
            let r = m.wire("req_refused", 1);
            m.describe(&r, "The block refuses the access: SLVERR, nothing changes.");
            r
        });
        let ok = match &refused {
            Some(r) => m.node("req_ok", &known & &permitted & !r),
            None => m.node("req_ok", &known & &permitted),
        };
        let (finishing, done) = match rules.stall {
            Some(stall) => {
                let stall = m.node("req_stall", stall);
                m.describe(&stall, "The block holds the request this cycle.");
                let done = m.node("req_done", !&stall);
                (m.node("req_finish", &req.exec & &done), done.into())
            }
            None => (m.node("req_finish", Expr::from(&req.exec)), lit(1, 1)),
        };
        RegSlave {
            req,
            dec,
            known,
            permitted,
            refused,
            ok,
            finishing,
            do_write: None,
            do_read: None,
            done,
            cur,
            wmask,
        }
    }
}

/// `wr_<block>_<reg>` / `rd_<block>_<reg>`, lower case.
fn strobe_name(kind: &str, block: &str, reg: &str) -> String {
    format!("{kind}_{}_{}", block.to_lowercase(), reg.to_lowercase())
}
