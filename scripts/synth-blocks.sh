#!/usr/bin/env bash
# Synthesis figures of the Lauberhorn NIC's blocks as tops of their own (default
# configuration, 512 bits): the gate's checks and table over them.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/blocks/verilog
rm -rf "$dir"
cargo run -q -p hdl --example lauberhorn_blocks -- "$dir"
GATE_VERILOG="$dir" exec scripts/gate.sh
