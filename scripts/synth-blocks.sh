#!/usr/bin/env bash
# Synthesis figures of library blocks as tops of their own: the Lauberhorn NIC's blocks
# (default configuration, 512 bits) and the clock-domain-crossing blocks
# (hdl::library::cdc_blocks); the gate's checks and table over them.
#   scripts/synth-blocks.sh [CONFIG.toml]   the Lauberhorn blocks in that configuration
# (e.g. the 48-core one of README "Scale"); BLOCKS=REGEX keeps only the tops it matches
# (BLOCKS=endpoints: the endpoints alone).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/blocks/verilog
rm -rf "$dir"
cargo run -q -p hdl --example lauberhorn_blocks -- "$dir" "$@"
cargo run -q -p hdl --example cdc_blocks -- "$dir"
if [ -n "${BLOCKS:-}" ]; then
    for list in "$dir"/*.f; do
        basename "$list" .f | grep -qE "$BLOCKS" || rm "$list"
    done
fi
GATE_VERILOG="$dir" exec scripts/gate.sh
