#!/usr/bin/env python3
"""The import graph of src/, drawn from `use` lines and `crate::`/`super::` paths.

    python3 tests/layers.py          # prints the top-level graph and any violation
    python3 tests/layers.py --check  # exit 1 on a violation (the integration tests run this)
    python3 tests/layers.py --files  # also prints every file-level edge

Two rules, from DESIGN.md's layering:
1. a top-level module imports only from modules below it in LAYERS (same-layer siblings are
   allowed when they do not form a cycle);
2. no cycle between module files (for example ingest/normalize.rs <-> ingest/canonical.rs).
"""
import os
import re
import sys

# Top to bottom; modules on one line share a layer.
LAYERS = [
    ["main"],
    ["commands"],
    ["settings"],
    ["cli"],
    ["job", "generate"],
    ["report"],
    ["config"],
    ["targets"],
    ["query", "derive", "cluster"],
    ["sla", "problems", "insights", "cmdb"],
    ["ingest"],
    ["privacy"],
    ["dataset"],
    ["time", "table", "error", "lib"],
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def module_of(rel):
    """src-relative file path -> module path components (['ingest', 'normalize'])."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def files():
    out = {}
    for root, _, names in os.walk(SRC):
        for n in names:
            if n.endswith(".rs"):
                rel = os.path.relpath(os.path.join(root, n), SRC)
                out[tuple(module_of(rel))] = rel
    return out


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(l.split("//")[0] if not l.lstrip().startswith("//") else "" for l in text.split("\n"))


def use_paths(text):
    """Every path named by a `use` item (braces expanded) or written inline."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand(m.group(1).replace("\n", " ")))
    paths.extend(re.findall(r"\b((?:crate|super)(?:::\w+)+)", text))
    return paths


def expand(tree):
    tree = tree.strip()
    i = tree.find("{")
    if i < 0:
        return [tree.split(" as ")[0].strip()]
    prefix = tree[:i]
    inner = tree[i + 1 : tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if p == "self":
            out.append(prefix.rstrip(":"))
        else:
            out.extend(expand(prefix + p))
    return out


def resolve(path, here, known):
    """A use path -> the module file it reaches (longest known prefix), or None."""
    parts = path.split("::")
    if parts[0] == "crate":
        base = []
        parts = parts[1:]
    elif parts[0] == "super":
        base = list(here[:-1])
        parts = parts[1:]
        while parts and parts[0] == "super":
            base = base[:-1]
            parts = parts[1:]
    else:
        return None
    full = base + [p for p in parts if p != "self"]
    for n in range(len(full), 0, -1):
        if tuple(full[:n]) in known:
            return tuple(full[:n])
    return None


def graph():
    known = files()
    edges = set()
    for mod, rel in known.items():
        with open(os.path.join(SRC, rel), encoding="utf-8") as f:
            text = strip_comments(f.read())
        # Test modules may reach anywhere: they are not part of the layering.
        text = text.split("#[cfg(test)]")[0]
        for p in use_paths(text):
            target = resolve(p, mod, known)
            if target and target != mod and not is_ancestor(target, mod):
                edges.add((mod, target))
    return known, edges


def is_ancestor(a, b):
    return len(a) < len(b) and b[: len(a)] == a


def top(mod):
    return mod[0] if mod else "lib"


def cycles(nodes, edges):
    adj = {n: [] for n in nodes}
    for a, b in edges:
        adj[a].append(b)
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
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
                out.append(comp)

    sys.setrecursionlimit(10000)
    for n in nodes:
        if n not in index:
            visit(n)
    return out


def main():
    known, edges = graph()
    problems = []
    top_edges = {}
    for a, b in edges:
        ta, tb = top(a), top(b)
        if ta == tb:
            continue
        top_edges.setdefault((ta, tb), []).append(("/".join(a), "/".join(b)))
        if ta not in RANK or tb not in RANK:
            problems.append(f"module {ta if ta not in RANK else tb} is not in LAYERS")
        elif RANK[tb] < RANK[ta]:
            problems.append(f"upward import: {'/'.join(a)} -> {'/'.join(b)}")
    for comp in cycles(list(known), edges):
        problems.append("cycle: " + " <-> ".join(sorted("/".join(c) for c in comp)))
    for layer in LAYERS:
        line = []
        for m in layer:
            below = sorted({tb for (ta, tb) in top_edges if ta == m})
            line.append(f"{m} -> {', '.join(below) if below else '-'}")
        print("  " + "   |   ".join(line))
    if "--files" in sys.argv:
        for a, b in sorted(edges):
            print(f"{'/'.join(a)} -> {'/'.join(b)}")
    for p in sorted(set(problems)):
        print(p)
    print(f"{len(known)} files, {len(edges)} edges, {len(set(problems))} violations")
    if "--check" in sys.argv and problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
