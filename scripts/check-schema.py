#!/usr/bin/env python3
"""Checks JSON Lines on stdin against docs/schema.md.
    check-schema.py SCHEMA.md < records.jsonl
Every key path of every record must be listed in the table of its record type,
every `always`/`nullable` field must be present, and no field may be null unless
the table says `nullable`. Exits 1 with one line per problem (at most 20)."""
import json
import re
import sys


def load_schema(path):
    types, current = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^## `([a-z_]+)`", line)
        if m:
            current = types.setdefault(m.group(1), {})
            continue
        m = re.match(r"^\| ([a-z0-9_.\[\]*]+) \| [^|]+ \| (always|optional|nullable) \|", line)
        if m and current is not None:
            current[m.group(1)] = m.group(2)
    return types


def paths(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            p = prefix + "." + k if prefix else k
            yield p, v
            yield from paths(v, p)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                yield from paths(v, prefix + "[]")


def documented(path, table):
    if path in table:
        return path
    for pattern in table:
        if "*" in pattern and re.fullmatch(re.escape(pattern).replace(r"\*", r"[^.\[\]]+"), path):
            return pattern
    return None


def main():
    types = load_schema(sys.argv[1])
    problems, n = [], 0
    for n, line in enumerate(sys.stdin, 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            problems.append(f"line {n}: not JSON: {e}")
            continue
        t = rec.get("type")
        if t not in types:
            problems.append(f"line {n}: record type {t!r} not in the schema")
            continue
        table = types[t]
        if next(iter(rec)) != "type":
            problems.append(f"line {n}: 'type' is not the first key")
        for p, v in paths(rec):
            d = documented(p, table)
            if d is None:
                problems.append(f"line {n}: {t}: field {p} not documented")
            elif v is None and table[d] != "nullable":
                problems.append(f"line {n}: {t}: field {p} is null but not documented as nullable")
        for f, presence in table.items():
            if presence != "optional" and "." not in f and "[" not in f and f not in rec:
                problems.append(f"line {n}: {t}: field {f} missing")
        if len(problems) >= 20:
            break
    for p in problems[:20]:
        print(p, file=sys.stderr)
    print(f"{n} records checked, {len(problems)} problems", file=sys.stderr)
    sys.exit(1 if problems else 0)


main()
