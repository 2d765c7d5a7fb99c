#!/usr/bin/env python3
"""tests/cycles.py OBJ... - fails when the objects' calls form a cycle.

Reads each object's defined and undefined symbols with nm, draws an edge
from a module to every module that defines a symbol it uses, and prints
every strongly connected component of more than one module (a cycle:
modules that cannot be understood or tested one without the other)."""
import os
import subprocess
import sys


def symbols(obj):
    defined, used = set(), set()
    for line in subprocess.run(["nm", obj], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def cycles(graph):
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def main(objs):
    owner, uses = {}, {}
    for obj in objs:
        mod = os.path.basename(obj)[:-2]
        defined, used = symbols(obj)
        owner.update((s, mod) for s in defined)
        uses[mod] = used
    graph = {m: {owner[s] for s in u if s in owner and owner[s] != m}
             for m, u in uses.items()}
    found = cycles(graph)
    for comp in found:
        print("module cycle: " + " <-> ".join(comp))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
