# The make targets of a board directory (fpga/BOARD/Makefile sets BOARD and includes it).

ROOT := $(abspath ../..)

.PHONY: all verilog check clean

all: verilog
	vivado -mode batch -nojournal -log build/vivado.log -source build.tcl

verilog:
	mkdir -p build
	cd $(ROOT) && cargo run -q -p gen -- --board $(BOARD) --out fpga/$(BOARD)/build/verilog

check: verilog
	tclsh check.tcl build/verilog

clean:
	rm -rf build
