//! What the page's "Many connections" section claims: every client gets exactly its answer
//! from every server model at every N of the sweep; a thread per connection holds about N
//! threads at its peak, growing with N, while async tasks need only the runtime's few at every
//! N; a bad N list, or an N the open-file limit cannot hold, is one line and exit status 2; a
//! model that cannot take an N is skipped and reported, not an error; nothing is left behind,
//! also on SIGINT and SIGTERM.
//!
//! The lab is run as a binary: its server is the binary run again (`--serve`), which a test
//! process cannot be. Every test holds the fork lock while the lab runs.

#![cfg(target_os = "linux")]

use io_bound::connections::client::percentile;
use io_bound::connections::{Connections, MAX_PROCESSES, Model, Sizes, cpus};
use kit::testing::{
    fork_lock, json_report, live_descendants, readable_report, record_ids, run_lab,
};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_io-bound");

/// The sweep for the tests: small enough to be quick, far enough apart that a thread per
/// connection's growth shows.
const SWEEP: [usize; 2] = [20, 100];
const SWEEP_ARG: &str = "20,100";

fn record(report: &kit::Report, model: Model, what: &str, n: usize) -> kit::Record {
    let id = Connections::id(model, what, n);
    report
        .get(&id)
        .unwrap_or_else(|| panic!("no record {id}"))
        .clone()
}

#[test]
fn every_client_gets_its_answer_from_every_model_at_every_n() {
    let _lock = fork_lock();
    let report = json_report(BIN, &["--connections", SWEEP_ARG, "--hold-ms", "2"]);
    for n in SWEEP {
        let clients = format!("io-bound/connections/clients/{n}");
        assert_eq!(report.get(&clients).unwrap().median, n as f64);
        for model in Model::ALL {
            assert_eq!(
                record(&report, model, "right", n).median,
                n as f64,
                "{model:?} N = {n}"
            );
            let units = [
                ("throughput", "requests/s"),
                ("p50", "ns"),
                ("p99", "ns"),
                ("rss", "bytes"),
                ("threads", "threads"),
            ];
            for (what, unit) in units {
                let r = record(&report, model, what, n);
                assert_eq!(r.unit, unit, "{model:?} {what} {n}");
                assert!(r.median > 0.0, "{model:?} {what} {n}: {r:?}");
            }
            assert!(
                record(&report, model, "p50", n).median <= record(&report, model, "p99", n).median
            );
        }
    }
    // A model's records of one metric come together, smallest N first: one bar per N.
    let ids = record_ids(&report);
    let at = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    assert_eq!(
        at("io-bound/connections/threads/rss/20") + 1,
        at("io-bound/connections/threads/rss/100")
    );
    // Only the many-connections mode ran: none of the K-fetch records.
    assert!(report.get("io-bound/sequential").is_none());
    assert_eq!(live_descendants(), [], "the lab left processes behind");
}

#[test]
fn threads_grow_with_n_for_a_thread_per_connection_and_not_for_async() {
    let _lock = fork_lock();
    let peaks = |model: Model| {
        let report = json_report(BIN, &["--connections", SWEEP_ARG, "--server", model.id()]);
        SWEEP.map(|n| {
            assert_eq!(record(&report, model, "right", n).median, n as f64);
            record(&report, model, "threads", n).median as usize
        })
    };
    // The lab samples the server once it has accepted all N, before any request is sent:
    // every connection's thread (or process) exists then.
    let [small, large] = peaks(Model::Threads);
    assert!(
        small >= SWEEP[0] / 2,
        "{small} threads for {} connections",
        SWEEP[0]
    );
    assert!(
        large >= SWEEP[1] / 2,
        "{large} threads for {} connections",
        SWEEP[1]
    );
    assert!(large > small, "{small} then {large} threads as N grew");
    let [small, large] = peaks(Model::Processes);
    assert!(
        large > small && large >= SWEEP[1] / 2,
        "{small} then {large} tasks"
    );
    // tokio's default: a worker per CPU, plus the server's main thread, whatever N.
    for tasks in peaks(Model::Async) {
        assert!(tasks <= cpus() + 2, "{tasks} threads on {} CPUs", cpus());
    }
    for pool in peaks(Model::Pool) {
        assert!(
            pool <= cpus() + 1,
            "{pool} threads for a pool of {}",
            cpus()
        );
    }
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
fn the_readable_report_names_every_model_at_every_n() {
    let _lock = fork_lock();
    let text = readable_report(BIN, &["--connections", "20,50", "--hold-ms", "1"]);
    for model in Model::ALL {
        assert!(text.contains(model.label()), "{model:?}:\n{text}");
    }
    assert!(text.contains("20/20") && text.contains("50/50"), "{text}");
}

#[test]
fn the_process_model_is_skipped_past_its_cap_and_said_so() {
    let _lock = fork_lock();
    // Above the cap the process model is skipped at that N, the others run, and the report
    // says why: not an error.
    let large = (MAX_PROCESSES + 1).to_string();
    let list = format!("20,{large}");
    let out = run_lab(BIN, &["--connections", &list, "--server", "processes"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("20/20"), "{stdout}");
    let skipped = format!("skipped: a process per connection at N = {large}");
    assert!(stdout.contains(&skipped), "{stdout}");
    assert!(
        stdout.contains(&format!("at most {MAX_PROCESSES}")),
        "{stdout}"
    );
    assert_eq!(live_descendants(), []);
}

#[test]
fn a_sweep_the_process_model_cannot_take_at_all_is_refused() {
    let _lock = fork_lock();
    let n = (MAX_PROCESSES + 1).to_string();
    let out = run_lab(BIN, &["--connections", &n, "--server", "processes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("at most {MAX_PROCESSES}")),
        "{stderr}"
    );
}

#[test]
fn a_list_is_ascending_without_repeats_and_short() {
    assert_eq!(
        Sizes::parse("100,1000,10000").unwrap().0,
        [100, 1000, 10_000]
    );
    assert_eq!(Sizes::parse("7").unwrap().0, [7]);
    assert_eq!(Sizes::parse("20,20,50").unwrap().0, [20, 50]);
    for bad in ["", "50,20", "0", "10001", "1,,2", "1,2,3,4,5,6", "many"] {
        assert!(Sizes::parse(bad).is_err(), "{bad:?}");
    }
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
        &["--connections", "1000,100"],
        &["--connections", "100,1000,"],
        &["--connections", "1,2,3,4,5,6"],
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
