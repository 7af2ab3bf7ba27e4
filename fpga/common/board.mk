# The make targets of a board directory (fpga/BOARD/Makefile sets BOARD and CORE and
# includes it).

ROOT := $(abspath ../..)
HERE := $(abspath .)
# The core's Verilog to check against (`make lint VERILOG=DIR` for another gen output).
VERILOG ?= build/verilog

.PHONY: all verilog check lint clean

all: verilog
	vivado -mode batch -nojournal -log build/vivado.log -source build.tcl

verilog:
	mkdir -p build
	cd $(ROOT) && cargo run -q -p gen -- --board $(BOARD) --out fpga/$(BOARD)/build/verilog

check: verilog
	tclsh check.tcl build/verilog
	$(MAKE) lint

# fpga.v with the core and black-box stubs of the vendor IP and primitives (stubs/ here and
# in ../common: ports from the IP's product guide for the configuration ip/*.tcl sets):
# zero warnings under Verilator -Wall.
lint:
	cd $(VERILOG) && verilator --lint-only -Wall --top-module fpga \
		-y $(HERE)/stubs -y $(abspath ../common/stubs) -f $(CORE).f \
		$(HERE)/fpga.v $(wildcard $(abspath ../common)/*.v)

clean:
	rm -rf build
