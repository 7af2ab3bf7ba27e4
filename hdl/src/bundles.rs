//! Interface bundles, declared once and used by every block: AXI4-Stream, AXI4-Lite and
//! AXI4. Port names follow the AMBA conventions (`s_axis_tdata`, `m_axi_awaddr`, ...) so
//! Vivado infers the interfaces.

use crate::ir::{cat, Expr, GroupType, HdlErrors, Inst, ModuleBuilder, PortDir, Sig};

/// Which side of a bundle a module is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Receives the forward signals (`s_` prefix by convention).
    Sink,
    /// Drives the forward signals (`m_` prefix by convention).
    Source,
}

/// A field of a bundle: forward fields flow from source to sink, the others back.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    width: u32,
    forward: bool,
}

fn declare(m: &mut ModuleBuilder, prefix: &str, side: Side, f: Field) -> Sig {
    let dir = match (side, f.forward) {
        (Side::Sink, true) | (Side::Source, false) => PortDir::In,
        _ => PortDir::Out,
    };
    m.group_port(prefix, f.name, f.width, dir)
}

/// Declares a group of ports that travels together between two blocks (a lookup and
/// its result, an update port, an event source) as a struct generic over what its fields
/// hold: `Group<u32>` holds the widths (which may depend on the configuration), and its
/// methods declare one side's ports as a `Group<Sig>` or wire two instances' groups with
/// one call. Fields are `forward` (driven by the source side) or `backward`. Ports are
/// named `<prefix>_<field>`.
///
/// The type also describes itself ([`PortGroup`]: `PREFIX`, `PATH`, `FIELDS`), and every
/// port it declares records it ([`crate::ir::Port::group_type`]), so the Verilator bridge
/// gives testbenches a typed view of the group. Ports declared by hand (to keep a
/// module's port order) are recognised as the group with `Group::mark(m, side)`, which
/// also checks them against the fields.
///
/// ```
/// use hdl::bundles::{PortGroup, Side};
/// use hdl::ir::{ModuleBuilder, PortDir, Sig};
/// hdl::port_group! {
///     /// A lookup request.
///     pub struct Lookup = "lookup" { valid: forward, ip: forward, port: forward }
/// }
/// let mut m = ModuleBuilder::new("table");
/// let widths = Lookup { valid: 1, ip: 32, port: 16 };
/// let req: Lookup<Sig> = widths.sink(&mut m); // lookup_valid, lookup_ip, lookup_port
/// assert_eq!(req.ip.width(), 32);
/// assert_eq!(Lookup::PREFIX, "lookup");
/// assert_eq!(Lookup::FIELDS[1].name, "ip");
/// // In a parent: Lookup::connect(&mut m, engine, table) wires the engine's outputs
/// // into the table's inputs.
///
/// let mut m = ModuleBuilder::new("engine");
/// let ip = m.group_port("lookup", "ip", 32, PortDir::Out);
/// let valid = m.group_port("lookup", "valid", 1, PortDir::Out);
/// let port = m.group_port("lookup", "port", 16, PortDir::Out);
/// Lookup::mark(&mut m, Side::Source); // these ports are a `Lookup`, source side
/// ```
#[macro_export]
macro_rules! port_group {
    ($(#[$meta:meta])* $vis:vis struct $name:ident = $prefix:literal {
        $($(#[$fmeta:meta])* $field:ident: $flow:ident),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        $vis struct $name<T> {
            $($(#[$fmeta])* pub $field: T,)*
        }

        impl $crate::bundles::PortGroup for $name<u32> {
            const NAME: &'static str = stringify!($name);
            const PREFIX: &'static str = $prefix;
            const PATH: &'static str = concat!(module_path!(), "::", stringify!($name));
            const FIELDS: &'static [$crate::bundles::GroupField] = &[$(
                $crate::bundles::GroupField {
                    name: stringify!($field),
                    forward: $crate::port_group!(@forward $flow),
                },
            )*];

            fn widths(&self) -> ::std::vec::Vec<u32> {
                ::std::vec![$(self.$field),*]
            }
        }

        impl $name<u32> {
            /// The ports of the side that drives the forward fields.
            pub fn source(&self, m: &mut $crate::ir::ModuleBuilder) -> $name<$crate::ir::Sig> {
                self.declare(m, $crate::bundles::Side::Source)
            }

            /// The ports of the side that receives the forward fields.
            pub fn sink(&self, m: &mut $crate::ir::ModuleBuilder) -> $name<$crate::ir::Sig> {
                self.declare(m, $crate::bundles::Side::Sink)
            }

            fn declare(
                &self,
                m: &mut $crate::ir::ModuleBuilder,
                side: $crate::bundles::Side,
            ) -> $name<$crate::ir::Sig> {
                let sigs = $name {
                    $($field: $crate::bundles::group_port(
                        m, $prefix, stringify!($field), self.$field,
                        $crate::port_group!(@forward $flow), side,
                    ),)*
                };
                <Self as $crate::bundles::PortGroup>::mark(m, side);
                sigs
            }

            /// Records that the module's ports `<prefix>_*`, declared by hand, are this
            /// group's `side`; a missing, extra or wrongly directed port is an error of the
            /// module.
            pub fn mark(m: &mut $crate::ir::ModuleBuilder, side: $crate::bundles::Side) {
                <Self as $crate::bundles::PortGroup>::mark(m, side)
            }

            /// [`mark`](Self::mark) for a bundle that also has the fields `extra` (name,
            /// forward) of its own, which the group's `connect` leaves to its module.
            pub fn mark_with(
                m: &mut $crate::ir::ModuleBuilder,
                side: $crate::bundles::Side,
                extra: &[(&str, bool)],
            ) {
                <Self as $crate::bundles::PortGroup>::mark_with(m, side, extra)
            }

            /// Wires the group of instance `source` to that of instance `sink`.
            pub fn connect(
                m: &mut $crate::ir::ModuleBuilder,
                source: $crate::ir::Inst,
                sink: $crate::ir::Inst,
            ) {
                $($crate::bundles::group_wire(
                    m, $prefix, stringify!($field),
                    $crate::port_group!(@forward $flow), source, sink,
                );)*
            }
        }
    };
    (@forward forward) => { true };
    (@forward backward) => { false };
}

/// One field of a [`port_group!`]: its name, and whether the source side drives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupField {
    pub name: &'static str,
    pub forward: bool,
}

/// What a [`port_group!`] type says about itself (implemented by `Group<u32>`).
pub trait PortGroup {
    /// The type's name, e.g. `IctLookup`.
    const NAME: &'static str;
    /// The ports' prefix: field `f` is port `<PREFIX>_<f>`.
    const PREFIX: &'static str;
    /// The type's Rust path, e.g. `hdl::accio::ict::IctLookup`.
    const PATH: &'static str;
    /// The fields in declaration order.
    const FIELDS: &'static [GroupField];

    /// The fields' widths, in the order of [`FIELDS`](Self::FIELDS).
    fn widths(&self) -> Vec<u32>;

    /// This type on `side`.
    fn group_type(side: Side) -> GroupType {
        GroupType {
            name: Self::NAME,
            path: Self::PATH,
            side,
        }
    }

    /// Checks the module's ports `<PREFIX>_*` against the fields and records them as this
    /// group's `side` (see [`ModuleBuilder::mark_group`]).
    fn mark(m: &mut ModuleBuilder, side: Side) {
        Self::mark_with(m, side, &[]);
    }

    /// [`mark`](Self::mark) for a bundle with fields of its own besides the group's:
    /// `extra` (name, forward).
    fn mark_with(m: &mut ModuleBuilder, side: Side, extra: &[(&str, bool)]) {
        let mut fields: Vec<(&str, bool)> =
            Self::FIELDS.iter().map(|f| (f.name, f.forward)).collect();
        fields.extend_from_slice(extra);
        m.mark_group(Self::PREFIX, Self::group_type(side), &fields);
    }
}

/// A port of a [`port_group!`]: an input or output as the side and the field's flow say.
pub fn group_port(
    m: &mut ModuleBuilder,
    prefix: &str,
    name: &'static str,
    width: u32,
    forward: bool,
    side: Side,
) -> Sig {
    let f = Field {
        name,
        width,
        forward,
    };
    declare(m, prefix, side, f)
}

/// One field of a [`port_group!`] wired from the instance that drives it to the other.
pub fn group_wire(
    m: &mut ModuleBuilder,
    prefix: &str,
    name: &str,
    forward: bool,
    source: Inst,
    sink: Inst,
) {
    let (from, to) = if forward {
        (source, sink)
    } else {
        (sink, source)
    };
    let port = format!("{prefix}_{name}");
    let v = m.inst_output(from, &port);
    m.connect(to, &port, &v);
}

/// The port declarer of one bundle: `f(name, width, forward)`. Bundles that belong to one
/// design are declared beside it with this.
pub(crate) fn declarer<'a>(
    m: &'a mut ModuleBuilder,
    prefix: &'a str,
    side: Side,
) -> impl FnMut(&'static str, u32, bool) -> Sig + 'a {
    move |name, width, forward| {
        declare(
            m,
            prefix,
            side,
            Field {
                name,
                width,
                forward,
            },
        )
    }
}

/// AXI4-Stream parameters: `tkeep` has a bit per byte of `tdata`; `tuser` carries the
/// "bad frame" flag on network streams (width 0 = no `tuser`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AxisCfg {
    pub data_width: u32,
    pub user_width: u32,
}

impl AxisCfg {
    /// A network stream: `data_width` bits and a 1-bit bad-frame `tuser`.
    pub fn net(data_width: u32) -> Self {
        AxisCfg {
            data_width,
            user_width: 1,
        }
    }

    pub fn keep_width(&self) -> u32 {
        self.data_width / 8
    }

    /// Width of `{tuser, tlast, tkeep, tdata}` packed together.
    pub fn payload_width(&self) -> u32 {
        self.data_width + self.keep_width() + 1 + self.user_width
    }

    /// The part of a module name that identifies these parameters, e.g. `w512u1`.
    pub fn tag(&self) -> String {
        format!("w{}u{}", self.data_width, self.user_width)
    }

    /// The NIC data paths' widths: 64, 128, 256 or 512 bits.
    pub fn validate_nic_width(module: &str, data_width: u32) -> Result<(), HdlErrors> {
        if [64, 128, 256, 512].contains(&data_width) {
            Ok(())
        } else {
            Err(HdlErrors::param(
                module,
                format!("data width {data_width} is not 64, 128, 256 or 512"),
            ))
        }
    }

    /// Rejects widths that cannot form a stream (data must be whole bytes).
    pub fn validate(&self, module: &str) -> Result<(), HdlErrors> {
        if self.data_width == 0 || !self.data_width.is_multiple_of(8) {
            return Err(HdlErrors::param(
                module,
                format!(
                    "AXI-Stream data width {} is not a positive multiple of 8",
                    self.data_width
                ),
            ));
        }
        Ok(())
    }
}

/// An AXI4-Stream interface as seen from inside one module.
#[derive(Clone, Debug)]
pub struct Axis {
    pub cfg: AxisCfg,
    pub tdata: Sig,
    pub tkeep: Sig,
    pub tvalid: Sig,
    pub tready: Sig,
    pub tlast: Sig,
    pub tuser: Option<Sig>,
}

impl Axis {
    fn fields(cfg: AxisCfg) -> Vec<Field> {
        let mut f = vec![
            Field {
                name: "tdata",
                width: cfg.data_width,
                forward: true,
            },
            Field {
                name: "tkeep",
                width: cfg.keep_width(),
                forward: true,
            },
            Field {
                name: "tvalid",
                width: 1,
                forward: true,
            },
            Field {
                name: "tready",
                width: 1,
                forward: false,
            },
            Field {
                name: "tlast",
                width: 1,
                forward: true,
            },
        ];
        if cfg.user_width > 0 {
            f.push(Field {
                name: "tuser",
                width: cfg.user_width,
                forward: true,
            });
        }
        f
    }

    fn build(cfg: AxisCfg, mut mk: impl FnMut(&Field) -> Sig) -> Axis {
        let mut sigs = Self::fields(cfg)
            .iter()
            .map(&mut mk)
            .collect::<Vec<_>>()
            .into_iter();
        let mut next = || sigs.next().unwrap();
        Axis {
            cfg,
            tdata: next(),
            tkeep: next(),
            tvalid: next(),
            tready: next(),
            tlast: next(),
            tuser: (cfg.user_width > 0).then(next),
        }
    }

    /// Ports of a stream this module receives.
    pub fn sink(m: &mut ModuleBuilder, prefix: &str, cfg: AxisCfg) -> Axis {
        let s = Self::build(cfg, |f| declare(m, prefix, Side::Sink, *f));
        m.set_group_type(prefix, Self::group_type(Side::Sink));
        s
    }

    /// Ports of a stream this module sends.
    pub fn source(m: &mut ModuleBuilder, prefix: &str, cfg: AxisCfg) -> Axis {
        let s = Self::build(cfg, |f| declare(m, prefix, Side::Source, *f));
        m.set_group_type(prefix, Self::group_type(Side::Source));
        s
    }

    /// The stream's group type on `side` (its `tuser` is optional, so it is no
    /// [`port_group!`]).
    pub fn group_type(side: Side) -> GroupType {
        GroupType {
            name: "Axis",
            path: "hdl::bundles::Axis",
            side,
        }
    }

    /// Internal wires `{prefix}_tdata`, ... for a stream between two instances.
    pub fn wires(m: &mut ModuleBuilder, prefix: &str, cfg: AxisCfg) -> Axis {
        Self::build(cfg, |f| m.wire(&format!("{prefix}_{}", f.name), f.width))
    }

    /// The instance's stream `{prefix}_*`: its outputs as signals here.
    pub fn of_instance(inst: Inst, prefix: &str, cfg: AxisCfg) -> InstAxis {
        InstAxis {
            inst,
            prefix: prefix.to_string(),
            cfg,
        }
    }

    /// `{tuser, tlast, tkeep, tdata}`: everything that travels with a beat.
    pub fn payload(&self) -> Expr {
        let mut parts: Vec<Expr> = Vec::new();
        if let Some(u) = &self.tuser {
            parts.push(u.into());
        }
        parts.extend([
            (&self.tlast).into(),
            (&self.tkeep).into(),
            (&self.tdata).into(),
        ]);
        cat(parts)
    }

    /// Drives this stream's forward signals (a source) from a packed payload and a valid.
    pub fn drive(&self, m: &mut ModuleBuilder, valid: impl Into<Expr>, payload: &Expr) {
        let c = self.cfg;
        m.set(&self.tvalid, valid.into());
        m.set(&self.tdata, payload.slice(0, c.data_width));
        m.set(&self.tkeep, payload.slice(c.data_width, c.keep_width()));
        m.set(&self.tlast, payload.bit(c.data_width + c.keep_width()));
        if let Some(u) = &self.tuser {
            m.set(
                u,
                payload.slice(c.data_width + c.keep_width() + 1, c.user_width),
            );
        }
    }

    /// A valid & ready handshake this cycle.
    pub fn fire(&self) -> Expr {
        &self.tvalid & &self.tready
    }
}

/// Connection helper for a stream port of an instance (see [`Axis::of_instance`]).
pub struct InstAxis {
    inst: Inst,
    prefix: String,
    cfg: AxisCfg,
}

impl InstAxis {
    /// Feeds `src` into this instance's sink stream; `src.tready` is driven from it.
    pub fn connect_sink(&self, m: &mut ModuleBuilder, src: &Axis) {
        let p = &self.prefix;
        m.connect(self.inst, &format!("{p}_tdata"), &src.tdata);
        m.connect(self.inst, &format!("{p}_tkeep"), &src.tkeep);
        m.connect(self.inst, &format!("{p}_tvalid"), &src.tvalid);
        m.connect(self.inst, &format!("{p}_tlast"), &src.tlast);
        if let Some(u) = &src.tuser {
            m.connect(self.inst, &format!("{p}_tuser"), u);
        }
        let ready = m.inst_output(self.inst, &format!("{p}_tready"));
        m.set(&src.tready, &ready);
    }

    /// Feeds this instance's source stream into instance stream `to` (a sink).
    pub fn feed(&self, m: &mut ModuleBuilder, to: &InstAxis) {
        let (p, q) = (&self.prefix, &to.prefix);
        let mut fields = vec!["tdata", "tkeep", "tvalid", "tlast"];
        if self.cfg.user_width > 0 {
            fields.push("tuser");
        }
        for f in fields {
            let v = m.inst_output(self.inst, &format!("{p}_{f}"));
            m.connect(to.inst, &format!("{q}_{f}"), &v);
        }
        let ready = m.inst_output(to.inst, &format!("{q}_tready"));
        m.connect(self.inst, &format!("{p}_tready"), &ready);
    }

    /// This instance's source stream, with `tready` driven by `ready`.
    pub fn source(&self, m: &mut ModuleBuilder, ready: impl Into<Expr>) -> (Expr, Expr) {
        let p = &self.prefix;
        m.connect(self.inst, &format!("{p}_tready"), ready.into());
        let c = self.cfg;
        let mut parts: Vec<Expr> = Vec::new();
        if c.user_width > 0 {
            parts.push(m.inst_output(self.inst, &format!("{p}_tuser")).into());
        }
        for f in ["tlast", "tkeep", "tdata"] {
            parts.push(m.inst_output(self.inst, &format!("{p}_{f}")).into());
        }
        let valid = m.inst_output(self.inst, &format!("{p}_tvalid")).into();
        (valid, cat(parts))
    }
}

/// AXI4-Lite parameters. `user_width` adds `awuser`/`aruser` carrying the requesting core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AxilCfg {
    pub addr_width: u32,
    pub data_width: u32,
    pub user_width: u32,
}

impl AxilCfg {
    /// The slave port of register map `map`: its address and data widths, with
    /// `user_width` bits of AxUSER (the requesting core, where the block checks it).
    pub fn for_map(map: &crate::regmap::RegMap, user_width: u32) -> Self {
        AxilCfg {
            addr_width: map.addr_width(),
            data_width: map.data_width,
            user_width,
        }
    }
}

/// An AXI4-Lite interface (five channels). Names: `{prefix}_awaddr`, ...
#[derive(Clone, Debug)]
pub struct Axil {
    pub cfg: AxilCfg,
    pub awaddr: Sig,
    pub awprot: Sig,
    pub awuser: Option<Sig>,
    pub awvalid: Sig,
    pub awready: Sig,
    pub wdata: Sig,
    pub wstrb: Sig,
    pub wvalid: Sig,
    pub wready: Sig,
    pub bresp: Sig,
    pub bvalid: Sig,
    pub bready: Sig,
    pub araddr: Sig,
    pub arprot: Sig,
    pub aruser: Option<Sig>,
    pub arvalid: Sig,
    pub arready: Sig,
    pub rdata: Sig,
    pub rresp: Sig,
    pub rvalid: Sig,
    pub rready: Sig,
}

impl Axil {
    /// Ports of an AXI4-Lite interface on the given side (`Sink` = slave).
    pub fn new(m: &mut ModuleBuilder, prefix: &str, side: Side, cfg: AxilCfg) -> Axil {
        let (a, d, u) = (cfg.addr_width, cfg.data_width, cfg.user_width);
        let mut f = declarer(m, prefix, side);
        Axil {
            cfg,
            awaddr: f("awaddr", a, true),
            awprot: f("awprot", 3, true),
            awuser: (u > 0).then(|| f("awuser", u, true)),
            awvalid: f("awvalid", 1, true),
            awready: f("awready", 1, false),
            wdata: f("wdata", d, true),
            wstrb: f("wstrb", d / 8, true),
            wvalid: f("wvalid", 1, true),
            wready: f("wready", 1, false),
            bresp: f("bresp", 2, false),
            bvalid: f("bvalid", 1, false),
            bready: f("bready", 1, true),
            araddr: f("araddr", a, true),
            arprot: f("arprot", 3, true),
            aruser: (u > 0).then(|| f("aruser", u, true)),
            arvalid: f("arvalid", 1, true),
            arready: f("arready", 1, false),
            rdata: f("rdata", d, false),
            rresp: f("rresp", 2, false),
            rvalid: f("rvalid", 1, false),
            rready: f("rready", 1, true),
        }
    }
}

/// AXI4 (full) parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AxiCfg {
    pub addr_width: u32,
    pub data_width: u32,
    pub id_width: u32,
}

/// The address channel of AXI4 (AW or AR).
#[derive(Clone, Debug)]
pub struct AxiAddr {
    pub id: Sig,
    pub addr: Sig,
    pub len: Sig,
    pub size: Sig,
    pub burst: Sig,
    pub cache: Sig,
    pub prot: Sig,
    pub valid: Sig,
    pub ready: Sig,
}

/// AXI4 write data channel.
#[derive(Clone, Debug)]
pub struct AxiW {
    pub data: Sig,
    pub strb: Sig,
    pub last: Sig,
    pub valid: Sig,
    pub ready: Sig,
}

/// AXI4 write response channel.
#[derive(Clone, Debug)]
pub struct AxiB {
    pub id: Sig,
    pub resp: Sig,
    pub valid: Sig,
    pub ready: Sig,
}

/// AXI4 read data channel.
#[derive(Clone, Debug)]
pub struct AxiR {
    pub id: Sig,
    pub data: Sig,
    pub resp: Sig,
    pub last: Sig,
    pub valid: Sig,
    pub ready: Sig,
}

/// A full AXI4 interface; `Source` = master (`m_axi_*`).
#[derive(Clone, Debug)]
pub struct Axi {
    pub cfg: AxiCfg,
    pub aw: AxiAddr,
    pub w: AxiW,
    pub b: AxiB,
    pub ar: AxiAddr,
    pub r: AxiR,
}

/// The write half of an AXI4 interface (AW, W, B), for a block that only writes.
#[derive(Clone, Debug)]
pub struct AxiWrite {
    pub cfg: AxiCfg,
    pub aw: AxiAddr,
    pub w: AxiW,
    pub b: AxiB,
}

/// The read half of an AXI4 interface (AR, R), for a block that only reads.
#[derive(Clone, Debug)]
pub struct AxiRead {
    pub cfg: AxiCfg,
    pub ar: AxiAddr,
    pub r: AxiR,
}

fn axi_addr(
    f: &mut dyn FnMut(&'static str, u32, bool) -> Sig,
    cfg: AxiCfg,
    ch: [&'static str; 9],
) -> AxiAddr {
    AxiAddr {
        id: f(ch[0], cfg.id_width, true),
        addr: f(ch[1], cfg.addr_width, true),
        len: f(ch[2], 8, true),
        size: f(ch[3], 3, true),
        burst: f(ch[4], 2, true),
        cache: f(ch[5], 4, true),
        prot: f(ch[6], 3, true),
        valid: f(ch[7], 1, true),
        ready: f(ch[8], 1, false),
    }
}

impl AxiWrite {
    pub fn new(m: &mut ModuleBuilder, prefix: &str, side: Side, cfg: AxiCfg) -> AxiWrite {
        let (d, i) = (cfg.data_width, cfg.id_width);
        let mut f = declarer(m, prefix, side);
        let aw = axi_addr(
            &mut f,
            cfg,
            [
                "awid", "awaddr", "awlen", "awsize", "awburst", "awcache", "awprot", "awvalid",
                "awready",
            ],
        );
        let w = AxiW {
            data: f("wdata", d, true),
            strb: f("wstrb", d / 8, true),
            last: f("wlast", 1, true),
            valid: f("wvalid", 1, true),
            ready: f("wready", 1, false),
        };
        let b = AxiB {
            id: f("bid", i, false),
            resp: f("bresp", 2, false),
            valid: f("bvalid", 1, false),
            ready: f("bready", 1, true),
        };
        AxiWrite { cfg, aw, w, b }
    }
}

impl AxiRead {
    pub fn new(m: &mut ModuleBuilder, prefix: &str, side: Side, cfg: AxiCfg) -> AxiRead {
        let (d, i) = (cfg.data_width, cfg.id_width);
        let mut f = declarer(m, prefix, side);
        let ar = axi_addr(
            &mut f,
            cfg,
            [
                "arid", "araddr", "arlen", "arsize", "arburst", "arcache", "arprot", "arvalid",
                "arready",
            ],
        );
        let r = AxiR {
            id: f("rid", i, false),
            data: f("rdata", d, false),
            resp: f("rresp", 2, false),
            last: f("rlast", 1, false),
            valid: f("rvalid", 1, false),
            ready: f("rready", 1, true),
        };
        AxiRead { cfg, ar, r }
    }
}

impl Axi {
    /// Both halves, write first (the port order Vivado's AXI4 interface lists).
    pub fn new(m: &mut ModuleBuilder, prefix: &str, side: Side, cfg: AxiCfg) -> Axi {
        let AxiWrite { aw, w, b, .. } = AxiWrite::new(m, prefix, side, cfg);
        let AxiRead { ar, r, .. } = AxiRead::new(m, prefix, side, cfg);
        Axi {
            cfg,
            aw,
            w,
            b,
            ar,
            r,
        }
    }
}
