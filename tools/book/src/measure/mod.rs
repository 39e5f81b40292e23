//! `cargo book measure`: runs every lab's measurements on this machine and writes the results
//! the book shows beside the reference machine's.
//!
//! For each lab crate under `labs/` (every folder there with a Cargo.toml), and then the
//! baselines crate (`baselines/`, [`crate::labs::baselines`]):
//! 1. build its binary (and its criterion benches, if it has `benches/`) in the bench profile,
//!    the optimized profile `cargo bench` uses, so both share one build;
//! 2. run `LAB --json`, which prints a [`schema::Report`];
//! 3. run each bench binary as `cargo bench` would, with criterion writing to a folder of
//!    this lab's own, and read its estimates (see [`crate::results::criterion`]);
//! 4. write `results/local/<lab>.json` (`results/reference/` with `--reference`), with the
//!    timelines of the lab's first `--json` run (a timeline is one run's picture: repeated
//!    runs are not folded into it).
//!
//! Every quantity has one measuring method. A benchmark becomes a record of its own,
//! `LAB/<criterion id>`, with the words the lab's report gives it
//! ([`schema::Report::describe_benchmark`]) and criterion's 95 % confidence interval of the
//! median as its spread ([`schema::Spread::Ci95`]). A benchmark named like one of the lab's own
//! records (`spawn-cost/thread`, or just `thread`) is an error: the lab and criterion would
//! be two sources for one figure. So is a benchmark the lab describes nowhere, so that no
//! result shows a bare id as its description. A lab that fails to build or run is reported and the others still
//! run; the command fails at the end if any lab did.

use crate::labs::{Lab, baselines, discover};

pub mod baselines;
mod progress;
use progress::{Progress, Task};

use crate::process::{self, Limits, Ran};
use crate::results::criterion::{self, Estimate};
use crate::results::{self, LOCAL_DIR, REFERENCE_DIR};
use anyhow::{Context, bail};
use schema::{Machine, Record, Report, Spread};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct MeasureOptions {
    /// Shorter criterion runs: less precise, a few minutes for the whole book.
    pub quick: bool,
    /// Write `results/reference/` (committed) instead of `results/local/`.
    pub reference: bool,
    /// How many times to run every lab's `--json` (at least once; see [`combine_runs`]).
    pub repeat: usize,
    /// Measure only these labs (all of them if empty).
    pub labs: Vec<String>,
}

/// A lab's `--json` run longer than this has hung: it is killed and reported.
const RUN_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The same for one bench binary (criterion's defaults take about 10 s per benchmark).
const BENCH_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Measures the labs and writes their results. Fails if any lab failed, after all ran.
pub fn measure(root: &Path, options: &MeasureOptions) -> anyhow::Result<()> {
    // The baselines crate (`baselines/`) runs like a lab, after the labs.
    let mut labs = discover(root)?;
    labs.extend(baselines(root)?);
    if !options.labs.is_empty() {
        for wanted in &options.labs {
            if !labs.iter().any(|lab| &lab.name == wanted) {
                let known: Vec<&str> = labs.iter().map(|l| l.name.as_str()).collect();
                bail!(
                    "no lab named `{wanted}` under labs/ (labs: {})",
                    known.join(", ")
                );
            }
        }
        labs.retain(|lab| options.labs.contains(&lab.name));
    }
    labs.retain(|lab| lab.has_bin || lab.has_benches);
    if labs.is_empty() {
        bail!("no lab under labs/ has a binary or benches to measure yet");
    }
    let out_dir = root.join(if options.reference {
        REFERENCE_DIR
    } else {
        LOCAL_DIR
    });
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut progress = Progress::new(&labs, options.quick);
    let started = Instant::now();
    let mut failed = Vec::new();
    // Every lab's first run (with its benches), then `--repeat`'s further `--json` runs in
    // rounds over all labs, so that each lab's runs, and a lab and its baseline, are spread
    // over the same stretch of time.
    let mut measured: Vec<(&Lab, Report, Option<PathBuf>, Vec<Report>)> = Vec::new();
    for (index, lab) in labs.iter().enumerate() {
        progress.begin_lab(lab, &labs[index + 1..]);
        let run = LabRun {
            root,
            lab,
            target_dir: &target_dir,
            quick: options.quick,
        };
        match run.measure(&mut progress) {
            Ok((report, bin)) => measured.push((lab, report, bin, Vec::new())),
            Err(err) => {
                progress.say(&format!("{}: FAILED: {err:#}", lab.name));
                failed.push(lab.name.clone());
            }
        }
    }
    for round in 2..=options.repeat.max(1) {
        for (lab, _, bin, reruns) in &mut measured {
            let Some(bin) = bin else { continue };
            let run = LabRun {
                root,
                lab,
                target_dir: &target_dir,
                quick: options.quick,
            };
            progress.start(
                Task::Run,
                &format!(
                    "{}: running --json ({round} of {})",
                    lab.name, options.repeat
                ),
            );
            match run.run_json(bin, &mut progress) {
                Ok(report) => reruns.push(report),
                Err(err) => progress.say(&format!("{}: run {round} FAILED: {err:#}", lab.name)),
            }
            progress.ran();
        }
    }
    for (lab, mut report, _, reruns) in measured {
        combine_runs(&mut report, &reruns);
        let path = results::write_report(&out_dir, &report)?;
        let shown = path.strip_prefix(root).unwrap_or(&path);
        progress.say(&format!(
            "{}: {} result(s) → {}",
            lab.name,
            report.records.len(),
            shown.display()
        ));
    }
    progress.clear();
    // Each lab figure beside its baseline from this run (and, for labs not measured this
    // time, the folder's earlier runs: the line names both figures, so a reader can tell).
    let written = results::ResultSet::load(&out_dir)?;
    let lines = baselines::warn(&written);
    if !lines.is_empty() {
        eprintln!(
            "Baselines (same folder, {}; `!` = more than 10% apart):",
            out_dir.strip_prefix(root).unwrap_or(&out_dir).display()
        );
        for line in lines {
            eprintln!("{line}");
        }
    }
    let took = clock(started.elapsed().as_secs_f64());
    if failed.is_empty() {
        eprintln!("Measured {} lab(s) in {took}.", labs.len());
        Ok(())
    } else {
        bail!(
            "{} of {} lab(s) failed (in {took}): {}",
            failed.len(),
            labs.len(),
            failed.join(", ")
        )
    }
}

struct LabRun<'a> {
    root: &'a Path,
    lab: &'a Lab,
    target_dir: &'a Path,
    quick: bool,
}

impl LabRun<'_> {
    /// The lab's report (its `--json` run and its benchmarks), and its binary for more runs.
    fn measure(&self, progress: &mut Progress) -> anyhow::Result<(Report, Option<PathBuf>)> {
        let name = &self.lab.name;
        progress.start(Task::Build, &format!("{name}: building"));
        let (bin, benches) = self.build(progress)?;
        progress.built(benches.len());

        let mut report = match &bin {
            Some(bin) => {
                progress.start(Task::Run, &format!("{name}: running --json"));
                let report = self.run_json(bin, progress)?;
                progress.ran();
                report
            }
            None => Report {
                lab: name.clone(),
                machine: Machine::detect(),
                records: Vec::new(),
                benchmarks: Vec::new(),
                timelines: Vec::new(),
            },
        };
        for bench in &benches {
            let estimates = self.run_bench(bench, progress)?;
            merge(name, &mut report, estimates)?;
        }
        // Consumed: the results files hold records and timelines only.
        report.benchmarks.clear();
        if report.records.is_empty() {
            bail!("measured nothing (no records from --json and no benchmarks)");
        }
        Ok((report, bin))
    }

    /// Builds the lab's binary and bench binaries; returns their paths (from cargo's JSON
    /// messages, so nothing assumes where cargo puts them).
    fn build(&self, progress: &mut Progress) -> anyhow::Result<(Option<PathBuf>, Vec<PathBuf>)> {
        let name = &self.lab.name;
        let mut bin = None;
        if self.lab.has_bin {
            let args = ["build", "--profile", "bench", "--bins", "-p", name];
            let bins: Vec<Built> = self
                .cargo(&args, progress)?
                .into_iter()
                .filter(|b| b.kind == "bin")
                .collect();
            // The lab's own binary is named after it; a lone binary of another name is
            // taken as the lab's too.
            bin = match bins.iter().find(|b| &b.name == name) {
                Some(own) => Some(own.exe.clone()),
                None if bins.len() == 1 => Some(bins[0].exe.clone()),
                None => bail!("cargo built no binary named {name}"),
            };
        }
        let mut benches = Vec::new();
        if self.lab.has_benches {
            let args = ["bench", "--no-run", "--benches", "-p", name];
            benches = self
                .cargo(&args, progress)?
                .into_iter()
                .filter(|b| b.kind == "bench")
                .map(|b| b.exe)
                .collect();
        }
        Ok((bin, benches))
    }

    /// Runs cargo with JSON messages; returns the executables it built.
    fn cargo(&self, args: &[&str], progress: &mut Progress) -> anyhow::Result<Vec<Built>> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(args)
            .arg("--message-format=json-render-diagnostics")
            .current_dir(self.root);
        let output = run(&mut command, None, progress, |_| {})?;
        if !output.status.success() {
            bail!(
                "`cargo {}` failed:\n{}",
                args.join(" "),
                process::tail(&output.stderr, 30)
            );
        }
        let mut built = Vec::new();
        for line in output.stdout.lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let Some(exe) = message["executable"].as_str() else {
                continue;
            };
            let kinds = message["target"]["kind"].as_array().into_iter().flatten();
            for kind in kinds.filter_map(|k| k.as_str()) {
                built.push(Built {
                    kind: kind.to_owned(),
                    name: message["target"]["name"].as_str().unwrap_or("").to_owned(),
                    exe: PathBuf::from(exe),
                });
            }
        }
        Ok(built)
    }

    fn run_json(&self, bin: &Path, progress: &mut Progress) -> anyhow::Result<Report> {
        let mut command = Command::new(bin);
        command.arg("--json").current_dir(&self.lab.dir);
        let output = run(&mut command, Some(RUN_TIMEOUT), progress, |_| {})?;
        if !output.status.success() {
            bail!(
                "`{} --json` exited with {}:\n{}",
                self.lab.name,
                output.status,
                process::tail(&output.stderr, 20)
            );
        }
        let report: Report = serde_json::from_str(&output.stdout)
            .with_context(|| format!("`{} --json` did not print a lab report", self.lab.name))?;
        let prefix = format!("{}/", self.lab.name);
        let strays: Vec<&str> = report
            .records
            .iter()
            .map(|r| r.id.as_str())
            .chain(report.benchmarks.iter().map(|b| b.id.as_str()))
            .chain(report.timelines.iter().map(|(id, _)| id.as_str()))
            .filter(|id| !id.starts_with(&prefix))
            .collect();
        if !strays.is_empty() {
            bail!(
                "record ids must start with `{prefix}` (the book finds them by lab): {}",
                strays.join(", ")
            );
        }
        Ok(report)
    }

    fn run_bench(&self, bench: &Path, progress: &mut Progress) -> anyhow::Result<Vec<Estimate>> {
        let name = &self.lab.name;
        let bench_name = bench_name(bench);
        let home = criterion::home(self.target_dir, name).join(&bench_name);
        let mut list = Command::new(bench);
        list.args(criterion::LIST_ARGS).current_dir(&self.lab.dir);
        let listed = run(&mut list, Some(RUN_TIMEOUT), progress, |_| {})?;
        if !listed.status.success() {
            bail!(
                "bench {bench_name} --list failed:\n{}",
                process::tail(&listed.stderr, 20)
            );
        }
        let names = criterion::parse_list(&listed.stdout);
        progress.listed(names.len());

        if home.exists() {
            std::fs::remove_dir_all(&home)
                .with_context(|| format!("clearing {}", home.display()))?;
        }
        let mut command = Command::new(bench);
        command
            .args(criterion::bench_args(self.quick))
            .env("CRITERION_HOME", &home)
            .current_dir(&self.lab.dir);
        let total = names.len();
        progress.start(
            Task::Benchmarks,
            &format!("{name}: benchmarks ({bench_name}, {total})"),
        );
        let output = run(&mut command, Some(BENCH_TIMEOUT), progress, |progress| {
            let done = criterion::finished(&home);
            progress.benchmarks_done(done, &format!("{name}: benchmark {done}/{total}"));
        })?;
        if !output.status.success() {
            bail!(
                "bench {bench_name} exited with {}:\n{}",
                output.status,
                process::tail(&(output.stdout + &output.stderr), 30)
            );
        }
        progress.benchmarks_done(total, "");
        let mut estimates = criterion::read(&home)?;
        // Keep the order the bench file runs them in: the order its author chose to show.
        estimates.sort_by_key(|e| names.iter().position(|n| *n == e.id).unwrap_or(usize::MAX));
        Ok(estimates)
    }
}

/// An executable cargo built: its target's kind (`bin`, `bench`) and name.
struct Built {
    kind: String,
    name: String,
    exe: PathBuf,
}

/// `spawn_cost-1a2b3c4d` (cargo's file name for a bench binary) → `spawn_cost`.
fn bench_name(exe: &Path) -> String {
    let stem = exe.file_stem().map(|s| s.to_string_lossy().into_owned());
    let stem = stem.unwrap_or_else(|| "bench".into());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

/// Folds further `--json` runs of a lab into its first report: each of the lab's own records
/// (spread [`schema::Spread::Range`]) takes the middle of every run's median (the lower middle
/// for an even count, so that a value is always one a run produced: a flag stays 0 or 1), the
/// lowest low and the highest high, and the samples of all runs. Criterion's records and ids
/// missing from a run are left as they are. One method, repeated: a run-to-run drift of the
/// machine widens the spread instead of moving the figure.
pub fn combine_runs(report: &mut Report, reruns: &[Report]) {
    if reruns.is_empty() {
        return;
    }
    for record in &mut report.records {
        if record.spread == Some(Spread::Ci95) {
            continue;
        }
        let others: Vec<&Record> = reruns.iter().filter_map(|r| r.get(&record.id)).collect();
        if others.is_empty() {
            continue;
        }
        let mut medians: Vec<f64> = others.iter().map(|r| r.median).collect();
        medians.push(record.median);
        medians.sort_by(f64::total_cmp);
        record.median = medians[(medians.len() - 1) / 2];
        record.low = others.iter().map(|r| r.low).fold(record.low, f64::min);
        record.high = others.iter().map(|r| r.high).fold(record.high, f64::max);
        record.samples += others.iter().map(|r| r.samples).sum::<u64>();
    }
}

/// Adds criterion's estimates to a lab's report as records of their own (see the module
/// docs). Ids are made directive-friendly: `LAB/` in front if missing, no whitespace. Fails,
/// naming them, if a benchmark has the id of one of the lab's own records (two methods for
/// one quantity) or is not described by the lab; the others are merged.
pub fn merge(lab: &str, report: &mut Report, estimates: Vec<Estimate>) -> anyhow::Result<()> {
    let prefix = format!("{lab}/");
    let id_of = |id: &str| -> String {
        let full = if id.starts_with(&prefix) {
            id.to_owned()
        } else {
            format!("{prefix}{id}")
        };
        full.split_whitespace().collect::<Vec<_>>().join("-")
    };
    let mut undescribed = Vec::new();
    let mut two_sources = Vec::new();
    for estimate in estimates {
        let id = id_of(&estimate.id);
        if report.records.iter().any(|r| r.id == id) {
            // One figure per fact: the lab timed this quantity itself, and so did criterion.
            two_sources.push(id);
            continue;
        }
        let described = report.benchmarks.iter().find(|b| id_of(&b.id) == id);
        let Some(what) = described.map(|b| b.what.clone()) else {
            undescribed.push(id);
            continue;
        };
        report.records.push(Record {
            spread: Some(Spread::Ci95),
            ..Record::nanos(
                id,
                what,
                schema::Summary {
                    median: estimate.median,
                    low: estimate.low,
                    high: estimate.high,
                    samples: estimate.samples,
                },
            )
        });
    }
    if !two_sources.is_empty() {
        bail!(
            "two sources for {}: the lab's `--json` records it and a criterion benchmark \
             measures it too. One quantity has one measuring method: drop the record and \
             describe the benchmark (`Report::describe_benchmark`), or drop the benchmark",
            two_sources.join(", ")
        );
    }
    if !undescribed.is_empty() {
        bail!(
            "benchmark(s) the lab does not describe: {}. Give each the words the book shows \
             with `Report::describe_benchmark` in the lab's report",
            undescribed.join(", ")
        );
    }
    Ok(())
}

/// Runs a command with its output captured, redrawing the progress bar (and calling `tick`)
/// while it runs; kills it after `timeout`. A lab runs in the terminal's process group, so a
/// Ctrl-C reaches it too; its own children die with it (kit sets PDEATHSIG).
fn run(
    command: &mut Command,
    timeout: Option<Duration>,
    progress: &mut Progress,
    mut tick: impl FnMut(&mut Progress),
) -> anyhow::Result<Ran> {
    let program = command.get_program().to_string_lossy().into_owned();
    let limits = Limits {
        timeout,
        own_group: false,
        poll: Duration::from_millis(200),
    };
    let ran = process::run(command, limits, || {
        tick(progress);
        progress.draw();
    })?;
    if ran.timed_out {
        bail!(
            "{program} ran longer than {} and was killed",
            clock(ran.elapsed.as_secs_f64())
        );
    }
    Ok(ran)
}

/// `45s`, `2m05s`, `1h02m`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lab's report of one record of its own, `spawn-cost/thread`.
    fn thread_report() -> Report {
        let mut report = Report::new("spawn-cost");
        report.push(Record::nanos(
            "spawn-cost/thread",
            "spawn and join a thread",
            schema::Summary::single(50_000.0),
        ));
        report
    }

    fn estimate(id: &str, median: f64) -> Estimate {
        Estimate {
            id: id.into(),
            median,
            low: median - 1.0,
            high: median + 1.0,
            samples: 100,
        }
    }

    #[test]
    fn a_described_benchmark_becomes_a_record_of_its_own() {
        let mut report = thread_report();
        report.describe_benchmark("spawn-cost/fork", "fork, then wait");
        report.describe_benchmark("spawn-cost/group/spawn thread", "a thread in a group");
        report.describe_benchmark("spawn-cost/not-run", "a benchmark that did not run");
        merge(
            "spawn-cost",
            &mut report,
            vec![
                estimate("spawn-cost/fork", 300_000.0),
                estimate("group/spawn thread", 7.0),
            ],
        )
        .unwrap();
        let records = &report.records;
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "spawn-cost/thread",
                "spawn-cost/fork",
                "spawn-cost/group/spawn-thread"
            ]
        );
        assert_eq!(
            records[0].median, 50_000.0,
            "the lab's own figure, untouched"
        );
        assert_eq!(records[0].spread, Some(Spread::Range));
        assert_eq!(records[1].what, "fork, then wait", "described by the lab");
        assert_eq!((records[1].median, records[1].samples), (300_000.0, 100));
        assert_eq!(records[1].unit, schema::Unit::Nanoseconds);
        assert_eq!(records[2].what, "a thread in a group");
        assert!(
            records[1..].iter().all(|r| r.spread == Some(Spread::Ci95)),
            "criterion's spread is a confidence interval: {records:?}"
        );
    }

    /// One figure per fact: a quantity the lab records and a benchmark also measures has two
    /// sources, and `measure` refuses it rather than keep either silently.
    #[test]
    fn a_record_id_with_two_sources_is_rejected() {
        let mut report = thread_report();
        let err = merge(
            "spawn-cost",
            &mut report,
            vec![estimate("thread", 20_000.0)],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("two sources for spawn-cost/thread"), "{err}");
        assert!(err.contains("describe_benchmark"), "{err}");
        assert_eq!(report.records[0].median, 50_000.0, "nothing overwritten");
        assert_eq!(report.records.len(), 1);
    }

    #[test]
    fn repeated_runs_keep_the_middle_median_and_the_widest_spread() {
        let run = |thread: f64, flag: bool| {
            let mut report = Report::new("spawn-cost");
            report.push(Record::new(
                "spawn-cost/thread",
                "a thread",
                schema::Unit::Nanoseconds,
                schema::Summary {
                    median: thread,
                    low: thread - 1.0,
                    high: thread + 1.0,
                    samples: 10,
                },
            ));
            report.push(Record::flag("spawn-cost/ok", "it worked", flag));
            report
        };
        let mut first = run(50.0, true);
        first.describe_benchmark("spawn-cost/bench", "a benchmark");
        merge("spawn-cost", &mut first, vec![estimate("bench", 7.0)]).unwrap();
        combine_runs(&mut first, &[run(20.0, false), run(30.0, true)]);
        let thread = first.get("spawn-cost/thread").unwrap();
        assert_eq!((thread.median, thread.low, thread.high), (30.0, 19.0, 51.0));
        assert_eq!(thread.samples, 30);
        assert_eq!(
            first.get("spawn-cost/ok").unwrap().median,
            1.0,
            "a flag stays 0 or 1"
        );
        assert_eq!(
            first.get("spawn-cost/bench").unwrap().median,
            7.0,
            "criterion's untouched"
        );
        let mut two = run(50.0, true);
        combine_runs(&mut two, &[run(20.0, false)]);
        assert_eq!(
            two.get("spawn-cost/thread").unwrap().median,
            20.0,
            "the lower middle"
        );
        assert_eq!(two.get("spawn-cost/ok").unwrap().median, 0.0);
    }

    /// The page draws a lab's timelines from its results file, so measuring must not lose
    /// them: merging benchmarks and folding in reruns keep the first run's, and the file
    /// written holds them.
    #[test]
    fn timelines_survive_merging_repeats_and_writing() {
        use schema::timeline::{Lane, LaneKind, Span, Timeline};
        let run = |end_ns: u64| {
            let mut report = Report::new("cpu-bound");
            report.push(Record::flag("cpu-bound/own", "its own", true));
            report.describe_benchmark("cpu-bound/bench", "a benchmark");
            let lane = Lane {
                name: "thread 1".into(),
                kind: LaneKind::Thread,
                spans: vec![Span {
                    begin_ns: 0,
                    end_ns,
                    cpu_begin: 0,
                    cpu_end: 0,
                }],
                voluntary: 0,
                involuntary: 0,
            };
            let timeline = Timeline::new(vec![lane]);
            report
                .timelines
                .push(("cpu-bound/timeline/threads".into(), timeline));
            report
        };
        let mut report = run(10);
        merge("cpu-bound", &mut report, vec![estimate("bench", 7.0)]).unwrap();
        combine_runs(&mut report, &[run(20), run(30)]);
        let kept = report.timeline("cpu-bound/timeline/threads").unwrap();
        assert_eq!(kept.lanes[0].spans[0].end_ns, 10, "the first run's");
        let dir = tempfile::tempdir().unwrap();
        results::write_report(dir.path(), &report).unwrap();
        let written = results::ResultSet::load(dir.path()).unwrap();
        let (timeline, _) = written.timeline("cpu-bound/timeline/threads").unwrap();
        assert_eq!(timeline, kept);
    }

    #[test]
    fn a_benchmark_described_nowhere_fails_the_lab() {
        let mut report = Report::new("cpu-bound");
        report.describe_benchmark("cpu-bound/sequential", "one thread");
        let err = merge(
            "cpu-bound",
            &mut report,
            vec![
                estimate("sequential", 2.0),
                estimate("threads/1", 3.0),
                estimate("cpu-bound/threads/2", 4.0),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cpu-bound/threads/1, cpu-bound/threads/2"),
            "{err}"
        );
        assert!(err.contains("describe_benchmark"), "{err}");
        assert_eq!(report.records[0].median, 2.0, "the others are merged");
    }

    #[test]
    fn names_bench_binaries_and_durations() {
        assert_eq!(
            bench_name(Path::new("/t/release/deps/spawn_cost-06fc0df65e912b61")),
            "spawn_cost"
        );
        assert_eq!(bench_name(Path::new("/t/x/plain-name")), "plain-name");
        assert_eq!(clock(45.4), "45s");
        assert_eq!(clock(125.0), "2m05s");
        assert_eq!(clock(3720.0), "1h02m");
    }
}
