#!/usr/bin/env python3
"""Runs every netlines binary on every given file and checks what the robustness issue
asks of them: exit 0, or 1 with a message on stderr naming the tool; never a signal,
never past the time bound, never a sanitizer report, every stdout line valid JSON (an
object). Prints one line per failure and a summary; exit 1 if anything failed.

usage: robust_run.py BIN_DIR TIMEOUT_SECONDS FILE... [--tools a,b] [--jobs N]"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

from netlines_tools import tools, writes_capture

TOOLS = tools()
SAN_ENV = {
    # Distinct exit codes so that a sanitizer report is never mistaken for exit 1.
    "ASAN_OPTIONS": "exitcode=86:detect_leaks=1:abort_on_error=0",
    "UBSAN_OPTIONS": "exitcode=87:print_stacktrace=1:halt_on_error=1",
}


def check(tool_path, path, timeout):
    tool = os.path.basename(tool_path)
    env = dict(os.environ, **SAN_ENV)
    try:
        p = subprocess.run([tool_path, path], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"{tool} {path}: still running after {timeout} s"
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0:
        return f"{tool} {path}: killed by signal {-p.returncode}\n{err[-2000:]}"
    if "Sanitizer" in err or "runtime error:" in err:
        return f"{tool} {path}: sanitizer report (exit {p.returncode})\n{err[-4000:]}"
    if p.returncode not in (0, 1):
        return f"{tool} {path}: exit {p.returncode}\n{err[-2000:]}"
    if p.returncode == 1 and not err.startswith(tool + ": "):
        return f"{tool} {path}: exit 1 without a '{tool}: ' message on stderr: {err[:200]!r}"
    if writes_capture(tool):
        # A capture, whole from its first byte (pcap either precision, or pcapng).
        if p.stdout[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\x0a\x0d\x0d\x0a"):
            return f"{tool} {path}: stdout is not a pcap or pcapng capture: {p.stdout[:16]!r}"
        return None
    for i, line in enumerate(p.stdout.split(b"\n")[:-1], 1):
        try:
            if not isinstance(json.loads(line), dict):
                raise ValueError("not an object")
        except ValueError as e:
            return f"{tool} {path}: stdout line {i} is not a JSON object ({e}): {line[:200]!r}"
    if p.stdout and not p.stdout.endswith(b"\n"):
        return f"{tool} {path}: stdout does not end with a newline"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("timeout", type=float)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    tools = [os.path.join(a.bin, t) for t in a.tools.split(",") if os.access(os.path.join(a.bin, t), os.X_OK)]
    if not tools:
        print("no binaries found in " + a.bin)
        return 1
    jobs = [(t, f) for t in tools for f in a.files]
    failures = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for r in ex.map(lambda j: check(j[0], j[1], a.timeout), jobs):
            if r:
                failures.append(r)
                print(r)
    print(f"{len(jobs)} runs ({len(tools)} binaries: {' '.join(map(os.path.basename, tools))}; "
          f"{len(a.files)} files), {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
