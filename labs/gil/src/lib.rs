//! Mistake 1: threads for CPU-bound work in Python.
//!
//! CPython's global interpreter lock lets one thread at a time run Python code, so CPU-bound
//! Python threads take turns instead of running in parallel. The lab runs the same sum of
//! squares in Python (sequentially, with threads, with processes) and in Rust (sequentially
//! and with scoped threads), and checks that every sum agrees.
//!
//! Rust has no GIL, but the same serialisation is easy to build by hand: threads that take
//! one shared `Mutex` for every step of their work run no faster than one thread.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail, ensure};
use kit::spans::{Origin, UNKNOWN_CPU};
use kit::timeline::{Checkpoints, Lane, LaneKind, Span, Timeline};
use serde::Deserialize;
use std::hint::black_box;
use std::io::{ErrorKind, Write};
use std::ops::Range;
use std::process::Stdio;
use std::sync::Mutex;
use std::thread;

pub mod report;

/// The Python side, embedded in the binary and fed to `python3 -` on stdin: no temp file.
pub const PYTHON_SCRIPT: &str = include_str!("sum_squares.py");

/// Splits `0..n` into `workers` contiguous ranges, the first `n % workers` one longer
/// (the Python script's `chunks` does the same).
pub fn chunks(n: u64, workers: usize) -> Vec<Range<u64>> {
    let workers = workers as u64;
    let (size, extra) = (n / workers, n % workers);
    let mut start = 0;
    (0..workers)
        .map(|k| {
            let stop = start + size + u64::from(k < extra);
            let range = start..stop;
            start = stop;
            range
        })
        .collect()
}

// ANCHOR: sum_squares
/// The sum of `i * i` over a range, one step at a time, as the Python loop does.
pub fn sum_squares(range: Range<u64>) -> u128 {
    let mut total = 0u128;
    for i in range {
        // black_box keeps this a loop: without it the optimiser may replace it with the
        // closed formula, and there would be no work left to compare.
        let i = u128::from(black_box(i));
        total += i * i;
    }
    total
}
// ANCHOR_END: sum_squares

// ANCHOR: rust_threads
/// The same sum split over `workers` scoped threads. Each thread owns its part of the work
/// and its own running total; nothing is shared until the results are added up.
pub fn sum_squares_threads(n: u64, workers: usize) -> u128 {
    thread::scope(|scope| {
        let handles: Vec<_> = chunks(n, workers)
            .into_iter()
            .map(|range| scope.spawn(move || sum_squares(range)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .sum()
    })
}
// ANCHOR_END: rust_threads

// ANCHOR: lock_every_step
/// The Rust-side mistake: every step of every thread takes the one shared lock, so the
/// threads take turns, just as Python threads take turns holding the GIL.
pub fn lock_every_step(steps: u64, workers: usize) -> u64 {
    let total = Mutex::new(0u64);
    thread::scope(|scope| {
        for range in chunks(steps, workers) {
            let total = &total;
            scope.spawn(move || {
                for i in range {
                    *total.lock().expect("lock poisoned") += i;
                }
            });
        }
    });
    total.into_inner().expect("lock poisoned")
}
// ANCHOR_END: lock_every_step

// ANCHOR: local_sums
/// The fix: each thread sums its own range locally and takes the lock once, at the end.
pub fn local_sums(steps: u64, workers: usize) -> u64 {
    let total = Mutex::new(0u64);
    thread::scope(|scope| {
        for range in chunks(steps, workers) {
            let total = &total;
            scope.spawn(move || {
                let mut local = 0u64;
                for i in range {
                    local += black_box(i); // black_box: keep the loop, as above
                }
                *total.lock().expect("lock poisoned") += local;
            });
        }
    });
    total.into_inner().expect("lock poisoned")
}
// ANCHOR_END: local_sums

/// One Python run as the script reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PythonTiming {
    /// The sum, as a decimal string (Python's integers have no size limit; JSON's may).
    pub sum: String,
    pub seconds: f64,
}

/// What the Python script printed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PythonReport {
    pub version: String,
    pub implementation: String,
    /// Built with `--disable-gil` (PEP 703), the "free-threaded" build.
    pub free_threaded_build: bool,
    /// `sys._is_gil_enabled()` where it exists (3.13+), else true.
    pub gil_enabled: bool,
    pub sequential: PythonTiming,
    pub threads: PythonTiming,
    pub processes: PythonTiming,
}

impl PythonReport {
    pub fn runs(&self) -> [(&'static str, &PythonTiming); 3] {
        [
            ("sequential", &self.sequential),
            ("threads", &self.threads),
            ("processes", &self.processes),
        ]
    }
}

/// The Python part's outcome: a report, or the reason there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum PythonOutcome {
    Ran(PythonReport),
    /// The interpreter could not be started (not installed, not executable, …).
    Unavailable(String),
}

// ANCHOR: run_python
/// Runs the embedded script with `python -` (read the program from stdin), passing `n` and
/// `workers` as arguments. An interpreter that cannot be started is not an error: the lab
/// says so and carries on with the Rust side. A script that fails is an error.
pub fn run_python(python: &str, n: u64, workers: usize) -> anyhow::Result<PythonOutcome> {
    let output = match run_script(python, &[n.to_string(), workers.to_string()])? {
        Ok(output) => output,
        Err(reason) => return Ok(PythonOutcome::Unavailable(reason)),
    };
    let report = serde_json::from_slice(&output)
        .with_context(|| format!("unexpected output from {python}"))?;
    Ok(PythonOutcome::Ran(report))
}

/// The script's standard output, or (the inner `Err`) why the interpreter could not be
/// started. A script that exits with a failure is an error, with its stderr.
fn run_script(python: &str, args: &[String]) -> anyhow::Result<Result<Vec<u8>, String>> {
    // kit::command: Command::new, plus PR_SET_PDEATHSIG so the interpreter dies with the lab.
    let spawned = kit::command::command(python)
        .arg("-")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return Ok(Err(format!("{python} was not found")));
        }
        Err(err) => return Ok(Err(format!("{python} could not be started: {err}"))),
    };
    // Write the whole script, then close stdin so Python sees its end. Python reads and
    // compiles the entire program before running it. If the interpreter quit early (a broken
    // pipe), its exit status and stderr below say why.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    if let Err(err) = stdin.write_all(PYTHON_SCRIPT.as_bytes())
        && err.kind() != ErrorKind::BrokenPipe
    {
        let _ = child.kill(); // leave no interpreter behind, not even a zombie
        let _ = child.wait();
        return Err(err.into());
    }
    drop(stdin);
    let output = child.wait_with_output()?; // waits: the interpreter is reaped here
    if !output.status.success() {
        bail!(
            "the Python script failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(Ok(output.stdout))
}
// ANCHOR_END: run_python

/// Chunks per worker in a timeline: the script's `CHUNKS`. Every chunk ends in at least one
/// span, so a lane with a chunk missing lost spans on the way.
pub const TIMELINE_CHUNKS: u32 = 20;

/// The timeline ids in the `--json` report: `gil/timeline/threads` and `gil/timeline/processes`.
pub fn timeline_id(kind: LaneKind) -> String {
    format!("gil/timeline/{}", mode_name(kind))
}

/// The script's name for the mode whose workers are of `kind`.
fn mode_name(kind: LaneKind) -> &'static str {
    match kind {
        LaneKind::Thread => "threads",
        LaneKind::Process => "processes",
        // The script has no asyncio mode: its lookup of the name raises KeyError, so the
        // script fails, which `run_script` reports as an error with its stderr.
        LaneKind::Task => "tasks",
    }
}

/// What the script's timeline mode printed, parsed and timed from the lab's origin.
#[derive(Debug, Clone, PartialEq)]
pub struct PythonTimeline {
    /// `sys._is_gil_enabled()` where it exists, else true.
    pub gil_enabled: bool,
    /// The sum of every worker's share, in decimal.
    pub sum: String,
    pub timeline: Timeline,
}

/// Runs the script's timeline mode: the threads (`LaneKind::Thread`) or processes mode once
/// over `0..n` with `workers` workers, each recording its own spans with
/// `time.perf_counter_ns()`, which on Linux reads `CLOCK_MONOTONIC`, the clock of
/// [`kit::spans::Origin`] (the script checks it), so the lab's origin is subtracted here. An
/// interpreter that cannot be started is an error: the caller ran the timed runs first.
pub fn run_python_timeline(
    python: &str,
    n: u64,
    workers: usize,
    kind: LaneKind,
) -> anyhow::Result<PythonTimeline> {
    let origin = Origin::now();
    let args = [n, workers as u64].map(|a| a.to_string());
    let args = [
        &args[..],
        &["timeline".to_owned(), mode_name(kind).to_owned()],
    ]
    .concat();
    let output = run_script(python, &args)?.map_err(anyhow::Error::msg)?;
    let text = String::from_utf8(output).context("the timeline is not UTF-8")?;
    parse_timeline(&text, origin, origin.elapsed_ns(), kind, workers)
        .with_context(|| format!("unexpected timeline from {python}"))
}

/// Parses the script's timeline lines (the format is in `timeline` in `sum_squares.py`),
/// strictly: an unknown or malformed line is an error that quotes it. Times become nanoseconds
/// since `origin`, and must lie between it and `now_ns` (since the origin), which a reading of
/// another clock would not; each of the `workers` lanes must have one `lane` line, its spans
/// in order, and every chunk `0..TIMELINE_CHUNKS` among them.
pub fn parse_timeline(
    text: &str,
    origin: Origin,
    now_ns: u64,
    kind: LaneKind,
    workers: usize,
) -> anyhow::Result<PythonTimeline> {
    let (mut gil_enabled, mut sum, mut readings) = (None, None, None);
    // Per worker: its lane (once its `lane` line is read) and the chunk of each span.
    let mut lanes: Vec<Option<Lane>> = vec![None; workers];
    let mut chunks: Vec<Vec<u32>> = vec![Vec::new(); workers];
    for (number, line) in text.lines().enumerate() {
        let bad = |why: String| anyhow::anyhow!("line {}: {why}: {line:?}", number + 1);
        let fields: Vec<&str> = line.split(' ').collect();
        let int = |at: usize| -> anyhow::Result<u64> {
            fields[at]
                .parse()
                .map_err(|_| bad(format!("field {} is not a count", at + 1)))
        };
        let worker = |at: usize| -> anyhow::Result<usize> {
            let k = int(at)? as usize;
            if k < workers {
                Ok(k)
            } else {
                Err(bad(format!("worker {k} of {workers}")))
            }
        };
        let expect = |count: usize| -> anyhow::Result<()> {
            if fields.len() == count {
                Ok(())
            } else {
                Err(bad(format!("{count} fields expected")))
            }
        };
        match fields[0] {
            "gil" => {
                expect(2)?;
                if gil_enabled.is_some() {
                    return Err(bad("a second gil line".into()));
                }
                gil_enabled = Some(match fields[1] {
                    "1" => true,
                    "0" => false,
                    _ => return Err(bad("gil is 1 or 0".into())),
                });
            }
            "sum" => {
                expect(2)?;
                if sum.is_some() {
                    return Err(bad("a second sum line".into()));
                }
                if fields[1].is_empty() || !fields[1].bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("the sum is not a number".into()));
                }
                sum = Some(fields[1].to_owned());
            }
            "lane" => {
                expect(5)?;
                let k = worker(1)?;
                if lanes[k].is_some() {
                    return Err(bad(format!("a second lane for worker {k}")));
                }
                let id = if kind == LaneKind::Thread {
                    "tid"
                } else {
                    "pid"
                };
                lanes[k] = Some(Lane {
                    name: format!("{} {} ({id} {})", kind.as_str(), k + 1, int(2)?),
                    kind,
                    spans: Vec::new(),
                    voluntary: int(3)?,
                    involuntary: int(4)?,
                });
            }
            "span" => {
                expect(7)?;
                let k = worker(1)?;
                let Some(lane) = lanes[k].as_mut() else {
                    return Err(bad(format!("a span before worker {k}'s lane line")));
                };
                let chunk = int(2)?;
                if chunk >= u64::from(TIMELINE_CHUNKS) {
                    return Err(bad(format!("chunk {chunk} of {TIMELINE_CHUNKS}")));
                }
                let since_origin = |at: usize| -> anyhow::Result<u64> {
                    let ns = int(at)?.checked_sub(origin.as_ns()).ok_or_else(|| {
                        bad("a time before the lab's origin: not CLOCK_MONOTONIC".into())
                    })?;
                    if ns > now_ns {
                        return Err(bad("a time after the script ended".into()));
                    }
                    Ok(ns)
                };
                let cpu = |at: usize| -> anyhow::Result<u32> {
                    match fields[at] {
                        "-1" => Ok(UNKNOWN_CPU),
                        _ => u32::try_from(int(at)?).map_err(|_| bad("not a CPU".into())),
                    }
                };
                lane.spans.push(Span {
                    begin_ns: since_origin(3)?,
                    end_ns: since_origin(4)?,
                    cpu_begin: cpu(5)?,
                    cpu_end: cpu(6)?,
                });
                if !lane.is_ordered() {
                    return Err(bad(format!("worker {k}'s spans out of order")));
                }
                chunks[k].push(chunk as u32);
            }
            "readings" => {
                expect(3)?;
                if readings.is_some() {
                    return Err(bad("a second readings line".into()));
                }
                readings = Some(Checkpoints {
                    count: int(1)?,
                    cost_ns: int(2)?,
                });
            }
            _ => return Err(bad("not a gil, sum, lane, span or readings line".into())),
        }
    }
    let mut timeline = Timeline::default();
    for (k, (lane, chunks)) in lanes.into_iter().zip(chunks).enumerate() {
        let lane = lane.with_context(|| format!("no lane line for worker {k}"))?;
        // In order, each chunk at least once: 0, 0, 1, 2, 2, ... up to the last.
        let mut expected = 0;
        for chunk in chunks {
            if chunk == expected {
                expected += 1;
            } else if chunk + 1 != expected {
                bail!("worker {k}: chunk {chunk} where chunk {expected} was due");
            }
        }
        ensure!(
            expected == TIMELINE_CHUNKS,
            "worker {k}: spans for {expected} of {TIMELINE_CHUNKS} chunks"
        );
        timeline.lanes.push(lane);
    }
    // What the readings inside the work cost, for the summary under the picture.
    timeline.checkpoints = Some(readings.context("no readings line")?);
    Ok(PythonTimeline {
        gil_enabled: gil_enabled.context("no gil line")?,
        sum: sum.context("no sum line")?,
        timeline,
    })
}

/// How much the workers ran at the same time: the overlap of every pair of lanes
/// ([`Timeline::overlap_ns`]) over the most it could have been, the busy time of the pair's
/// less busy lane, summed over the pairs. 0 when no two workers ever ran at once, 1 when the
/// less busy of each pair only ever ran while the other did; 0 without pairs.
pub fn overlap_fraction(timeline: &Timeline) -> f64 {
    let lanes = &timeline.lanes;
    let (mut overlap, mut most) = (0u64, 0u64);
    for a in 0..lanes.len() {
        for b in a + 1..lanes.len() {
            overlap += timeline.overlap_ns(a, b);
            most += lanes[a].busy_ns().min(lanes[b].busy_ns());
        }
    }
    if most == 0 {
        0.0
    } else {
        overlap as f64 / most as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_exactly() {
        assert_eq!(chunks(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(chunks(2, 4), vec![0..1, 1..2, 2..2, 2..2]);
    }

    /// A timeline of one worker, all its chunks in one span each, at `base` ns on the clock.
    fn lines(base: u64) -> String {
        let mut text = "gil 1\nsum 42\nlane 0 77 3 4\n".to_owned();
        for chunk in 0..TIMELINE_CHUNKS as u64 {
            let at = base + 10 * chunk;
            text += &format!("span 0 {chunk} {at} {} 1 -1\n", at + 5);
        }
        text + "readings 60 90\n"
    }

    #[test]
    fn timeline_lines_parse_onto_the_labs_origin() {
        let origin = Origin::from_ns(1_000);
        let parsed = parse_timeline(&lines(1_100), origin, 1_000, LaneKind::Thread, 1).unwrap();
        assert!(parsed.gil_enabled);
        assert_eq!(parsed.sum, "42");
        let lane = &parsed.timeline.lanes[0];
        assert_eq!(lane.name, "thread 1 (tid 77)");
        assert_eq!((lane.voluntary, lane.involuntary), (3, 4));
        assert_eq!(lane.spans.len(), TIMELINE_CHUNKS as usize);
        let first = lane.spans[0];
        assert_eq!((first.begin_ns, first.end_ns), (100, 105));
        assert_eq!((first.cpu_begin, first.cpu_end), (1, UNKNOWN_CPU));
        let checkpoints = parsed.timeline.checkpoints.unwrap();
        assert_eq!((checkpoints.count, checkpoints.cost_ns), (60, 90));
    }

    #[test]
    fn a_bad_timeline_line_is_an_error_that_quotes_it() {
        let origin = Origin::from_ns(1_000);
        let parse = |text: &str| {
            parse_timeline(text, origin, 1_000, LaneKind::Process, 1)
                .unwrap_err()
                .to_string()
        };
        let good = lines(1_100);
        let bad_line = good.replace("span 0 3 ", "span 0 3 x");
        assert!(
            parse(&bad_line).contains("line 7: "),
            "{}",
            parse(&bad_line)
        );
        let extra = format!("{good}spam\n");
        assert!(parse(&extra).contains("\"spam\""), "{}", parse(&extra));
        // A reading from before the origin is of another clock.
        assert!(parse(&lines(900)).contains("not CLOCK_MONOTONIC"));
        // A chunk missing, a worker missing, spans out of order.
        let missing = good.replace("span 0 5 1150 1155 1 -1\n", "");
        assert!(
            parse(&missing).contains("chunk 6 where chunk 5"),
            "{}",
            parse(&missing)
        );
        let unread = good.replace("readings 60 90\n", "");
        assert!(
            parse(&unread).contains("no readings line"),
            "{}",
            parse(&unread)
        );
        let two = parse_timeline(&good, origin, 1_000, LaneKind::Process, 2).unwrap_err();
        assert!(two.to_string().contains("worker 1"), "{two}");
        let swapped = good.replace("span 0 1 1110 1115", "span 0 1 1090 1095");
        assert!(
            parse(&swapped).contains("out of order"),
            "{}",
            parse(&swapped)
        );
    }

    #[test]
    fn overlap_fraction_is_zero_for_turns_and_one_side_by_side() {
        let lane = |spans: &[(u64, u64)]| Lane {
            name: "w".into(),
            kind: LaneKind::Thread,
            spans: spans
                .iter()
                .map(|&(begin_ns, end_ns)| Span {
                    begin_ns,
                    end_ns,
                    cpu_begin: 0,
                    cpu_end: 0,
                })
                .collect(),
            voluntary: 0,
            involuntary: 0,
        };
        let turns = Timeline::new(vec![
            lane(&[(0, 10), (20, 30)]),
            lane(&[(10, 20), (30, 40)]),
        ]);
        assert_eq!(overlap_fraction(&turns), 0.0);
        let side_by_side = Timeline::new(vec![lane(&[(0, 40)]), lane(&[(0, 10), (20, 30)])]);
        assert_eq!(overlap_fraction(&side_by_side), 1.0);
        assert_eq!(overlap_fraction(&Timeline::default()), 0.0);
    }

    #[test]
    fn sums_match_the_closed_formula() {
        let n: u128 = 100_000;
        assert_eq!(sum_squares(0..100_000), (n - 1) * n * (2 * n - 1) / 6);
        assert_eq!(sum_squares_threads(100_000, 3), sum_squares(0..100_000));
    }
}
