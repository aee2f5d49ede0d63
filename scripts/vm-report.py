#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vm-report.py: the host's verdict on one guest run.

Reads the guest's TAP output (tap.log) and kernel console (console.log),
fails any test during which the kernel logged a WARN, BUG, Oops, KASAN,
UBSAN, lockdep or hung-task report (the guest marks each test's begin/end in
the kernel log), and adds two checks of its own: the guest finished, and the
kernel log was clean outside the tests. Prints one unnumbered TAP line per
result ("ok - name" / "not ok - name # why"), then, for each failed test,
the last console lines printed while it ran (its commands' output and the
kernel's messages); exit 0 if all passed.

--expect-fail NAMES inverts the verdict for those tests (the harness's
negative self-test): each must be reported failed for the harness to pass.
"""
import argparse
import collections
import re
import sys

CONSOLE_TAIL = 25  # console lines shown per failed test

BAD = re.compile(
    r"Kernel panic|BUG:|WARNING:|Oops|KASAN|UBSAN|"
    r"circular locking dependency|recursive locking|inconsistent lock state|"
    r"suspicious RCU usage|INFO: task .* blocked|general protection fault|"
    r"kernel BUG at|Unable to handle kernel"
)
MARK = re.compile(r"famfs_rs-selftest: (begin|end) (\S+)")
# KTAP's "ok N name" (and TAP's "ok N - name").
TAP = re.compile(r"^(ok|not ok) \d+ (?:- )?(\S+)(.*)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("console")
    ap.add_argument("tap")
    ap.add_argument("--qemu-status", type=int, default=0)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--expect-fail", default="")
    args = ap.parse_args()

    results = {}  # name -> list of failure reasons ([] = passed)
    order = []
    done = False
    diags = []  # the guest's "# FAIL: ..." lines since the previous result
    not_run = []  # the guest's "# NOT RUN: ..." lines since then
    skipped = {}  # name -> why it could not run
    with open(args.tap, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = TAP.match(line)
            if line.startswith("# FAIL: "):
                diags.append(line[len("# FAIL: "):])
            elif line.startswith("# NOT RUN: "):
                not_run.append(line[len("# NOT RUN: "):])
            elif m:
                name = m.group(2)
                order.append(name)
                why = m.group(3).strip().lstrip("#").strip()
                why = why or "; ".join(diags) or "failed in the guest"
                results[name] = [] if m.group(1) == "ok" else [why]
                if m.group(1) == "ok" and "# SKIP" in m.group(3):
                    said = m.group(3).split("# SKIP", 1)[1].strip()
                    skipped[name] = said or "; ".join(not_run) or "not run"
                diags = []
                not_run = []
            elif line.startswith("# famfs_rs-selftests: done"):
                done = True

    outside = []
    current = None
    during = {}  # name -> the last console lines printed while it ran
    with open(args.console, errors="replace") as f:
        for line in f:
            m = MARK.search(line)
            if m:
                current = m.group(2) if m.group(1) == "begin" else None
                if current is not None:
                    during[current] = collections.deque(maxlen=CONSOLE_TAIL)
                continue
            if current is not None:
                during[current].append(line.rstrip("\r\n"))
            if BAD.search(line):
                what = line.strip()[:160]
                if current is None:
                    outside.append(what)
                else:
                    if current not in results:
                        order.append(current)
                        results[current] = ["did not report (guest died during it?)"]
                    results[current].append("kernel: " + what)
    if current is not None and current not in results:
        order.append(current)
        results[current] = ["did not finish (guest died or hung during it)"]

    finished = []
    if not done:
        finished.append("the guest did not finish its tests")
    if args.qemu_status == 124:
        finished.append("the guest did not power off in time (timeout)")
    elif args.qemu_status != 0:
        finished.append("QEMU exited with status %d" % args.qemu_status)
    order += ["guest_finished", "kernel_log_clean_outside_tests"]
    results["guest_finished"] = finished
    results["kernel_log_clean_outside_tests"] = outside[:3]

    expect_fail = set(filter(None, args.expect_fail.split(",")))
    failed = 0
    shown = []
    for name in order:
        why = results[name]
        if name in expect_fail:
            ok = bool(why)
            label = "harness reports %s as failed" % name
            why = [] if ok else ["the harness let it pass"]
        else:
            ok = not why
            label = name
        if ok and name in skipped:
            print("ok - %s%s # SKIP %s" % (args.prefix, label, skipped[name]))
        elif ok:
            print("ok - %s%s" % (args.prefix, label))
        else:
            failed += 1
            print("not ok - %s%s # %s" % (args.prefix, label, "; ".join(why)))
            if during.get(name):
                shown.append(name)
    for name in expect_fail - set(order):
        failed += 1
        print("not ok - %sharness reports %s as failed # it never ran" % (args.prefix, name))
    for name in shown:
        print("# console while %s%s ran (last %d lines):" % (args.prefix, name, CONSOLE_TAIL))
        for line in during[name]:
            print("#   " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
