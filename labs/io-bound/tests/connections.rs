//! What the page's "Many connections" section claims: every client gets exactly its answer
//! from every server model; a thread per connection holds about N threads at its peak while
//! async tasks need only the runtime's few; a bad N, or one the open-file limit cannot hold, is
//! one line and exit status 2; nothing is left behind, also on SIGINT and SIGTERM.
//!
//! The lab is run as a binary: its server is the binary run again (`--serve`), which a test
//! process cannot be. Every test holds the fork lock while the lab runs.

#![cfg(target_os = "linux")]

use io_bound::connections::client::percentile;
use io_bound::connections::{MAX_PROCESSES, Model, cpus};
use kit::testing::{fork_lock, json_report, live_descendants, readable_report, run_lab};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_io-bound");

/// N for the tests: small enough to be quick, large enough that a thread per connection shows.
const N: usize = 200;

fn record(report: &kit::Report, model: Model, what: &str) -> kit::Record {
    let id = format!("io-bound/connections/{}/{what}", model.id());
    report
        .get(&id)
        .unwrap_or_else(|| panic!("no record {id}"))
        .clone()
}

#[test]
fn every_client_gets_its_answer_from_every_model() {
    let _lock = fork_lock();
    let n = N.to_string();
    let report = json_report(BIN, &["--connections", &n, "--hold-ms", "2"]);
    assert_eq!(
        report.get("io-bound/connections/clients").unwrap().median,
        N as f64
    );
    for model in Model::ALL {
        assert_eq!(
            record(&report, model, "right").median,
            N as f64,
            "{model:?}"
        );
        let units = [
            ("throughput", "requests/s"),
            ("p50", "ns"),
            ("p99", "ns"),
            ("rss", "bytes"),
            ("threads", "threads"),
        ];
        for (what, unit) in units {
            let r = record(&report, model, what);
            assert_eq!(r.unit, unit, "{model:?} {what}");
            assert!(r.median > 0.0, "{model:?} {what}: {r:?}");
        }
        assert!(record(&report, model, "p50").median <= record(&report, model, "p99").median);
    }
    // Only the many-connections mode ran: none of the K-fetch records.
    assert!(report.get("io-bound/sequential").is_none());
    assert_eq!(live_descendants(), [], "the lab left processes behind");
}

#[test]
fn a_thread_per_connection_holds_n_threads_where_async_needs_a_few() {
    let _lock = fork_lock();
    let n = N.to_string();
    let peak = |model: Model| {
        let report = json_report(BIN, &["--connections", &n, "--server", model.id()]);
        assert_eq!(record(&report, model, "right").median, N as f64);
        record(&report, model, "threads").median as usize
    };
    // The lab samples the server once it has accepted all N, before any request is sent:
    // every connection's thread (or process) exists then.
    let threads = peak(Model::Threads);
    assert!(threads >= N / 2, "{threads} threads for {N} connections");
    let processes = peak(Model::Processes);
    assert!(processes >= N / 2, "{processes} tasks for {N} connections");
    // tokio's default: a worker per CPU, plus the server's main thread.
    let tasks = peak(Model::Async);
    assert!(tasks <= cpus() + 2, "{tasks} threads on {} CPUs", cpus());
    let pool = peak(Model::Pool);
    assert!(
        pool <= cpus() + 1,
        "{pool} threads for a pool of {}",
        cpus()
    );
    assert_eq!(live_descendants(), []);
}

#[test]
fn too_few_open_files_is_one_line_naming_the_limit() {
    let _lock = fork_lock();
    // The shell lowers the soft and hard limits, then becomes the lab.
    let out = Command::new("sh")
        .args(["-c", r#"ulimit -n 256 && exec "$0" "$@""#, BIN])
        .args(["--connections", "1000"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("RLIMIT_NOFILE allows 256"), "{stderr}");
    assert!(stderr.contains("ulimit -n"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_soft_limit_below_need_is_raised_to_the_hard_one() {
    let _lock = fork_lock();
    let out = Command::new("sh")
        .args(["-c", r#"ulimit -Sn 64 && exec "$0" "$@""#, BIN])
        .args(["--connections", "100", "--server", "async", "--json"])
        .output()
        .unwrap();
    // Only where the hard limit is itself too low would the lab refuse.
    let hard = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .unwrap()
        .1;
    if hard >= 200 {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
}

#[test]
fn the_readable_report_names_every_model() {
    let _lock = fork_lock();
    let text = readable_report(BIN, &["--connections", "50", "--hold-ms", "1"]);
    for model in Model::ALL {
        assert!(text.contains(model.label()), "{model:?}:\n{text}");
    }
    assert!(text.contains("50/50"), "{text}");
}

#[test]
fn the_process_model_refuses_more_children_than_its_cap() {
    let _lock = fork_lock();
    let n = (MAX_PROCESSES + 1).to_string();
    let out = run_lab(BIN, &["--connections", &n, "--server", "processes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("at most {MAX_PROCESSES}")),
        "{stderr}"
    );
}

#[test]
fn percentiles_are_nearest_rank() {
    let ms = |n: u64| Duration::from_millis(n);
    let sorted: Vec<Duration> = (1..=100).map(ms).collect();
    assert_eq!(percentile(&sorted, 50.0), ms(50));
    assert_eq!(percentile(&sorted, 99.0), ms(99));
    assert_eq!(percentile(&sorted, 100.0), ms(100));
    assert_eq!(percentile(&[ms(7)], 99.0), ms(7));
    assert_eq!(percentile(&[], 50.0), Duration::ZERO);
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--connections", "0"],
        &["--connections", "10001"],
        &["--connections", "many"],
        &["--server", "fibers"],
        &["--hold-ms", "0"],
        &["--hold-ms", "10001"],
        &["--pool-threads", "0"],
    ],
    help_mentions: ["--connections", "--server", "--hold-ms", "--pool-threads"],
    // The server copy's own flag is internal.
    help_hides: ["--serve <"],
    quick_run: ["--connections", "20", "--hold-ms", "1"],
    // A process per connection, each holding its request for seconds: the signal comes while
    // the server and its children are all there. Few of them, since finding them scans /proc
    // once per process found.
    busy_run: ["--connections", "20", "--server", "processes", "--hold-ms", "5000"],
    busy_ready: |below| below.len() > 10,
}
