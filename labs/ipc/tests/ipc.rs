//! What the ipc page claims: over every transport, every byte arrives intact and in order,
//! for small and large messages; every echo comes back unchanged; every child is reaped; the
//! CLI behaves. No timing is asserted.
//!
//! Every test that forks or starts the binary holds the fork lock, so that no other test's
//! leftover check (the lock's drop) counts its children.

#![cfg(target_os = "linux")]

use ipc::{
    Checksum, Echo, Message, Transport, latency_id, size_label, stream, stream_checked, stream_id,
    throughput_id,
};
use kit::testing::{fork_lock, json_report, lab_report, live_children, readable_report};

const EXE: &str = env!("CARGO_BIN_EXE_ipc");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--round-trips", "200", "--messages", "4", "--runs", "2"];

/// Sizes around the edges: the smallest message, a pipe's atomic limit and beyond, sizes
/// that are not multiples of 8 or of the ring, and messages bigger than every buffer.
const SIZES: [usize; 7] = [8, 64, 1000, 4096, 65_539, 300_007, 1 << 20];

#[test]
fn every_byte_arrives_intact_and_in_order() {
    let _lock = fork_lock();
    for transport in Transport::ALL {
        for size in SIZES {
            let count = if size >= 1 << 20 { 20 } else { 37 };
            let streamed = stream(transport, size, count).unwrap();
            assert_eq!(
                streamed.received,
                streamed.expected,
                "{} with {size}-byte messages",
                transport.name()
            );
            assert_eq!(streamed.received.bytes, count * size as u64);
            assert_eq!(streamed.bytes, count * size as u64);
            assert_eq!(live_children(), [], "{} left a child", transport.name());
        }
    }
}

#[test]
fn every_echo_comes_back_unchanged() {
    let _lock = fork_lock();
    for transport in Transport::ALL {
        for size in [8, 64, 1000, 100_003] {
            let mut echo = Echo::start(transport, size, 50).unwrap();
            echo.round_trips(20).unwrap();
            echo.round_trips(30).unwrap();
            assert_eq!(echo.finish().unwrap(), 50, "{}", transport.name());
        }
        assert_eq!(live_children(), [], "{} left a child", transport.name());
    }
}

#[test]
fn asking_for_more_echoes_than_planned_is_an_error_and_leaves_no_child() {
    let _lock = fork_lock();
    for transport in Transport::ALL {
        let mut echo = Echo::start(transport, 64, 3).unwrap();
        echo.round_trips(3).unwrap();
        assert!(echo.round_trips(1).is_err());
        drop(echo);
        assert!(live_children().is_empty(), "{}", transport.name());
    }
}

#[test]
fn the_checksum_notices_order_and_content() {
    let mut message = Message::new(4096);
    let first = message.stamped(0).to_vec();
    let second = message.stamped(1).to_vec();
    let sum = |parts: &[&[u8]]| {
        let mut checksum = Checksum::default();
        for part in parts {
            checksum.add(part);
        }
        checksum
    };
    let in_order = sum(&[&first, &second]);
    assert_eq!(in_order, message.stream_checksum(2));
    assert_ne!(in_order, sum(&[&second, &first]), "swapped messages");
    let mut flipped = second.clone();
    flipped[4000] ^= 1;
    assert_ne!(in_order, sum(&[&first, &flipped]), "one flipped bit");
    // The same bytes cut at other places add up the same when the cuts fall on 8-byte words.
    let joined = [first.as_slice(), second.as_slice()].concat();
    assert_eq!(sum(&[&joined[..2048], &joined[2048..]]), in_order);
}

#[test]
fn stream_checked_passes_and_ids_name_the_size() {
    let _lock = fork_lock();
    let streamed = stream_checked(Transport::Pipe, 64, 10).unwrap();
    assert_eq!(streamed.messages, 10);
    assert_eq!(size_label(64), "64B");
    assert_eq!(size_label(4096), "4KiB");
    assert_eq!(size_label(1 << 20), "1MiB");
    assert_eq!(size_label(1000), "1000B");
    assert_eq!(
        latency_id(Transport::UnixSocket, 64),
        "ipc/latency-64B/unix-socket"
    );
    assert_eq!(
        stream_id(Transport::SharedMemory, 1 << 20),
        "ipc/stream-1MiB/shm"
    );
    assert_eq!(
        throughput_id(Transport::Mpsc, 1 << 20),
        "ipc/throughput-1MiB/mpsc"
    );
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--message-bytes", "4"],
        &["--round-trips", "0"],
        &["--runs", "0"],
        &["--message-kib", "lots"],
        &["--no-such-flag"],
    ],
    help_mentions: ["mpsc"],
    quick_run: QUICK,
    // Enough messages that a process transport is still running when the signal comes.
    busy_run: ["--round-trips", "300000", "--messages", "1000000"],
}

/// The ids the criterion benches produce (`benches/ipc.rs`): a 64-byte round trip and a
/// 1 MiB streamed message per transport.
fn bench_ids() -> Vec<String> {
    let latency = Transport::ALL.map(|t| latency_id(t, 64));
    let stream = Transport::ALL.map(|t| stream_id(t, 1 << 20));
    latency.into_iter().chain(stream).collect()
}

/// Checks that `report` describes every bench id, in the lab's words, and records none.
fn describes_the_benchmarks_and_records_none(report: &kit::Report) {
    let described: Vec<&str> = report.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(described, bench_ids());
    for id in bench_ids() {
        assert!(report.get(&id).is_none(), "{id} has two sources");
    }
    let what = |id: String| {
        let found = report.benchmarks.iter().find(|b| b.id == id).unwrap();
        found.what.clone()
    };
    assert_eq!(
        what(latency_id(Transport::Pipe, 64)),
        "round trip of a 64-byte message, two pipes, between processes"
    );
    assert!(
        what(stream_id(Transport::Mpsc, 1 << 20))
            .starts_with("time per 1.0 MiB message, streaming, "),
        "{:?}",
        report.benchmarks
    );
}

#[test]
fn json_describes_the_benchmarked_times_and_records_no_second_method() {
    let _lock = fork_lock();
    let report = lab_report(EXE, "ipc", QUICK);
    // With the benches' sizes, the times are criterion's, and the throughput is the same
    // stream's time turned over: nothing is recorded by the lab's own timer.
    assert_eq!(report.records, []);
    for transport in Transport::ALL {
        assert!(report.get(&throughput_id(transport, 1 << 20)).is_none());
    }
    describes_the_benchmarks_and_records_none(&report);
}

#[test]
fn json_records_the_times_of_sizes_no_bench_measures() {
    let _lock = fork_lock();
    let mut flags = QUICK.to_vec();
    flags.extend(["--message-bytes", "128", "--message-kib", "64"]);
    let report = json_report(EXE, &flags);
    assert_eq!(report.records.len(), 3 * Transport::ALL.len());
    for transport in Transport::ALL {
        let latency = report.get(&latency_id(transport, 128)).unwrap();
        assert_eq!((latency.unit.as_str(), latency.samples), ("ns", 2));
        let per_message = report.get(&stream_id(transport, 64 << 10)).unwrap();
        assert_eq!((per_message.unit.as_str(), per_message.samples), ("ns", 2));
        let throughput = report.get(&throughput_id(transport, 64 << 10)).unwrap();
        assert_eq!(throughput.unit, "MiB/s");
    }
    describes_the_benchmarks_and_records_none(&report);
}

#[test]
fn the_readable_report_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(EXE, QUICK);
    for transport in Transport::ALL {
        assert!(text.contains(transport.name()), "{text}");
    }
    // The terminal still shows the lab's own round trips, which `--json` leaves to the
    // benches.
    assert!(text.contains("round trip"), "{text}");
    assert!(text.contains("Fastest round trip: "), "{text}");
}
