#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py: the table of one `make bench` run.

Reads the guest's output (tap.log: "BENCH CASE SUBJECT key=value..." and
"INFO KEY VALUE" lines, from tools/testing/selftests/famfs_rs/bench) and
prints every figure with its ratios to the peers, each target of issue 12
against its measured ratio, the mount costs and the requests per open.
Figures are guest time under QEMU -icount, in which 1 ns is one guest
instruction (shift 0): comparable within the run, not with real hardware.

Exit status: 0 if the guest finished and every program ran (targets missed
are reported, not failed: this is a benchmark, not a test), 1 otherwise.
"""
import argparse
import collections
import re
import sys

SUBJECTS = ("famfs", "devdax", "ext4", "fuse")
TITLE = {"famfs": "famfs_rs", "devdax": "raw devdax", "ext4": "ext4-dax", "fuse": "plain FUSE"}
OPCODES = {1: "LOOKUP", 2: "FORGET", 3: "GETATTR", 14: "OPEN", 15: "READ", 17: "STATFS",
           18: "RELEASE", 25: "FLUSH", 26: "INIT", 27: "OPENDIR", 28: "READDIR",
           29: "RELEASEDIR", 38: "DESTROY", 42: "BATCH_FORGET", 54: "GET_FMAP", 55: "GET_DAXDEV"}


def parse(path):
    """(figures, infos, ended): figures[case][subject] = list of dicts."""
    figures = collections.defaultdict(lambda: collections.defaultdict(list))
    infos = {}
    ended = None
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("BENCH-END"):
                ended = int(line.split("failures=")[1])
            elif line.startswith("BENCH "):
                words = line.split()
                kv = {}
                served = {}
                for w in words[3:]:
                    if "=" in w:
                        k, v = w.split("=", 1)
                        kv[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
                    elif ":" in w:
                        op, n = w.split(":")
                        served[int(op)] = int(n)
                if served:
                    kv["served"] = served
                figures[words[1]][words[2]].append(kv)
            elif line.startswith("INFO "):
                _, key, *rest = line.split(" ", 2) + [""]
                infos[key] = rest[0] if rest else ""
    return figures, infos, ended


def one(figures, case, subject, key="ns"):
    runs = figures.get(case, {}).get(subject, [])
    vals = [r[key] for r in runs if isinstance(r.get(key), int)]
    return min(vals) if vals else None


def ms(ns):
    return "-" if ns is None else f"{ns / 1e6:.3f}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def fmt_ratio(r):
    return "-" if r is None else f"{r:.3f}"


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


# (case, what is measured, unit divisor key): the data-path rows.
DATA_CASES = [
    ("seq_mmap_read", "mmap sequential read, one load per 64 B line, faults included", None),
    ("seq_mmap_read_again", "the same, mapped a second time", None),
    ("seq_mmap_write", "mmap sequential write, one store per 64 B line, faults included", None),
    ("seq_read", "read() in 1 MiB chunks (raw: rep movsb copy from the mapping)", None),
    ("seq_write", "write() in 1 MiB chunks (raw: movnti copy into the mapping)", None),
    ("rand_pread", "random 4 KiB pread (raw: rep movsb copy)", "ops"),
    ("rand_pwrite", "random 4 KiB pwrite (raw: movnti copy)", "ops"),
    ("rand_mmap_read", "random 4 KiB reads from a fresh mapping, faults included", "ops"),
    ("rand_mmap_write", "random 4 KiB writes to a fresh mapping, faults included", "ops"),
]


def data_rows(figures):
    rows = []
    for case, what, _ in DATA_CASES:
        vals = {s: one(figures, case, s) for s in SUBJECTS}
        if all(v is None for v in vals.values()):
            continue
        rows.append([case, *(ms(vals[s]) for s in SUBJECTS),
                     fmt_ratio(ratio(vals["famfs"], vals["devdax"])),
                     fmt_ratio(ratio(vals["famfs"], vals["ext4"])),
                     fmt_ratio(ratio(vals["famfs"], vals["fuse"]))])
    return rows


def per_op(figures, case, subject, count_key, time_key="ns"):
    runs = figures.get(case, {}).get(subject, [])
    best = None
    for r in runs:
        if isinstance(r.get(time_key), int) and r.get(count_key):
            v = r[time_key] / r[count_key]
            best = v if best is None else min(best, v)
    return best


def counters(figures, case):
    runs = figures.get(case + ".counters", {}).get("famfs", [])
    return runs[-1] if runs else {}


def verdict(value, limit, below=True):
    if value is None:
        return "not measured"
    ok = value <= limit if below else value >= limit
    return "met" if ok else "MISSED"


def remount_ratio(figures):
    """A remount of the whole device kept bound (famfs bind) against the
    handover every mount and umount does without it (issue 22)."""
    mount, umount = one(figures, "mount", "few_files_bound"), one(figures, "umount", "few_files_bound")
    bind, back = one(figures, "handover", "whole"), one(figures, "giveback", "whole")
    if None in (mount, umount, bind, back):
        return None
    return ratio(mount + umount, bind + back)


def targets(figures, infos):
    rows = []
    seq = ratio(one(figures, "seq_mmap_read", "famfs"), one(figures, "seq_mmap_read", "devdax"))
    rows.append(["mmap sequential read vs raw devdax (first map)", "<= 1.01", fmt_ratio(seq), verdict(seq, 1.01)])
    seq2 = ratio(one(figures, "seq_mmap_read_again", "famfs"), one(figures, "seq_mmap_read_again", "devdax"))
    rows.append(["mmap sequential read vs raw devdax (mapped again)", "<= 1.01", fmt_ratio(seq2),
                 verdict(seq2, 1.01)])
    pr_f = per_op(figures, "rand_pread", "famfs", "ops")
    pr_e = per_op(figures, "rand_pread", "ext4", "ops")
    pr_r = per_op(figures, "rand_pread", "devdax", "ops")
    r = ratio(pr_f, pr_e)
    rows.append(["4 KiB pread per call vs ext4-dax", "<= 1.00", fmt_ratio(r), verdict(r, 1.0)])
    rows.append(["4 KiB pread per call vs raw copy (figure)", "-", fmt_ratio(ratio(pr_f, pr_r)), "reported"])
    f_f = per_op(figures, "pmd_fault", "famfs", "faults", "touch_ns")
    f_r = per_op(figures, "pmd_fault", "devdax", "faults", "touch_ns")
    r = ratio(f_f, f_r)
    rows.append(["PMD fault vs raw devdax fault", "<= 1.2", fmt_ratio(r), verdict(r, 1.2)])
    co = ratio(one(figures, "cold_open", "famfs"), one(figures, "cold_open", "fuse"))
    rows.append(["cold open+fstat+close vs plain FUSE", "<= 0.8", fmt_ratio(co), verdict(co, 0.8)])
    co = ratio(one(figures, "cold_open_dropped", "famfs"), one(figures, "cold_open_dropped", "fuse"))
    rows.append(["cold open after drop_caches vs plain FUSE", "<= 0.8", fmt_ratio(co), verdict(co, 0.8)])
    warm = [figures.get("cold_open", {}).get(s, [{}])[0].get("warm_ns") for s in ("famfs", "fuse")]
    rows.append(["warm open+fstat+close vs plain FUSE (figure)", "-", fmt_ratio(ratio(*warm)), "reported"])
    rm = remount_ratio(figures)
    # famfs bind failed (a famfs_rs.ko without the raw node it needs): say
    # so rather than "not measured".
    rm_verdict = "famfs bind refused" if rm is None and "bind_refused" in infos else verdict(rm, 0.1)
    rows.append(["remount (mount+umount) kept bound vs today's handover (bind+give back, whole device)",
                 "<= 0.1", fmt_ratio(rm), rm_verdict])
    pmd = pte = ups = faults = 0
    for case in ("seq_mmap_read", "seq_mmap_read_again", "seq_mmap_write", "rand_mmap_read", "rand_mmap_write",
                 "pmd_fault", "fault_rate_2t"):
        c = counters(figures, case)
        pmd += c.get("faults_pmd", 0)
        pte += c.get("faults_pte", 0)
    for case in ("pmd_fault", "fault_rate_2t"):
        c = counters(figures, case)
        # The program's own open and close are the only requests allowed.
        ups += max(0, c.get("upcalls", 0) - 2 * c.get("fmaps", 0) - 2 - c.get("lookups", 0))
        faults += c.get("faults_pmd", 0) + c.get("faults_pte", 0)
    share = ratio(pmd, pmd + pte)
    rows.append(["PMD share of faults (2 MiB-aligned files)", "100%",
                 "-" if share is None else f"{100 * share:.1f}% ({pmd} PMD, {pte} PTE)",
                 verdict(share, 1.0, below=False)])
    upf = ratio(ups, faults)
    rows.append(["upcalls per fault", "0", "-" if upf is None else f"{upf:.4f} ({ups} in {faults} faults)",
                 verdict(upf, 0.0)])
    return rows


def handover_rows(figures):
    rows = []
    sizes = sorted(figures.get("handover", {}).items(), key=lambda kv: kv[1][0]["bytes"])
    for name, runs in sizes:
        gib = runs[0]["bytes"] / 2**30
        t = min(r["ns"] for r in runs)
        cpu = min(r.get("cpu_ns", r["ns"]) for r in runs)
        back = one(figures, "giveback", name)
        pm = figures["pagemap"][name][0]
        fam_mib = pm["famfs_pages"] * 4096 / 2**20
        dd_mib = pm["devdax_pages"] * 4096 / 2**20
        rows.append([name, f"{gib:.2f}", ms(t), ms(cpu), f"{cpu / 1e6 / gib:.2f}", ms(back),
                     f"{fam_mib:.1f}", f"{fam_mib / gib:.2f}", f"{dd_mib / gib:.2f}"])
    return rows


def linear_fit(figures):
    """Least squares cpu_ns = a + b * GiB over the handover sizes."""
    pts = []
    for name, runs in figures.get("handover", {}).items():
        pts.append((runs[0]["bytes"] / 2**30, min(r.get("cpu_ns", r["ns"]) for r in runs)))
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx
    a = my - b * mx
    worst = max(abs(y - (a + b * x)) / y for x, y in pts)
    return a, b, worst


def open_rows(figures, files):
    rows = []
    for s in ("famfs", "fuse"):
        served = next((r["served"] for r in figures.get("cold_open.served", {}).get(s, []) if "served" in r), {})
        # The opens program opens every file twice (cold, then warm).
        parts = [f"{OPCODES.get(op, op)} {n / files:.2f}" for op, n in sorted(served.items())
                 if n >= files / 2]
        rows.append([TITLE[s], ", ".join(parts) or "-"])
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tap")
    ap.add_argument("console")
    ap.add_argument("--qemu-status", type=int, default=0)
    ap.add_argument("--icount", type=int, default=0)
    ap.add_argument("--seconds", type=int, default=0)
    a = ap.parse_args()
    figures, infos, ended = parse(a.tap)
    unit = 2 ** a.icount
    print(f"famfs_rs benchmark: kernel {infos.get('kernel', '?')}, QEMU TCG -icount shift={a.icount} "
          f"(1 ns = {'one guest instruction' if unit == 1 else f'{unit} instructions'}), "
          f"clocksource {infos.get('clocksource', '?')}")
    print(f"parameters: {infos.get('params', '?')}; host wall time {a.seconds} s")
    print()
    print("Data path (ms of guest time; ratios famfs_rs / peer):")
    print(table(data_rows(figures),
                ["case", *(TITLE[s] for s in SUBJECTS), "/raw", "/ext4", "/FUSE"]))
    print()
    print("Faults (ns per fault, touching loop only; faults/s of guest time, whole run):")
    rows = []
    for s in ("famfs", "devdax", "ext4"):
        one_t = per_op(figures, "pmd_fault", s, "faults", "touch_ns")
        r1 = figures.get("pmd_fault", {}).get(s, [{}])[0]
        r2 = figures.get("fault_rate_2t", {}).get(s, [{}])[0]
        rate = lambda r: "-" if not r.get("ns") else f"{r['faults'] / (r['ns'] / 1e9):,.0f}"
        tr = figures.get("fault_trace", {}).get(s, [{}])[0]
        rows.append([TITLE[s], "-" if one_t is None else f"{one_t:,.0f}", rate(r1), rate(r2),
                     "-" if not tr else f"{tr.get('pmd')} PMD / {tr.get('pte')} PTE / {tr.get('fallback')} fallback"])
    print(table(rows, ["subject", "ns per PMD fault", "faults/s 1 thread", "faults/s 2 threads",
                       "fs_dax tracepoints (32 touches)"]))
    print()
    files = int(re.search(r"files=(\d+)", infos.get("params", "files=1")).group(1))
    co = [(s, figures.get("cold_open", {}).get(s, [{}])[0]) for s in ("famfs", "fuse")]
    print(f"Cold open+fstat+close of {files} files (2 MiB each, one directory):")
    rows = [[TITLE[s], ms(r.get("ns")), f"{r['ns'] / files / 1e3:.1f}" if r.get("ns") else "-",
             f"{r['warm_ns'] / files / 1e3:.1f}" if r.get("warm_ns") else "-"] for s, r in co]
    for s in ("famfs", "fuse"):
        drop = figures.get("cold_open_dropped", {}).get(s, [{}])[0]
        if drop.get("ns"):
            rows.append([f"{TITLE[s]}, after drop_caches", ms(drop["ns"]), f"{drop['ns'] / files / 1e3:.1f}",
                         f"{drop['warm_ns'] / files / 1e3:.1f}" if drop.get("warm_ns") else "-"])
    print(table(rows, ["subject", "cold ms", "us per cold open", "us per warm open"]))
    # The whole bench opens each file cold then warm, twice (after mount,
    # after drop_caches): four passes; BENCH_ONLY=opens cold, warm, then
    # cold after the drop: three.
    passes = "cold, warm, drop_caches, cold" if "bench_only=opens" in infos.get("params", "") \
        else "cold, warm, drop_caches, cold, warm"
    print(f"Requests per file over the open passes ({passes}; FORGETs of the drop included),"
          " from the daemon's own count:")
    print(table(open_rows(figures, files), ["subject", "requests per file"]))
    print()
    print("Mount cost: device handover device_dax -> famfs_rs (driver bind: page map built in RAM)")
    print(table(handover_rows(figures),
                ["device", "GiB", "bind ms", "bind CPU ms", "CPU ms/GiB", "give back ms",
                 "page map MiB", "MiB/GiB", "device_dax MiB/GiB"]))
    fit = linear_fit(figures)
    if fit:
        a0, b, worst = fit
        print(f"fit: bind CPU = {a0 / 1e6:.2f} ms + {b / 1e6:.2f} ms/GiB (worst point off by {100 * worst:.0f}%); "
              f"per TiB: {b * 1024 / 1e9:.1f} s of guest time, 16 GiB of page map")
    rows = []
    for name in ("few_files", "few_files_bound", "famfs_many", "fuse_many"):
        rows.append([name, ms(one(figures, "mount", name)), ms(one(figures, "umount", name))])
    print(table(rows, ["famfs mount (whole CLI)", "mount ms", "umount ms"]))
    print(f"famfs bind (whole device, once): {ms(one(figures, 'bind', 'whole'))} ms; "
          f"famfs unbind: {ms(one(figures, 'unbind', 'whole'))} ms")
    print()
    print("fio (psync and mmap engines; run time ms, mean latency ns per I/O):")
    rows = []
    for case in sorted(c for c in figures if c.startswith("fio_")):
        cells = []
        for s in SUBJECTS:
            r = figures[case].get(s, [{}])[0]
            cells.append("-" if "ns" not in r else f"{r['ns'] / 1e6:.0f} / {r['lat_ns']:,}")
        lat = lambda s: figures[case].get(s, [{}])[0].get("lat_ns")
        rows.append([case[4:], *cells, fmt_ratio(ratio(lat("famfs"), lat("ext4")))])
    print(table(rows, ["job", *(TITLE[s] for s in SUBJECTS), "lat famfs_rs/ext4"]))
    print()
    print("Targets (issues 12 and 22):")
    print(table(targets(figures, infos), ["target", "limit", "measured", "verdict"]))
    ok = a.qemu_status == 0 and ended == 0
    if ended is None:
        print("\nbench: the guest did not finish (no BENCH-END); see the console log")
    elif ended:
        print(f"\nbench: {ended} program(s) failed in the guest (lines '# FAILED' in tap.log)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
