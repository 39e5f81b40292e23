//! What the io-bound page claims: every mode fetches all K responses with the right content,
//! waiting at the same time beats waiting in turn (in units of the delay), children are reaped,
//! and the server leaves nothing behind.
//!
//! Every test holds the fork lock: the process mode forks, and a child forked by one test would
//! inherit another test's listening socket (keeping its port busy) or show up in
//! `live_children`.

#![cfg(target_os = "linux")]

use io_bound::{
    Mode, REQUEST, RESPONSE, Server, fetch, fetch_all, fetch_async, fetch_traced,
    fetch_with_processes, fetch_with_tasks, runtime, timeline_id,
};
use kit::testing::{
    assert_mentions, assert_unwritable_timeline_refused, assert_usage_error, fork_lock, lab_report,
    live_children, readable_report, timeline_document,
};
use kit::timeline::{LaneKind, Timeline};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_io-bound");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--requests", "2", "--delay-ms", "5"];

#[test]
fn every_mode_fetches_all_k_responses_with_the_right_content() {
    let _lock = fork_lock();
    let server = Server::start(Duration::from_millis(10)).unwrap();
    for requests in [1, 8, 32] {
        for mode in Mode::ALL {
            let fetched = fetch_all(mode, server.addr(), requests).unwrap();
            assert_eq!(fetched.right, requests, "{mode:?} with K = {requests}");
            assert!(live_children().is_empty(), "{mode:?} left children");
        }
    }
    server.stop().unwrap();
}

#[test]
fn one_fetch_sends_the_request_and_gets_the_fixed_response() {
    let _lock = fork_lock();
    let server = Server::start(Duration::from_millis(1)).unwrap();
    assert_eq!(fetch(server.addr()).unwrap(), RESPONSE);
    assert!(REQUEST.ends_with(b"\n"));
}

#[test]
fn waiting_at_the_same_time_beats_waiting_in_turn() {
    // Margins in units of the delay D, wide enough for a loaded machine: sequential cannot take
    // less than K × D (the server sleeps D per request); the concurrent modes must take less
    // than half that, K/2 × D, which leaves them 3 × D to create 8 workers and connect.
    let _lock = fork_lock();
    let delay = Duration::from_millis(200);
    let requests = 8;
    let server = Server::start(delay).unwrap();
    let sequential = fetch_all(Mode::Sequential, server.addr(), requests).unwrap();
    assert!(sequential.wall >= delay * requests as u32, "{sequential:?}");
    for mode in [Mode::Threads, Mode::Processes, Mode::Async] {
        let concurrent = fetch_all(mode, server.addr(), requests).unwrap();
        assert_eq!(concurrent.right, requests);
        assert!(concurrent.wall >= delay, "{concurrent:?}");
        assert!(
            concurrent.wall < delay * (requests as u32 / 2),
            "{concurrent:?} is not well below {sequential:?}"
        );
    }
    server.stop().unwrap();
}

/// A mode's timeline has a lane per worker (one for sequential), every request's span arrived,
/// and each lane's spans follow one another.
fn assert_a_span_per_request(mode: Mode, timeline: &Timeline, requests: usize) {
    let (lanes, kind, name) = match mode {
        Mode::Sequential => (1, LaneKind::Thread, "main thread"),
        Mode::Threads => (requests, LaneKind::Thread, "thread 1"),
        Mode::Processes => (requests, LaneKind::Process, "process 1"),
        // A lane per task, all of them on the one thread the runtime runs on.
        Mode::Async => (requests, LaneKind::Task, "task 1"),
    };
    assert_eq!(timeline.lanes.len(), lanes, "{mode:?}: {timeline:?}");
    assert_eq!(timeline.lanes[0].name, name);
    for lane in &timeline.lanes {
        assert_eq!(lane.kind, kind, "{mode:?}: {lane:?}");
        assert!(lane.is_ordered(), "{mode:?}: {lane:?}");
        assert!(lane.spans.iter().all(|s| s.begin_ns < s.end_ns), "{lane:?}");
    }
    let spans: usize = timeline.lanes.iter().map(|l| l.spans.len()).sum();
    assert_eq!(spans, requests, "{mode:?}: a span per request");
}

/// Sum of the time inside spans, and the time from the first span's begin to the last's end.
fn busy_and_extent(timeline: &Timeline) -> (u64, u64) {
    let busy = timeline.lanes.iter().map(|l| l.busy_ns()).sum();
    let (begin, end) = timeline.extent_ns().expect("spans were recorded");
    (busy, end - begin)
}

/// What the page's "See it" says: in the concurrent modes the K requests overlap in time (their
/// spans add up to more than the time from the first to the last), one after another they do
/// not. Each span holds the server's delay, so K spans add up to K delays at least; the
/// concurrent modes' extent stays near one delay, far below that even on a loaded machine.
#[test]
fn the_timelines_show_requests_overlapping_only_in_the_concurrent_modes() {
    let _lock = fork_lock();
    let delay = Duration::from_millis(100);
    let requests = 6;
    let server = Server::start(delay).unwrap();
    for mode in Mode::ALL {
        let (right, timeline) = fetch_traced(mode, server.addr(), requests).unwrap();
        assert_eq!(right, requests, "{mode:?}");
        assert_a_span_per_request(mode, &timeline, requests);
        assert!(live_children().is_empty(), "{mode:?} left children");
        let (busy, extent) = busy_and_extent(&timeline);
        for lane in &timeline.lanes {
            for span in &lane.spans {
                assert!(span.len_ns() >= delay.as_nanos() as u64, "{span:?}");
            }
        }
        if mode == Mode::Sequential {
            assert!(busy <= extent, "{busy} > {extent}: {timeline:?}");
        } else {
            assert!(busy > extent, "{mode:?}: {busy} <= {extent}: {timeline:?}");
        }
    }
    server.stop().unwrap();
}

/// The OS thread that calls this (gettid(2)).
fn tid() -> i32 {
    nix::unistd::gettid().as_raw()
}

/// The names of this process's threads (/proc/self/task/TID/comm, proc(5)).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_owned())
        .collect()
}

/// The async mode's claim: K tasks wait at once on one OS thread. Every task runs, from its
/// first poll to its answer, on the thread that called `block_on`; when each answer is in, the
/// runtime has started no thread of its own (tokio names its threads `tokio-runtime-worker`,
/// cut to 15 bytes in `comm`); each gets exactly the response; and no task is left after.
#[test]
fn the_async_mode_waits_for_every_request_on_one_os_thread() {
    let _lock = fork_lock();
    let requests = 16;
    let server = Server::start(Duration::from_millis(50)).unwrap();
    let addr = server.addr();
    let runtime = runtime().unwrap();
    assert_eq!(runtime.metrics().num_workers(), 1);
    let caller = tid();
    let answers = runtime.block_on(async move {
        let tasks: Vec<_> = (0..requests)
            .map(|_| {
                tokio::spawn(async move {
                    let first = tid();
                    let response = fetch_async(addr).await;
                    (first, tid(), response, thread_names())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    });
    assert_eq!(answers.len(), requests);
    for (first, last, response, names) in answers {
        assert_eq!((first, last), (caller, caller));
        assert_eq!(response.unwrap(), RESPONSE);
        assert!(!names.iter().any(|n| n.starts_with("tokio")), "{names:?}");
    }
    assert_eq!(runtime.metrics().num_alive_tasks(), 0);
    drop(runtime);
    server.stop().unwrap();
}

/// The async mode closes every socket it opened, and its runtime's own descriptors (the epoll
/// instance and its waker) go with it: the process holds as many descriptors after a fetch,
/// server stopped, as before the server started.
#[test]
fn the_async_mode_leaves_no_socket_behind() {
    let _lock = fork_lock();
    let descriptors = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    let before = descriptors();
    let server = Server::start(Duration::from_millis(1)).unwrap();
    assert_eq!(fetch_with_tasks(server.addr(), 32).unwrap(), 32);
    server.stop().unwrap();
    assert_eq!(descriptors(), before);
}

#[test]
fn the_server_frees_its_port_when_stopped() {
    let _lock = fork_lock();
    let server = Server::start(Duration::from_millis(1)).unwrap();
    let addr = server.addr();
    assert_eq!(addr.ip().octets(), [127, 0, 0, 1]);
    assert_ne!(addr.port(), 0, "the kernel picked a port");
    assert_eq!(fetch_with_processes(addr, 4).unwrap(), 4);
    server.stop().unwrap();
    // Nobody listens any more: connecting is refused, and the port can be bound again.
    let refused = TcpStream::connect(addr).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    drop(TcpListener::bind(addr).expect("the port is free again"));
}

#[test]
fn dropping_the_server_stops_it_too() {
    let _lock = fork_lock();
    let addr = {
        let server = Server::start(Duration::from_millis(1)).unwrap();
        assert_eq!(fetch(server.addr()).unwrap(), RESPONSE);
        server.addr()
    };
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn a_child_that_gets_no_answer_is_counted_wrong_and_still_reaped() {
    let _lock = fork_lock();
    // A port that was just free: every child's connect is refused.
    let addr = {
        let server = Server::start(Duration::from_millis(1)).unwrap();
        server.addr()
    };
    assert_eq!(fetch_with_processes(addr, 3).unwrap(), 0);
}

/// `--timeline FILE` draws the four ways' timelines, in order, a lane per request (or the one
/// main thread), each request a span; a path it cannot write, or a run that makes no timeline,
/// is refused before anything runs.
#[test]
fn timeline_draws_every_mode_with_a_lane_per_worker() {
    let _lock = fork_lock();
    let (_, drawn) = timeline_document(BIN, QUICK);
    let titles: Vec<&str> = drawn.iter().map(|t| t.title.as_str()).collect();
    let ids: Vec<String> = Mode::ALL.into_iter().map(timeline_id).collect();
    assert_eq!(titles, ids);
    for figure in &drawn {
        let (lanes, spans) = if figure.title == timeline_id(Mode::Sequential) {
            (1, 2)
        } else {
            (2, 1)
        };
        assert_eq!(figure.lanes.len(), lanes, "{figure:?}");
        assert!(figure.lanes.iter().all(|(_, n)| *n >= spans), "{figure:?}");
    }
    assert_unwritable_timeline_refused(BIN, &["--requests", "256", "--delay-ms", "2000"]);
    assert_usage_error(BIN, &["--server", "async", "--timeline", "out.svg"]);
    assert!(!std::path::Path::new("out.svg").exists());
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--requests", "0"],
        &["--requests", "257"],
        &["--delay-ms", "0"],
        &["--delay-ms", "2001"],
        &["--requests", "many"],
        &["--frobnicate"],
    ],
    help_mentions: ["--requests", "--delay-ms", "--json"],
    quick_run: QUICK,
    // The processes mode comes last; each of its children waits a delay for its answer, so
    // they are still there when the signal comes.
    busy_run: ["--requests", "8", "--delay-ms", "300"],
}

#[test]
fn json_is_a_report_with_every_mode() {
    let _lock = fork_lock();
    // Many connections runs too, over its --json default sweep; a short hold and a large pool
    // keep the fixed pool's 10 000 waits short.
    let quick_pool = ["--hold-ms", "1", "--pool-threads", "100"];
    let report = lab_report(
        BIN,
        "io-bound",
        &[&["--requests", "4", "--delay-ms", "5"][..], &quick_pool].concat(),
    );
    for n in io_bound::connections::DEFAULT_CONNECTIONS {
        let id = format!("io-bound/connections/async/right/{n}");
        assert_eq!(report.get(&id).map(|r| r.median), Some(n as f64), "{id}");
    }
    // Past its cap the process model is skipped: no records at that N.
    assert!(
        report
            .get("io-bound/connections/processes/right/10000")
            .is_none()
    );
    assert_eq!(report.get("io-bound/requests").unwrap().median, 4.0);
    assert_eq!(report.get("io-bound/delay").unwrap().median, 5e6);
    for mode in Mode::ALL {
        let id = mode.id();
        let wall = report.get(&format!("io-bound/{id}")).unwrap();
        assert_eq!(wall.unit, "ns");
        assert!(wall.median >= 5e6, "{id} took at least one delay");
        let right = report.get(&format!("io-bound/{id}-right")).unwrap();
        assert_eq!(right.median, 4.0);
    }
    // Every benchmark is described, with its own K and delay, whatever the flags.
    let described = |id: &str| report.benchmarks.iter().find(|b| b.id == id).unwrap();
    assert_eq!(report.benchmarks.len(), Mode::ALL.len());
    assert_eq!(
        described("io-bound/threads/8-requests-20ms").what,
        "wall time to fetch 8 resources with a 20 ms delay, one thread each"
    );
    // A timeline of every mode, a lane per worker, for the page to draw.
    let ids: Vec<&str> = report.timelines.iter().map(|(id, _)| id.as_str()).collect();
    let expected: Vec<String> = Mode::ALL.into_iter().map(timeline_id).collect();
    assert_eq!(ids, expected);
    for mode in Mode::ALL {
        let timeline = report.timeline(&timeline_id(mode)).unwrap();
        assert_a_span_per_request(mode, timeline, 4);
    }
}

#[test]
fn the_readable_report_names_the_machine_and_every_mode() {
    let _lock = fork_lock();
    let text = readable_report(BIN, QUICK);
    assert_mentions(
        &text,
        &[
            "one after another",
            "one thread each",
            "one process each",
            "one async task each",
        ],
    );
}
