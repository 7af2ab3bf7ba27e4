//! Emits the Lauberhorn NIC's blocks, in the default configuration or that of a TOML file,
//! as tops of their own (Verilog files and a filelist `TOP.f` each) into the directory
//! given, for `scripts/synth-blocks.sh`:
//! `cargo run -p hdl --example lauberhorn_blocks -- DIR [CONFIG.toml]`.

use hdl::lauberhorn::{
    csr, dma_fallback, endpoints, nic, rpc_reply, rpc_rx, scheduler, service_table,
};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: lauberhorn_blocks DIR [CONFIG.toml]")?,
    );
    let c = match std::env::args().nth(2) {
        Some(path) => hdl::config::Config::from_toml(&std::fs::read_to_string(path)?)?,
        None => hdl::config::Config::default(),
    };
    let l = &c.lauberhorn;
    let (rx, reply, ep, sched) = nic::parts(&c, 512);
    let blocks = [
        endpoints::endpoints(ep)?,
        scheduler::scheduler(sched)?,
        service_table::service_table(service_table::ServiceTableCfg {
            services: l.services,
            processes: l.processes,
        })?,
        rpc_rx::rpc_rx(rx)?,
        rpc_reply::rpc_reply(reply)?,
        dma_fallback::dma_fallback(dma_fallback::DmaFallbackCfg {
            data_width: 512,
            slots: l.slots,
            entries: c.ict.entries,
            buffer_bytes: c.rx.buffer_bytes,
        })?,
        csr::csr(l)?,
    ];
    std::fs::create_dir_all(&dir)?;
    for m in blocks {
        let d = hdl::emit_design(&m)?;
        for f in &d.files {
            std::fs::write(dir.join(&f.name), &f.text)?;
        }
        std::fs::write(dir.join(format!("{}.f", d.top_name())), d.filelist())?;
    }
    Ok(())
}
