#!/usr/bin/env bash
# The project's test command: installs what is missing, runs every test, then the gate
# over every emitted top (Verilator -Wall lint and Yosys synth_xilinx for UltraScale+), then
# the formal proofs (scripts/formal.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
start=$(date +%s)
cargo test --workspace --locked
scripts/gate.sh
scripts/formal.sh
echo "test.sh: all passed in $(( $(date +%s) - start )) s"
