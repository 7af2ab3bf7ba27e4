//! nicgen hardware: the RTL description layer (`ir`), interface bundles, and the blocks.

pub mod ir;

pub use ir::*;
pub mod accio;
pub mod blocks;
pub mod boards;
pub mod bundles;
pub mod config;
pub mod constraints;
pub mod lauberhorn;
pub mod library;
pub mod proto;
pub mod regmap;
pub mod tops;
