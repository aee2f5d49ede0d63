// SPDX-License-Identifier: GPL-2.0
//! `famfs-mangen OUTDIR`: the manual pages of the `famfs` command, written
//! from the clap definitions the binary is built from: `famfs.1`, one
//! `famfs-VERB.1` per verb and `mkfs.famfs.8`.
//!
//! clap_mangen renders the title, NAME, SYNOPSIS, OPTIONS and the list of
//! verbs. The prose (each verb's long help, the top-level after-help) is
//! laid out here, because the CLI writes it for a terminal: paragraphs,
//! indented example lines, and "Heading:" blocks such as "Examples:" or
//! "Exit status:", which become man sections of their own.

// The CLI's own definition files. Only their clap derives are used here;
// the fields they declare are read by the famfs binary, not by this one.
#[allow(dead_code)]
#[path = "../../famfs/src/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "../../famfs/src/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "../../famfs/src/num.rs"]
mod num;
#[allow(dead_code)]
#[path = "../../famfs/src/size.rs"]
mod size;

use std::fs;
use std::io;
use std::path::Path;
use std::process::ExitCode;

use clap::{Command, CommandFactory};
use clap_mangen::roff::{bold, roman, Inline, Roff};
use clap_mangen::Man;

fn main() -> ExitCode {
    let mut argv = std::env::args_os().skip(1);
    let (Some(out), None) = (argv.next(), argv.next()) else {
        eprintln!("usage: famfs-mangen OUTDIR");
        return ExitCode::from(2);
    };
    let out = Path::new(&out);
    match write_pages(out) {
        Ok(n) => {
            println!("famfs-mangen: {n} manual pages in {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("famfs-mangen: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

/// What every page's title line carries besides its name and section.
struct Meta {
    date: String,
    source: String,
}

/// Writes every page into `dir`; returns how many.
fn write_pages(dir: &Path) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    let meta = Meta {
        date: source_date().unwrap_or_default(),
        source: format!("famfs_rs {}", env!("CARGO_PKG_VERSION")),
    };

    // Built once, so that each verb knows its parent: its bin name is
    // "famfs mount" (the synopsis), its display name "famfs-mount" (the
    // page). `help` is clap's, not a verb with a page of its own.
    // Its one-line about starts with "famfs: ", which NAME already says.
    let famfs = cli::Cli::command();
    let about = famfs.get_about().map(|a| a.to_string()).unwrap_or_default();
    let about = about.strip_prefix("famfs: ").unwrap_or(&about).to_owned();
    let mut famfs = famfs
        .about(about)
        .disable_help_subcommand(true)
        .subcommand_help_heading("COMMANDS")
        .subcommand_value_name("COMMAND");
    famfs.build();
    let verbs: Vec<Command> = famfs
        .get_subcommands()
        .filter(|v| !v.is_hide_set())
        .cloned()
        .collect();

    let mut top_see_also: Vec<String> = verbs
        .iter()
        .map(|v| format!("famfs-{}(1)", v.get_name()))
        .collect();
    top_see_also.extend(["mkfs.famfs(8)", "daxctl(1)", "ndctl(1)"].map(String::from));
    write_page(dir, famfs, "1", &meta, &top_see_also)?;
    let mut n = 1;

    for verb in verbs {
        let mut see_also = vec!["famfs(1)".to_owned()];
        if verb.get_name() == "mkfs" {
            see_also.push("mkfs.famfs(8)".to_owned());
        }
        write_page(dir, verb, "1", &meta, &see_also)?;
        n += 1;
    }

    let mut mkfs = cli::MkfsCli::command();
    mkfs.build();
    let see_also = ["famfs(1)", "famfs-mkfs(1)", "famfs-fsck(1)"].map(String::from);
    write_page(dir, mkfs, "8", &meta, &see_also)?;
    Ok(n + 1)
}

/// Renders one command's page to `dir/NAME.SECTION`.
fn write_page(
    dir: &Path,
    cmd: Command,
    section: &str,
    meta: &Meta,
    see_also: &[String],
) -> io::Result<()> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
    let description = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let after = cmd
        .get_after_long_help()
        .or(cmd.get_after_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let has_options = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_verbs = cmd.has_subcommands();

    // The long help and the after-help alike: untitled blocks are the
    // description, titled ones ("Examples:") sections after the options.
    let mut untitled = Vec::new();
    let mut titled = Vec::new();
    for block in blocks(&description).into_iter().chain(blocks(&after)) {
        match block.title {
            None => untitled.push(block),
            Some(_) => titled.push(block),
        }
    }

    let man = Man::new(cmd)
        .title(name.to_uppercase())
        .section(section)
        .date(&meta.date)
        .source(&meta.source)
        .manual("famfs_rs");
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;

    let mut roff = Roff::new();
    roff.control("SH", ["DESCRIPTION"]);
    for (i, block) in untitled.iter().enumerate() {
        if i > 0 {
            roff.control("PP", []);
        }
        block.render(&mut roff);
    }
    roff.to_writer(&mut page)?;

    if has_options {
        man.render_options_section(&mut page)?;
    }
    if has_verbs {
        man.render_subcommands_section(&mut page)?;
    }

    let mut roff = Roff::new();
    for block in &titled {
        roff.control(
            "SH",
            [section_name(block.title.unwrap_or_default()).as_str()],
        );
        block.render(&mut roff);
    }
    roff.control("SH", ["SEE ALSO"]);
    let refs: Vec<Inline> = see_also
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let sep = if i + 1 < see_also.len() { ", " } else { "" };
            let (page, sect) = r.split_once('(').unwrap_or((r, ""));
            [bold(page), roman(format!("({sect}{sep}"))]
        })
        .collect();
    roff.text(refs);
    roff.to_writer(&mut page)?;

    // Every render above starts with roff's preamble (the definition of
    // \*(Aq, an apostrophe that stays one); the page needs it once.
    let preamble = Roff::new().render();
    let body = String::from_utf8_lossy(&page).replace(&preamble, "");
    fs::write(dir.join(format!("{name}.{section}")), preamble + &body)
}

/// A man section's name for a block title of the CLI's help.
fn section_name(title: &str) -> String {
    let upper = title.to_uppercase();
    if upper.starts_with("EXAMPLE") {
        "EXAMPLES".to_owned()
    } else {
        upper
    }
}

/// A block of help text: the lines between two blank lines.
struct Block<'a> {
    /// "Examples" for a block whose first line is "Examples:" and whose
    /// other lines are all indented.
    title: Option<&'a str>,
    lines: Vec<&'a str>,
}

/// Splits help text into blocks.
fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().chain([""]) {
        if !line.trim().is_empty() {
            lines.push(line);
            continue;
        }
        if lines.is_empty() {
            continue;
        }
        let first = lines[0];
        let rest_indented = lines.len() > 1 && lines[1..].iter().all(|l| l.starts_with(' '));
        let title = match first.strip_suffix(':') {
            Some(t) if rest_indented && !first.starts_with(' ') && !t.contains(':') => Some(t),
            _ => None,
        };
        if title.is_some() {
            lines.remove(0);
        }
        out.push(Block {
            title,
            lines: std::mem::take(&mut lines),
        });
    }
    out
}

impl Block<'_> {
    /// Unindented lines are filled text (`code` in bold); runs of indented
    /// lines (examples, tables) are kept as they are, one indentation level
    /// in.
    fn render(&self, roff: &mut Roff) {
        let mut i = 0;
        while i < self.lines.len() {
            if !self.lines[i].starts_with(' ') {
                roff.text(inline_code(self.lines[i]));
                i += 1;
                continue;
            }
            let run: Vec<&str> = self.lines[i..]
                .iter()
                .take_while(|l| l.starts_with(' '))
                .copied()
                .collect();
            i += run.len();
            let indent = run
                .iter()
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            roff.control("RS", ["4"]);
            roff.control("nf", []);
            for line in &run {
                roff.text([roman(&line[indent..])]);
            }
            roff.control("fi", []);
            roff.control("RE", []);
        }
    }
}

/// `famfs mount` in running text: the part between backticks in bold.
fn inline_code(line: &str) -> Vec<Inline> {
    line.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| if i % 2 == 1 { bold(part) } else { roman(part) })
        .collect()
}

/// The date of the pages: SOURCE_DATE_EPOCH's day (dpkg-buildpackage sets
/// it from debian/changelog), so that a rebuild writes the same bytes; no
/// date without it.
fn source_date() -> Option<String> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Year, month, day of a count of days since 1970-01-01 (proleptic
/// Gregorian calendar, counted in 400-year eras of 146,097 days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..=146096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year from March 1
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
