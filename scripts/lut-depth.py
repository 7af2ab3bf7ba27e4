#!/usr/bin/env python3
"""Logic depth of a synthesized top, in LUT levels, and the path that sets it.

    scripts/lut-depth.py TOP NETLIST.json... [--limit N] [--paths K] [--cells] [--save OUT.json]

Each NETLIST.json is Yosys's `write_json` after `synth_xilinx -family xcup -flatten`. A
top may instantiate a module that another netlist defines (scripts/gate.sh synthesizes a
board core with the NIC inside it as a black box and passes the NIC's own netlist too):
such instances are replaced by that module's cells, so paths are measured across the
boundary as the two mapped netlists connect (nothing is optimized across it, so there
the depth is an upper bound on what a flattening tool gets).

The depth is the longest combinational path between sequential cells and ports, counted in
LUT levels: LUT1..LUT6 count one, MUXF7/8/9, CARRY4/8 and INV count none (they sit in the
slice beside the LUT), I/O and clock buffers count none (an out-of-context build has none),
and a LUTRAM read (address in, data out) counts one, as it is a LUT. This is the measure
the gate holds every top to: on UltraScale+ routing costs about as much as logic, so a
4 ns period (250 MHz) holds about six levels.

Prints one line `TOP: max LUT levels=D; comb cells=C; paths over limit=P`, then the K
deepest paths (with --limit, up to five of those over it, at least K), each as its
start (a register output or a port), the cells between, and its end (a register input or
a port), named by the nets Yosys kept from the Verilog (with the instance path inside a
module from another netlist). --cells first prints `cells: LUT=.. FF=.. BRAM=.. DSP=..`
for the whole top; --save writes the flattened top as a netlist again, without what the
depth does not need (attributes, parameters, unnamed nets), for use as a module later.
"""
import argparse
import collections
import json
import re
import sys

COMB = re.compile(r"LUT[1-6]$|MUXF[789]$|CARRY[48]$|INV$|[IO]BUF$|BUFG$")
LUTRAM = re.compile(r"RAM(32|64|128|256)[MX]")


def net_names(module):
    """The readable name of every bit that has one: a net from the Verilog (not one Yosys
    made up), the shortest if several; buses get their bit index."""
    best = {}
    for name, net in module["netnames"].items():
        if net.get("hide_name", 0) or name.startswith("$"):
            continue
        for i, bit in enumerate(net["bits"]):
            if isinstance(bit, str):
                continue
            label = name if len(net["bits"]) == 1 else f"{name}[{i}]"
            if bit not in best or (len(label), label) < (len(best[bit]), best[bit]):
                best[bit] = label
    return best


def lutram_arcs(conn, dirs):
    """(address bits, data-out bits) of each read port of a LUTRAM cell."""
    for port, bits in conn.items():
        if dirs.get(port) != "output":
            continue
        if port.startswith("DO"):
            srcs = conn.get("ADDR" + port[2:], [])
        elif port == "DPO":
            srcs = [b for q, v in conn.items() if q.startswith("DPRA") for b in v]
        else:
            srcs = [b for q, v in conn.items() if re.match(r"A\d*$", q) for b in v]
        yield srcs, bits


def cell_label(cname, cell, names):
    """A sequential cell or RAM by the net its output drives (`register state_q[3] (FDRE)`),
    else by its instance name."""
    dirs = cell.get("port_directions", {})
    outs = [b for p, bs in cell["connections"].items() if dirs.get(p) == "output" for b in bs]
    named = sorted({names[b] for b in outs if b in names}, key=lambda n: (len(n), n))
    what = "register" if cell["type"].startswith("FD") else cell["type"]
    return f"{what} {named[0] if named else cname}" + (f" ({cell['type']})" if what == "register" else "")


def build_graph(module, names):
    """Combinational arcs bit -> bit with their LUT weight and cell kind; where each bit
    leaves the combinational cloud (into a register, RAM or output port); and what drives
    each bit that starts a path (a register, RAM or input port)."""
    arcs = collections.defaultdict(list)
    sinks = collections.defaultdict(list)
    sources = {}
    for cname, cell in module["cells"].items():
        kind, conn = cell["type"], cell["connections"]
        dirs = cell.get("port_directions", {})
        ins = [(p, b) for p, bs in conn.items() if dirs.get(p) == "input" for b in bs]
        outs = [b for p, bs in conn.items() if dirs.get(p) == "output" for b in bs]
        if COMB.match(kind):
            weight = 1 if kind.startswith("LUT") else 0
            for _, a in ins:
                for b in outs:
                    arcs[a].append((b, weight, kind))
            continue
        if LUTRAM.match(kind):
            for srcs, data in lutram_arcs(conn, dirs):
                for a in srcs:
                    for b in data:
                        arcs[a].append((b, 1, kind))
        label = cell_label(cname, cell, names)
        for port, b in ins:
            sinks[b].append(f"{label}.{port}")
        for b in outs:
            sources[b] = label
    for pname, port in module["ports"].items():
        for i, b in enumerate(port["bits"]):
            name = pname + (f"[{i}]" if len(port["bits"]) > 1 else "")
            if port["direction"] == "output":
                sinks[b].append(f"output {name}")
            else:
                sources[b] = f"input {name}"
    return arcs, sinks, sources


def longest(arcs):
    """Per bit: (LUT levels, cells) of the deepest path ending there, and the arc it came
    by. Kahn's order over the arcs; a bit left unvisited sits on a combinational loop."""
    indeg = collections.Counter()
    nodes = set(arcs)
    for a, outs in arcs.items():
        for b, *_ in outs:
            if isinstance(a, str) or isinstance(b, str):
                continue
            indeg[b] += 1
            nodes.add(b)
    nodes = {n for n in nodes if not isinstance(n, str)}
    best = {n: (0, 0) for n in nodes}
    came = {}
    queue = collections.deque(n for n in nodes if indeg[n] == 0)
    seen = 0
    while queue:
        n = queue.popleft()
        seen += 1
        for b, weight, kind in arcs.get(n, ()):
            if isinstance(b, str) or isinstance(n, str):
                continue
            cand = (best[n][0] + weight, best[n][1] + 1)
            if cand > best[b]:
                best[b] = cand
                came[b] = (n, kind)
            indeg[b] -= 1
            if indeg[b] == 0:
                queue.append(b)
    return best, came, seen, len(nodes)


def describe(end, best, came, names, sinks, sources):
    """A path as lines: where it starts, the cells it passes (named where the net has a
    name, runs of unnamed cells of one kind folded), where it ends."""
    hops = []
    bit = end
    while bit in came:
        prev, kind = came[bit]
        hops.append((kind, names.get(bit)))
        bit = prev
    hops.reverse()
    folded = []
    for kind, name in hops:
        if name is None and folded and folded[-1][0] == kind and folded[-1][1] is None:
            folded[-1][2] += 1
        else:
            folded.append([kind, name, 1])
    via = [f"{k}" + (f" x{n}" if n > 1 else "") + (f" -> {nm}" if nm else "") for k, nm, n in folded]
    ends = sinks.get(end, ["(no register or port)"])
    more = f" and {len(ends) - 1} more" if len(ends) > 1 else ""
    return [
        f"  {best[end][0]} LUT levels, {best[end][1]} cells",
        f"    from {sources.get(bit) or names.get(bit, 'an unnamed net')}",
        *(f"    via  {v}" for v in via),
        f"    to   {ends[0]}{more}",
    ]


def load_modules(paths):
    """Every module the netlists define; black boxes are left out (they stay cells, unless
    another netlist defines them)."""
    modules = {}
    for path in paths:
        with open(path) as f:
            for name, module in json.load(f)["modules"].items():
                if not int(module.get("attributes", {}).get("blackbox", "0") or "0", 2):
                    modules[name] = module
    return modules


def flatten(modules, top):
    """`top` as one module: every instance of a module in `modules` replaced by its cells,
    bits renumbered and names prefixed by the instance path (`nic.rx.count`). A bit a
    child ties to two of its ports (a feed-through) joins the parent's two nets."""
    root = {}

    def find(b):
        while root.get(b, b) != b:
            b = root[b]
        return b

    count = [0]

    def fresh():
        count[0] += 1
        return count[0]

    cells, netnames = {}, {}

    def place(name, prefix, outer):
        module = modules[name]
        local = {}
        for pname, port in module["ports"].items():
            for b, g in zip(port["bits"], outer[pname]):
                if isinstance(b, str):
                    continue
                if b not in local:
                    local[b] = g
                elif isinstance(g, int) and isinstance(local[b], int):
                    root[find(g)] = find(local[b])

        def bit(b):
            if isinstance(b, str):
                return b
            if b not in local:
                local[b] = fresh()
            return local[b]

        for cname, cell in module["cells"].items():
            conn = {p: [bit(b) for b in bs] for p, bs in cell["connections"].items()}
            if cell["type"] in modules:
                place(cell["type"], f"{prefix}{cname}.", conn)
            else:
                dirs = cell.get("port_directions", {})
                cells[prefix + cname] = {"type": cell["type"], "port_directions": dirs, "connections": conn}
        for nname, net in module["netnames"].items():
            if not net.get("hide_name", 0) and not nname.startswith("$"):
                netnames[prefix + nname] = {"bits": [bit(b) for b in net["bits"]]}

    ports = {
        pname: {"direction": port["direction"], "bits": [fresh() for _ in port["bits"]]}
        for pname, port in modules[top]["ports"].items()
    }
    place(top, "", {p: v["bits"] for p, v in ports.items()})

    def resolve(bits):
        return [find(b) if isinstance(b, int) else b for b in bits]

    for cell in cells.values():
        cell["connections"] = {p: resolve(v) for p, v in cell["connections"].items()}
    for item in [*netnames.values(), *ports.values()]:
        item["bits"] = resolve(item["bits"])
    return {"ports": ports, "cells": cells, "netnames": netnames}


def cell_counts(module):
    """LUT, FF, BRAM and DSP cells of a flat module, as Yosys's `stat` names them."""
    kinds = {"LUT": r"LUT[1-6]$", "FF": r"FD[A-Z]*$", "BRAM": r"RAMB(18|36)E2$", "DSP": r"DSP48E2$"}
    types = collections.Counter(cell["type"] for cell in module["cells"].values())
    return {k: sum(n for t, n in types.items() if re.match(rx, t)) for k, rx in kinds.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("top")
    ap.add_argument("netlists", nargs="+", metavar="NETLIST.json")
    ap.add_argument("--limit", type=int, default=None, help="levels a path may have")
    ap.add_argument("--paths", type=int, default=1, help="deepest paths to print")
    ap.add_argument("--cells", action="store_true", help="print the top's cell counts first")
    ap.add_argument("--save", metavar="OUT.json", help="write the flattened top as a netlist")
    args = ap.parse_args()
    modules = load_modules(args.netlists)
    if args.top not in modules:
        sys.exit(f"{args.top}: no such module in {' '.join(args.netlists)}")
    module = flatten(modules, args.top)
    if args.save:
        with open(args.save, "w") as f:
            json.dump({"modules": {args.top: module}}, f, separators=(",", ":"))
    if args.cells:
        print("cells: " + " ".join(f"{k}={v}" for k, v in cell_counts(module).items()))
    names = net_names(module)
    arcs, sinks, sources = build_graph(module, names)
    best, came, seen, total = longest(arcs)
    if seen < total:
        print(f"{args.top}: combinational loop through {total - seen} bits", file=sys.stderr)
        sys.exit(2)
    depth = max((v[0] for v in best.values()), default=0)
    cells = max((v[1] for v in best.values()), default=0)
    # Ends of paths: bits that feed a register, a port or a RAM, deepest first.
    ends = sorted((b for b in best if b in sinks), key=lambda b: best[b], reverse=True)
    over = [b for b in ends if args.limit is not None and best[b][0] > args.limit]
    print(f"{args.top}: max LUT levels={depth}; comb cells={cells}; paths over limit={len(over)}")
    for b in ends[: max(args.paths, min(len(over), 5))]:
        print("\n".join(describe(b, best, came, names, sinks, sources)))


if __name__ == "__main__":
    main()
