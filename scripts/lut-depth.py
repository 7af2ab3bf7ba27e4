#!/usr/bin/env python3
"""Logic depth of a synthesized top, in LUT levels, and the path that sets it.

    scripts/lut-depth.py NETLIST.json TOP [--limit N] [--paths K]

NETLIST.json is Yosys's `write_json` after `synth_xilinx -family xcup -flatten`. The depth
is the longest combinational path between sequential cells and ports, counted in LUT
levels: LUT1..LUT6 count one, MUXF7/8/9, CARRY4/8 and INV count none (they sit in the
slice beside the LUT), and a LUTRAM read (address in, data out) counts one, as it is a LUT.
This is the measure the gate holds every top to: on UltraScale+ routing costs about as
much as logic, so a 4 ns period (250 MHz) holds about six levels.

Prints one line `TOP: max LUT levels=D; comb cells=C; paths over limit=P`, then the K
deepest paths (with --limit, up to five of those over it, at least K), each as its
start (a register output or a port), the cells between, and its end (a register input or
a port), named by the nets Yosys kept from the Verilog.
"""
import argparse
import collections
import json
import re
import sys

COMB = re.compile(r"LUT[1-6]$|MUXF[789]$|CARRY[48]$|INV$")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("netlist")
    ap.add_argument("top")
    ap.add_argument("--limit", type=int, default=None, help="levels a path may have")
    ap.add_argument("--paths", type=int, default=1, help="deepest paths to print")
    args = ap.parse_args()
    module = json.load(open(args.netlist))["modules"][args.top]
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
