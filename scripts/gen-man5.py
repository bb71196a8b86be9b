#!/usr/bin/env python3
"""Writes man/netlines.5 from docs/schema.md, so `man 5 netlines` and the schema
document never disagree (tests/cli/docs.bats checks the generated file is current).
    scripts/gen-man5.py [--check]"""
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "tests" / "tools"))
from netlines_tools import tools  # noqa: E402

TOOLS = [t.replace("-", "\\-") for t in tools()]
src = (root / "docs/schema.md").read_text(encoding="utf-8")


def roff_text(s):
    s = s.replace("\\", "\\e")
    s = re.sub(r"`([^`]*)`", r"\\fB\1\\fR", s)
    s = re.sub(r"\*\*([^*]*)\*\*", r"\\fB\1\\fR", s)
    s = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", s)
    return s.replace("-", "\\-")


out = ['.TH NETLINES 5 "2026" "netlines 0.1.0" "netlines manual"',
       ".SH NAME", "netlines \\- the JSON Lines records written by " + ", ".join(TOOLS[:-1]) + " and " + TOOLS[-1],
       ".SH DESCRIPTION"]
para = []
bullet = [False]


def flush_para():
    if para:
        text = " ".join(para)
        out.append(".IP \\(bu 2" if bullet[0] else ".PP")
        out.append(roff_text(text).lstrip("."))
        para.clear()
    bullet[0] = False


for line in src.splitlines():
    if line.startswith("# "):
        continue
    if line.startswith("## "):
        flush_para()
        out.append(".SH " + roff_text(line[3:].replace("`", "")).upper())
        continue
    if line.startswith("| ---") or line.startswith("|---"):
        continue
    if line.startswith("| "):
        flush_para()
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "field":
            continue
        out.append(".TP")
        head = "\\fB" + roff_text(cells[0]) + "\\fR"
        if len(cells) >= 4:
            head += " (" + roff_text(cells[1]) + ", " + roff_text(cells[2]) + ")"
            desc = cells[3]
        else:
            desc = cells[1] if len(cells) > 1 else ""
        out.append(head)
        out.append(roff_text(desc) if desc else "\\&")
        continue
    if line.startswith("- "):
        flush_para()
        bullet[0] = True
        para.append(line[2:].strip())
        continue
    if not line.strip():
        flush_para()
        continue
    para.append(line.strip())
flush_para()
out += [".SH SEE ALSO"] + [f".BR {t} (1)," for t in TOOLS[:-1]] + [f".BR {TOOLS[-1]} (1)"]
text = "\n".join(out) + "\n"
target = root / "man/netlines.5"
if "--check" in sys.argv:
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        print("man/netlines.5 is out of date: run scripts/gen-man5.py", file=sys.stderr)
        sys.exit(1)
else:
    target.write_text(text, encoding="utf-8")
