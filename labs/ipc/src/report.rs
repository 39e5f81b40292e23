//! How the lab talks: the run with its progress line, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs`
//! and its modules (`transport.rs`, `ring.rs`, `latency.rs`, `throughput.rs`).

use crate::*;
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, bytes, nanos, times};
use kit::{Machine, Record, Report, Unit};
use std::fmt::Write as _;

/// Round trips per timed batch: the clock is read once per batch.
pub const BATCH: u64 = 100;

/// The whole lab: every transport, with `settings`.
pub fn run(settings: Settings, progress: &Progress) -> anyhow::Result<Results> {
    Results::collect(settings, |i, total, transport: Transport| {
        progress.show(format_args!(
            "measuring {} ({}/{total})",
            transport.name(),
            i + 1
        ));
    })
}

/// The message sizes of the criterion benches (`labs/ipc/benches/ipc.rs`, `SMALL` and
/// `LARGE`), which are also the lab's defaults: the benches' ids carry them
/// (`ipc/latency-64B/pipe`, `ipc/stream-1MiB/pipe`).
pub const BENCH_SMALL: usize = 64;
pub const BENCH_LARGE: usize = 1 << 20;

/// The words for a round trip of a `size`-byte message over `transport`.
fn latency_words(transport: Transport, size: usize) -> String {
    format!(
        "round trip of a {size}-byte message, {}, between {}",
        transport.how(),
        transport.between()
    )
}

/// The words for the time per streamed `size`-byte message over `transport`.
fn stream_words(transport: Transport, size: usize) -> String {
    format!(
        "time per {} message, streaming, {}, between {}",
        bytes(size as f64),
        transport.how(),
        transport.between()
    )
}

impl Outcome for Results {
    /// `--json`: the words for the benchmarks of the round trip and of the time per streamed
    /// message. Those times are criterion's (the benches run the same echo and stream and give
    /// a confidence interval): one quantity, one method, so the lab's own timing of a bench's
    /// id, and the throughput that is the same stream's time turned over (bytes per second),
    /// are shown in the terminal only; the book divides criterion's times instead. With other
    /// sizes (`--message-bytes`, `--message-kib`) the lab's times and throughput have ids no
    /// bench produces, and are recorded.
    fn report(&self) -> Report {
        let s = &self.settings;
        let mut report = Report::new(LAB);
        for m in &self.measured {
            let (name, between) = (m.transport.how(), m.transport.between());
            if s.small != BENCH_SMALL {
                report.push(Record::new(
                    latency_id(m.transport, s.small),
                    latency_words(m.transport, s.small),
                    Unit::Nanoseconds,
                    m.round_trip,
                ));
            }
            if s.large != BENCH_LARGE {
                report.push(Record::new(
                    stream_id(m.transport, s.large),
                    stream_words(m.transport, s.large),
                    Unit::Nanoseconds,
                    m.per_message,
                ));
            }
            if s.large == BENCH_LARGE {
                continue;
            }
            let mib = |v: f64| v / (1u64 << 20) as f64;
            report.push(Record::new(
                throughput_id(m.transport, s.large),
                format!(
                    "throughput streaming {} messages, {name}, between {between}",
                    bytes(s.large as f64)
                ),
                Unit::MibPerSecond,
                Summary {
                    median: mib(m.throughput.median),
                    low: mib(m.throughput.low),
                    high: mib(m.throughput.high),
                    samples: m.throughput.samples,
                },
            ));
        }
        for transport in Transport::ALL {
            report.describe_benchmark(
                latency_id(transport, BENCH_SMALL),
                latency_words(transport, BENCH_SMALL),
            );
        }
        for transport in Transport::ALL {
            report.describe_benchmark(
                stream_id(transport, BENCH_LARGE),
                stream_words(transport, BENCH_LARGE),
            );
        }
        report
    }

    /// The readable report.
    fn render(&self, machine: &Machine) -> String {
        let s = &self.settings;
        let mut out = String::new();
        write_heading(
            &mut out,
            "ipc: latency and throughput of four transports",
            machine,
        );
        let _ = writeln!(
            out,
            "Latency: {} round trips of a {} message (median per round trip [fastest-slowest \
             batch of {}]).\nThroughput: {} runs of {} messages of {} each, {} per run; every \
             byte checked with a checksum (median [lowest-highest run]).",
            s.round_trips,
            bytes(s.small as f64),
            s.batch,
            s.runs,
            s.messages,
            bytes(s.large as f64),
            bytes((s.messages * s.large as u64) as f64),
        );
        let _ = writeln!(out);
        let mut table = Table::new(["transport", "between", "round trip", "throughput"]);
        for m in &self.measured {
            table.row([
                format!("{} ({})", m.transport.name(), m.transport.how()),
                m.transport.between().to_owned(),
                format!(
                    "{} [{}-{}]",
                    nanos(m.round_trip.median),
                    nanos(m.round_trip.low),
                    nanos(m.round_trip.high)
                ),
                format!(
                    "{} [{}-{}]",
                    rate(m.throughput.median),
                    rate(m.throughput.low),
                    rate(m.throughput.high)
                ),
            ]);
        }
        let _ = writeln!(out, "{table}");
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    fn get(&self, transport: Transport) -> Option<&Measured> {
        self.measured.iter().find(|m| m.transport == transport)
    }

    /// Sentences computed from this run's medians.
    pub fn observations(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let by = |key: fn(&Measured) -> f64| {
            let mut sorted: Vec<&Measured> = self.measured.iter().collect();
            sorted.sort_by(|a, b| key(a).total_cmp(&key(b)));
            sorted
        };
        let latency = by(|m| m.round_trip.median);
        if let (Some(fast), Some(slow)) = (latency.first(), latency.last()) {
            lines.push(format!(
                "Fastest round trip: {} at {}, {} quicker than the slowest, {} at {}.",
                fast.transport.name(),
                nanos(fast.round_trip.median),
                times(slow.round_trip.median / fast.round_trip.median),
                slow.transport.name(),
                nanos(slow.round_trip.median),
            ));
        }
        if let (Some(pipe), Some(shm)) =
            (self.get(Transport::Pipe), self.get(Transport::SharedMemory))
        {
            let (pipe_rt, shm_rt) = (pipe.round_trip.median, shm.round_trip.median);
            let verdict = if shm_rt < pipe_rt {
                format!(
                    "the ring was {} quicker, with no system call at all while each side has \
                     a CPU to spin on",
                    times(pipe_rt / shm_rt)
                )
            } else {
                format!(
                    "the ring was {} slower here, because a waiting side spins, then gives \
                     its CPU away (sched_yield) instead of sleeping, which costs when the two \
                     sides share CPUs with each other or with other work",
                    times(shm_rt / pipe_rt)
                )
            };
            lines.push(format!(
                "A pipe round trip ({}) is two writes, two reads and two wake-ups in the \
                 kernel; the shared-memory ring's ({}) is four copies and four atomic \
                 stores, and {verdict}.",
                nanos(pipe_rt),
                nanos(shm_rt),
            ));
        }
        let throughput = by(|m| -m.throughput.median);
        if let (Some(best), Some(worst)) = (throughput.first(), throughput.last()) {
            lines.push(format!(
                "Streaming {} messages, {} moved {} and {} {}: {} as much. Every transport \
                 copies each byte in and out once; system calls and waking the reader are \
                 what differ.",
                bytes(self.settings.large as f64),
                best.transport.name(),
                rate(best.throughput.median),
                worst.transport.name(),
                rate(worst.throughput.median),
                times(best.throughput.median / worst.throughput.median),
            ));
        }
        let widest = by(|m| -(m.round_trip.high / m.round_trip.low));
        if let Some(wide) = widest
            .first()
            .filter(|m| m.round_trip.high > 5.0 * m.round_trip.low)
        {
            lines.push(format!(
                "{}'s round trips varied from {} to {} per batch: nothing is pinned, so the \
                 two sides may have run sometimes on one CPU and sometimes on two, or shared \
                 their CPUs with other work (the context-switch lab pins them).",
                wide.transport.name(),
                nanos(wide.round_trip.low),
                nanos(wide.round_trip.high),
            ));
        }
        if let Some(mpsc) = self.get(Transport::Mpsc) {
            lines.push(format!(
                "mpsc, between threads of one process, took {} per round trip: no copy \
                 through the kernel, but a receiver that sleeps must still be woken by it.",
                nanos(mpsc.round_trip.median)
            ));
        }
        lines
    }
}
