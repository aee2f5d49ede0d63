// SPDX-License-Identifier: GPL-2.0
//! The run: sessions one after the other until the replies (or the
//! time) are reached, then one summary and a verdict.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use crate::hostile::Knobs;
use crate::session::{self, Plan, Report, Setup};
use crate::tally::Tally;

/// Options of `famfs-hostile run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The famfs device (a devdax with a famfs on it: `famfs mkfs` first).
    #[arg(long)]
    pub device: PathBuf,
    /// The mount point.
    #[arg(long)]
    pub mountpoint: PathBuf,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Replies to send in all (the run ends when reached).
    #[arg(long, default_value_t = 10_000)]
    pub replies: u64,
    /// Run for this long instead (sessions go on until then).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Replies per mount.
    #[arg(long, default_value_t = 1_500)]
    pub per_mount: u64,
    /// Worker processes per mount.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Percentage of replies mutated.
    #[arg(long, default_value_t = 40)]
    pub mutate: u64,
    /// Percentage of replies held back (sent out of order, 1..40 ms late).
    #[arg(long, default_value_t = 10)]
    pub hold: u64,
    /// Every Nth mount gets a mutated INIT (0: never).
    #[arg(long, default_value_t = 4)]
    pub init_every: u64,
    /// Every Nth mount ends with the daemon killed (0: never).
    #[arg(long, default_value_t = 3)]
    pub abort_every: u64,
    /// Bound on any call, mount, stop or exit, in seconds.
    #[arg(long, default_value_t = 60)]
    pub bound_secs: u64,
    /// Where the daemons' logs go.
    #[arg(long, default_value = "/tmp")]
    pub log_dir: PathBuf,
    /// A deliberately wrong oracle: the run must fail (proof that
    /// mismatches are caught).
    #[arg(long)]
    pub sabotage: bool,
}

fn plan(a: &RunArgs, i: u64) -> Plan {
    let nth = |every: u64, at: u64| every != 0 && i % every == at % every;
    Plan {
        index: i,
        seed: a.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i),
        replies: a.per_mount,
        knobs: Knobs {
            mutate: a.mutate,
            hold: a.hold,
            duplicate: 3,
            probe: 20,
            init: nth(a.init_every, 1),
            sabotage: a.sabotage,
        },
        abort: nth(a.abort_every, 2),
        keep_open: nth(2, 0),
    }
}

/// Runs the sessions and prints the summary; exit 1 on any failure.
pub fn run(a: &RunArgs, bound: Duration) -> ExitCode {
    let setup = Setup {
        device: a.device.clone(),
        mnt: a.mountpoint.clone(),
        workers: a.workers,
        log_dir: a.log_dir.clone(),
        bound,
    };
    let start = Instant::now();
    let deadline = a.seconds.map(|s| start + Duration::from_secs(s));
    let (mut daemon, mut workers) = (Tally::default(), Tally::default());
    let (mut mounts, mut refused, mut aborts, mut longest, mut abort_ms) = (0, 0, 0, 0u64, 0u64);
    let mut problems = Vec::new();
    let mut i = 0;
    loop {
        let done = match deadline {
            Some(d) => Instant::now() >= d,
            None => daemon.get("replies") >= a.replies,
        };
        if done {
            break;
        }
        let p = plan(a, i);
        i += 1;
        let r: Report = match session::run(&setup, &p) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("session {}: {e}", p.index));
                break;
            }
        };
        let kind = if p.abort { "abort" } else { "umount" };
        eprintln!(
            "famfs-hostile: mount {} ({}{}{}): {}, {} replies, {} mismatches, longest call {} ms",
            p.index,
            kind,
            if p.knobs.init { ", mutated INIT" } else { "" },
            if p.keep_open { ", OPEN taken" } else { "" },
            match &r.mount_error {
                None => "mounted".to_owned(),
                Some(e) => format!("mount refused ({e})"),
            },
            r.daemon.get("replies"),
            r.daemon.get("mismatches"),
            r.longest_call_ms
        );
        if r.mounted {
            mounts += 1;
        } else {
            refused += 1;
            if !p.knobs.init {
                problems.push(format!(
                    "mount {} failed without a mutated INIT: {:?}",
                    p.index, r.mount_error
                ));
            }
        }
        if let Some(ms) = r.abort_ms {
            aborts += 1;
            abort_ms = abort_ms.max(ms);
        }
        longest = longest.max(r.longest_call_ms);
        daemon.merge(&r.daemon);
        workers.merge(&r.workers);
        problems.extend(
            r.problems
                .iter()
                .map(|p2| format!("mount {}: {p2}", p.index)),
        );
        if refused > 3 && mounts == 0 {
            problems.push("no mount succeeded".into());
            break;
        }
    }
    print(&daemon, &workers, a, start.elapsed());
    println!(
        "famfs-hostile: mounts {} ({mounts} served, {refused} refused at INIT, {aborts} ended by killing the daemon); longest call {longest} ms; longest stop after a daemon kill {abort_ms} ms",
        i
    );
    let mut fails = problems;
    let chk = |cond: bool, what: String, fails: &mut Vec<String>| {
        if cond {
            fails.push(what)
        }
    };
    chk(
        daemon.get("mismatches") > 0,
        format!(
            "{} replies judged otherwise than the core's checks",
            daemon.get("mismatches")
        ),
        &mut fails,
    );
    chk(
        daemon.get("withdrawn_unexplained") > 0,
        format!(
            "{} requests withdrawn with no INTERRUPT",
            daemon.get("withdrawn_unexplained")
        ),
        &mut fails,
    );
    chk(
        workers.get("unexpected") > 0,
        format!(
            "{} calls failed with an unexpected errno",
            workers.get("unexpected")
        ),
        &mut fails,
    );
    chk(
        longest > bound.as_millis() as u64,
        format!("a call took {longest} ms (bound {bound:?})"),
        &mut fails,
    );
    chk(
        deadline.is_none() && daemon.get("replies") < a.replies,
        format!("only {} of {} replies", daemon.get("replies"), a.replies),
        &mut fails,
    );
    for m in daemon.mismatches.iter().chain(workers.mismatches.iter()) {
        println!("famfs-hostile:   {m}");
    }
    if fails.is_empty() {
        println!("famfs-hostile: PASSED");
        ExitCode::SUCCESS
    } else {
        for f in &fails {
            println!("famfs-hostile: FAILED: {f}");
        }
        ExitCode::FAILURE
    }
}

fn print(d: &Tally, w: &Tally, a: &RunArgs, took: Duration) {
    let g = |t: &Tally, k: &str| t.get(k);
    println!(
        "famfs-hostile: seed {}, {} s ({} replies/s): replies {} (mutated {}, held {}, duplicated {}), writes {}: taken {}, refused {}, enoent {}, withdrawn {} (interrupts {}), after close {}; mismatches {}",
        a.seed,
        took.as_secs(),
        g(d, "replies") / took.as_secs().max(1),
        g(d, "replies"),
        g(d, "mutated"),
        g(d, "held"),
        g(d, "duplicates"),
        g(d, "writes"),
        g(d, "taken"),
        g(d, "refused"),
        g(d, "enoent"),
        g(d, "withdrawn"),
        g(d, "interrupts"),
        g(d, "after_close"),
        g(d, "mismatches")
    );
    let ops: Vec<String> =
        d.n.iter()
            .filter_map(|(k, v)| k.strip_prefix("op.").map(|o| format!("{o} {v}")))
            .collect();
    println!("famfs-hostile: replies by request: {}", ops.join(", "));
    let reqs: Vec<String> =
        d.n.iter()
            .filter_map(|(k, v)| k.strip_prefix("req.").map(|o| format!("{o} {v}")))
            .collect();
    println!("famfs-hostile: requests read: {}", reqs.join(", "));
    let errnos: Vec<String> =
        w.n.iter()
            .filter_map(|(k, v)| k.strip_prefix("errno.").map(|e| format!("{e}:{v}")))
            .collect();
    let per_op: Vec<String> =
        w.n.iter()
            .filter_map(|(k, v)| {
                let op = k.strip_prefix("op.")?;
                let us = g(w, &format!("us.{op}")) as f64 / (*v).max(1) as f64;
                Some(format!("{op} {v} ({:.2} ms avg)", us / 1000.0))
            })
            .collect();
    println!("famfs-hostile: worker calls by kind: {}", per_op.join(", "));
    println!(
        "famfs-hostile: worker calls {}, ok {}, errors returned {} (errno:count {}), unexpected errnos {}",
        g(w, "calls"),
        g(w, "ok"),
        g(w, "errors"),
        errnos.join(" "),
        g(w, "unexpected")
    );
}
