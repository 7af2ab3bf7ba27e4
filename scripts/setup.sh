#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (Verilator, Yosys, z3, Icarus, a C++
# toolchain, zlib for FST waveforms, iproute2 and ping for the TAP tests). Idempotent: does
# nothing when everything is there.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have verilator || need+=(verilator)
have yosys || need+=(yosys)
have iverilog || need+=(iverilog)
have g++ || need+=(g++)
have make || need+=(make)
have python3 || need+=(python3)
have z3 || need+=(z3)
have tclsh || need+=(tcl)
have ip || need+=(iproute2)
have ping || need+=(iputils-ping)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)

if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "setup: installing ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

have cargo || { echo "setup: cargo not found; install Rust (rustup) first" >&2; exit 1; }

ver=$(verilator --version | awk '{print $2}')
case "$ver" in
    5.*) ;;
    *) echo "setup: Verilator 5.x needed, found $ver" >&2; exit 1 ;;
esac
echo "setup: verilator $ver, $(yosys -V | awk '{print $1, $2}'), $(iverilog -V 2>&1 | head -1 | awk '{print $1, $2, $4}')"
