#!/usr/bin/env bash
# Synthesis figures of library blocks as tops of their own: the Lauberhorn NIC's blocks
# (default configuration, 512 bits) and the clock-domain-crossing blocks
# (hdl::library::cdc_blocks); the gate's checks and table over them.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/blocks/verilog
rm -rf "$dir"
cargo run -q -p hdl --example lauberhorn_blocks -- "$dir"
cargo run -q -p hdl --example cdc_blocks -- "$dir"
GATE_VERILOG="$dir" exec scripts/gate.sh
