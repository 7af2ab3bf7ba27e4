//! The tops `gen` writes: each is built from the one [`Config`].

use crate::blocks::axis_register::axis_register;
use crate::bundles::AxisCfg;
use crate::config::Config;
use crate::ir::{HdlErrors, Module};
use std::rc::Rc;

/// A top the generator can emit.
pub struct Top {
    /// The name users select it by (`gen --top NAME`).
    pub name: &'static str,
    /// One line for `gen --list`.
    pub about: &'static str,
    build: fn(&Config) -> Result<Rc<Module>, HdlErrors>,
}

impl Top {
    pub fn build(&self, cfg: &Config) -> Result<Rc<Module>, HdlErrors> {
        (self.build)(cfg)
    }
}

/// Every top, in the order `gen` writes them.
pub fn all() -> &'static [Top] {
    &[Top {
        name: "axis_register",
        about: "AXI4-Stream register slice with skid buffer (net.data_width)",
        build: |c| axis_register(AxisCfg::net(c.net.data_width)),
    }]
}
