#!/usr/bin/env python3
"""ONC-RPC (RFC 5531) calls over UDP with AUTH_NONE, standard library only.

    rpc_call.py HOST PORT PROG VERS PROC [ARGS_HEX]     one call
    rpc_call.py < calls.json                            a list of calls, one at a time

A call in the list is {"host", "port", "prog", "vers", "proc", "args": hex}. Prints one
JSON object per call (a list for the list): the reply's xid, reply_stat and, when accepted,
accept_stat and the results as hex (for PROG_MISMATCH, the low and high versions first).
"""
import json
import os
import socket
import struct
import sys


def call(sock, xid, c):
    head = struct.pack(">10I", xid, 0, 2, c["prog"], c["vers"], c["proc"], 0, 0, 0, 0)
    sock.sendto(head + bytes.fromhex(c.get("args", "")), (c["host"], c["port"]))
    while True:
        data, _ = sock.recvfrom(65536)
        rxid, mtype, stat = struct.unpack(">3I", data[:12])
        if rxid == xid and mtype == 1:
            break
    out = {"xid": rxid, "reply_stat": stat}
    if stat == 0:
        _, vlen = struct.unpack(">2I", data[12:20])
        at = 20 + (vlen + 3) // 4 * 4
        (out["accept_stat"],) = struct.unpack(">I", data[at:at + 4])
        out["results"] = data[at + 4:].hex()
    return out


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(float(os.environ.get("RPC_TIMEOUT", "10")))
    base = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
    if len(sys.argv) > 1:
        host, port, prog, vers, proc_ = sys.argv[1:6]
        c = {"host": host, "port": int(port), "prog": int(prog, 0), "vers": int(vers),
             "proc": int(proc_), "args": sys.argv[6] if len(sys.argv) > 6 else ""}
        print(json.dumps(call(sock, base, c)))
    else:
        calls = json.load(sys.stdin)
        print(json.dumps([call(sock, base + i, c) for i, c in enumerate(calls)]))


main()
