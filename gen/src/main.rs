//! `cargo run -p gen`: writes the Verilog of every top, one file per module, a filelist and
//! a timing constraint (`<top>.xdc`, the `[timing]` clock period) per top, and for tops with registers the register map as a C header, Rust constants and a
//! Markdown reference (`<map>_regs.h`, `.rs`, `.md`). Output appears all at once or not at
//! all: everything is written to a scratch directory beside the output and renamed into
//! place only when it all succeeded.

use anyhow::{bail, Context, Result};
use clap::Parser;
use hdl::config::Config;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(version, about = "Generate the NIC Verilog from the Rust description")]
struct Args {
    /// Configuration file (TOML); see `--print-config` for every key and its default.
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    /// Output directory; it is replaced by exactly what this run generates.
    #[arg(long, value_name = "DIR", default_value = "build/verilog")]
    out: PathBuf,
    /// Generate a board's core instead of the library's tops: `vcu118` writes
    /// `accio_vcu118_core` (the 512-bit Accio NIC with its CMAC-side clock crossings) for
    /// `fpga/vcu118/`; `enzian` writes `lauberhorn_enzian_core` (the 512-bit Lauberhorn NIC
    /// behind the Enzian shell's DCS slices and a CMAC port) for `fpga/enzian/`.
    #[arg(long, value_name = "BOARD")]
    board: Option<String>,
    /// Generate only this top (repeatable). Default: every top.
    #[arg(long = "top", value_name = "NAME")]
    tops: Vec<String>,
    /// List the tops and exit.
    #[arg(long)]
    list: bool,
    /// Print the default configuration, documented, and exit.
    #[arg(long)]
    print_config: bool,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("gen: error: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    if args.print_config {
        print!("{}", Config::default_toml());
        return Ok(());
    }
    let cfg = match &args.config {
        Some(path) => {
            let text = fs::read_to_string(path)
                .with_context(|| format!("cannot read config {}", path.display()))?;
            Config::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Config::default(),
    };
    let all = match &args.board {
        None => hdl::tops::all(),
        Some(b) => hdl::tops::board(b).with_context(|| {
            format!(
                "unknown board `{b}`; known boards: {}",
                hdl::tops::BOARDS.join(", ")
            )
        })?,
    };
    if args.list {
        for t in all {
            let module = t.build(&cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{:<18} {:<40} {}", t.name, module.name(), t.about);
        }
        return Ok(());
    }
    for name in &args.tops {
        if !all.iter().any(|t| t.name == name) {
            let known: Vec<_> = all.iter().map(|t| t.name).collect();
            bail!("unknown top `{name}`; known tops: {}", known.join(", "));
        }
    }

    // Build and emit everything in memory first: a design error writes nothing.
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut filelists: Vec<(String, String)> = Vec::new();
    for t in all
        .iter()
        .filter(|t| args.tops.is_empty() || args.tops.iter().any(|n| n == t.name))
    {
        let module = t
            .build(&cfg)
            .map_err(|e| anyhow::anyhow!("top `{}`:\n{e}", t.name))?;
        let design = hdl::emit_design(&module).map_err(|e| anyhow::anyhow!("{e}"))?;
        for f in &design.files {
            if let Some(prev) = files.insert(f.name.clone(), f.text.clone()) {
                if prev != f.text {
                    bail!("two tops emit different modules named {}", f.name);
                }
            }
        }
        filelists.push((format!("{}.f", design.top_name()), design.filelist()));
        filelists.push((
            format!("{}.xdc", design.top_name()),
            t.xdc(&cfg, &design.top),
        ));
        if let Some(map) = t.regmap(&cfg) {
            map.validate()
                .map_err(|e| anyhow::anyhow!("top `{}`: register map:\n{e}", t.name))?;
            let stem = format!("{}_regs", map.name.to_lowercase());
            filelists.push((format!("{stem}.h"), map.c_header()));
            filelists.push((format!("{stem}.rs"), map.rust_module()));
            filelists.push((format!("{stem}.md"), map.markdown()));
        }
        println!(
            "{:<20} {} ({} files)",
            t.name,
            design.top_name(),
            design.files.len()
        );
    }
    write_atomically(&args.out, files.into_iter().chain(filelists))?;
    println!("wrote {}", args.out.display());
    Ok(())
}

/// Writes `files` into a scratch directory beside `out`, then swaps it into place.
fn write_atomically(out: &Path, files: impl Iterator<Item = (String, String)>) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let base = out
        .file_name()
        .context("output path has no directory name")?
        .to_string_lossy();
    let pid = std::process::id();
    let tmp = parent.join(format!(".{base}.tmp-{pid}"));
    let old = parent.join(format!(".{base}.old-{pid}"));
    let result = (|| -> Result<()> {
        fs::create_dir_all(&tmp)?;
        for (name, text) in files {
            fs::write(tmp.join(&name), text).with_context(|| format!("cannot write {name}"))?;
        }
        if out.exists() {
            fs::rename(out, &old)
                .with_context(|| format!("cannot move {} aside", out.display()))?;
        }
        fs::rename(&tmp, out).with_context(|| format!("cannot create {}", out.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
        if old.exists() && !out.exists() {
            let _ = fs::rename(&old, out);
        }
    }
    let _ = fs::remove_dir_all(&old);
    result
}
