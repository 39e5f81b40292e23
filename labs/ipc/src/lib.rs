//! Four ways to move bytes from one side to another, timed two ways: the round trip of a
//! small message (latency) and a stream of large ones (throughput).
//!
//! - `pipe`: two pipes, one per direction (pipe(7)), between processes;
//! - `unix-socket`: a connected pair of Unix domain stream sockets (unix(7)), between
//!   processes;
//! - `shm`: two single-producer single-consumer rings in memory mapped `MAP_SHARED` before the
//!   fork (mmap(2), [`ring`]), between processes;
//! - `mpsc`: `std::sync::mpsc` channels between two threads of one process, the in-process
//!   baseline.
//!
//! Every transport is used through `std::io::Read` and `Write`, and every one copies each
//! message twice: into the pipe, socket buffer, ring or channel's `Vec`, and out again. What
//! differs is who does the copying and how a waiting side learns there is something to do.
//!
//! The code, one concept a file, in the order the page shows it:
//!
//! - `transport.rs`: the `Transport`s, and `link`, which gives each side an `End` to read and
//!   write; the mpsc channels made to look like a byte stream;
//! - `ring.rs`: the shared-memory ring, lock-free for one producer and one consumer;
//! - `message.rs`: the numbered message both runs send;
//! - `peer.rs`: the other side, a forked child or a thread, started and reaped;
//! - `latency.rs`: the echo peer and `Echo`, the timed round trips;
//! - `throughput.rs`: the `Checksum`, the receiving peer and `stream`, the timed stream;
//! - this file: the record ids, and `measure`, which times one transport both ways;
//! - `report.rs`: the run, its `--json` records and its readable report.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

mod latency;
mod message;
mod peer;
pub mod report;
pub mod ring;
mod throughput;
mod transport;

pub use latency::Echo;
pub use message::Message;
pub use throughput::{Checksum, Streamed, stream, stream_checked};
pub use transport::{End, Transport, link};

use anyhow::Context;
use kit::Summary;
use kit::table::bytes;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "ipc";

/// Round trips made before the timed ones.
pub const WARM_UP_ROUND_TRIPS: u64 = 100;

/// The smallest message: 8 bytes hold the stamp that numbers it.
pub const MIN_MESSAGE: usize = 8;

/// `64B`, `4KiB`, `1MiB`: a message size as it appears in ids.
pub fn size_label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{}MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{}KiB", s >> 10),
        s => format!("{s}B"),
    }
}

/// Id of the round trip of `size`-byte messages: `ipc/latency-64B/pipe`. Criterion's group
/// `ipc`, function `latency-64B/pipe`, gives the same id.
pub fn latency_id(transport: Transport, size: usize) -> String {
    format!("{LAB}/latency-{}/{}", size_label(size), transport.name())
}

/// Id of the time per message when streaming `size`-byte messages: `ipc/stream-1MiB/pipe`.
pub fn stream_id(transport: Transport, size: usize) -> String {
    format!("{LAB}/stream-{}/{}", size_label(size), transport.name())
}

/// Id of the streaming throughput, in MiB/s: `ipc/throughput-1MiB/pipe`.
pub fn throughput_id(transport: Transport, size: usize) -> String {
    format!("{LAB}/throughput-{}/{}", size_label(size), transport.name())
}

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Bytes per latency message, and timed round trips (in batches of `batch`).
    pub small: usize,
    pub round_trips: u64,
    pub batch: u64,
    /// Bytes per streamed message, messages per run, and runs.
    pub large: usize,
    pub messages: u64,
    pub runs: u64,
}

/// One transport, measured both ways.
#[derive(Debug, Clone)]
pub struct Measured {
    pub transport: Transport,
    /// Nanoseconds per round trip, one sample per batch.
    pub round_trip: Summary,
    /// Nanoseconds per streamed message, one sample per run.
    pub per_message: Summary,
    /// Bytes per second, one sample per run.
    pub throughput: Summary,
}

// ANCHOR: measure
/// Measures one transport: batches of round trips after a warm-up, then `runs` streams,
/// each checked against its checksum.
pub fn measure(transport: Transport, settings: &Settings) -> anyhow::Result<Measured> {
    let batches = settings.round_trips.div_ceil(settings.batch);
    let total = WARM_UP_ROUND_TRIPS + batches * settings.batch;
    let mut echo = Echo::start(transport, settings.small, total)?;
    echo.round_trips(WARM_UP_ROUND_TRIPS)?;
    let mut round_trip = Vec::with_capacity(batches as usize);
    for _ in 0..batches {
        let took = echo.round_trips(settings.batch)?;
        round_trip.push(took.as_nanos() as f64 / settings.batch as f64);
    }
    echo.finish()?;

    let (mut per_message, mut throughput) = (Vec::new(), Vec::new());
    for _ in 0..settings.runs {
        let streamed = stream_checked(transport, settings.large, settings.messages)?;
        let seconds = streamed.elapsed.as_secs_f64();
        per_message.push(seconds * 1e9 / streamed.messages as f64);
        throughput.push(streamed.bytes as f64 / seconds);
    }
    Ok(Measured {
        transport,
        round_trip: Summary::of(&round_trip).context("no round trips")?,
        per_message: Summary::of(&per_message).context("no runs")?,
        throughput: Summary::of(&throughput).context("no runs")?,
    })
}
// ANCHOR_END: measure

/// A rate in bytes per second, in binary units: `812.4 MiB/s`, `3.1 GiB/s`.
pub fn rate(bytes_per_second: f64) -> String {
    format!("{}/s", bytes(bytes_per_second))
}

/// One run of the lab.
#[derive(Debug, Clone)]
pub struct Results {
    pub settings: Settings,
    pub measured: Vec<Measured>,
}

impl Results {
    pub fn collect(
        settings: Settings,
        mut progress: impl FnMut(usize, usize, Transport),
    ) -> anyhow::Result<Self> {
        let mut measured = Vec::with_capacity(Transport::ALL.len());
        for (i, transport) in Transport::ALL.into_iter().enumerate() {
            progress(i, Transport::ALL.len(), transport);
            measured.push(measure(transport, &settings)?);
        }
        Ok(Self { settings, measured })
    }
}
