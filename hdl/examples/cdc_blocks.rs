//! Emits the clock-domain-crossing blocks (`hdl::library::cdc_blocks`) as tops of their own
//! (Verilog files and a filelist `TOP.f` each) into the directory given, for
//! `scripts/synth-blocks.sh`: `cargo run -p hdl --example cdc_blocks -- DIR`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: cdc_blocks DIR")?);
    std::fs::create_dir_all(&dir)?;
    for m in hdl::library::cdc_blocks()? {
        let d = hdl::emit_design(&m)?;
        for f in &d.files {
            std::fs::write(dir.join(&f.name), &f.text)?;
        }
        std::fs::write(dir.join(format!("{}.f", d.top_name())), d.filelist())?;
    }
    Ok(())
}
