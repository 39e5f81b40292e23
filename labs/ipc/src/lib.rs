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

pub mod report;
pub mod ring;

use anyhow::{Context, bail, ensure};
use kit::table::bytes;
use kit::{Children, Summary};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "ipc";

/// Round trips made before the timed ones.
pub const WARM_UP_ROUND_TRIPS: u64 = 100;

/// The smallest message: 8 bytes hold the stamp that numbers it.
pub const MIN_MESSAGE: usize = 8;

/// The transports this lab compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Pipe,
    UnixSocket,
    SharedMemory,
    Mpsc,
}

impl Transport {
    pub const ALL: [Transport; 4] = [
        Transport::Pipe,
        Transport::UnixSocket,
        Transport::SharedMemory,
        Transport::Mpsc,
    ];

    /// The transport's part of a record id.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Pipe => "pipe",
            Transport::UnixSocket => "unix-socket",
            Transport::SharedMemory => "shm",
            Transport::Mpsc => "mpsc",
        }
    }

    pub fn how(self) -> &'static str {
        match self {
            Transport::Pipe => "two pipes",
            Transport::UnixSocket => "UnixStream::pair",
            Transport::SharedMemory => "two rings in a MAP_SHARED mapping",
            Transport::Mpsc => "std::sync::mpsc channels",
        }
    }

    /// mpsc works only between threads; the others run between a parent and a forked child.
    pub fn between(self) -> &'static str {
        match self {
            Transport::Mpsc => "threads",
            _ => "processes",
        }
    }
}

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

/// One side's ends of a two-way link.
pub struct End {
    pub rx: Box<dyn Read + Send>,
    pub tx: Box<dyn Write + Send>,
}

// ANCHOR: link
/// A two-way link: one end for each side.
pub fn link(transport: Transport) -> anyhow::Result<(End, End)> {
    fn end(rx: impl Read + Send + 'static, tx: impl Write + Send + 'static) -> End {
        End {
            rx: Box::new(rx),
            tx: Box::new(tx),
        }
    }
    Ok(match transport {
        Transport::Pipe => {
            let (a_rx, b_tx) = io::pipe()?;
            let (b_rx, a_tx) = io::pipe()?;
            (end(a_rx, a_tx), end(b_rx, b_tx))
        }
        Transport::UnixSocket => {
            let (a, b) = UnixStream::pair()?;
            (end(a.try_clone()?, a), end(b.try_clone()?, b))
        }
        Transport::SharedMemory => {
            let (a_to_b, b_to_a) = (ring::new_ring()?, ring::new_ring()?);
            // SAFETY: each ring is split once, here; its writer goes to one side and its
            // reader to the other.
            let ((a_tx, b_rx), (b_tx, a_rx)) =
                unsafe { (ring::split(&a_to_b), ring::split(&b_to_a)) };
            (end(a_rx, a_tx), end(b_rx, b_tx))
        }
        Transport::Mpsc => {
            let (a_tx, b_rx) = channel_pair();
            let (b_tx, a_rx) = channel_pair();
            (end(a_rx, a_tx), end(b_rx, b_tx))
        }
    })
}
// ANCHOR_END: link

// ANCHOR: mpsc
/// Messages in flight on a channel before the sender waits.
const CHANNEL_BOUND: usize = 4;

/// A channel made to look like a byte stream: each `write` sends one `Vec<u8>`. The reader
/// hands used `Vec`s back, so after the first few messages nothing is allocated.
struct ChannelWriter {
    messages: SyncSender<Vec<u8>>,
    used: Receiver<Vec<u8>>,
}

struct ChannelReader {
    messages: Receiver<Vec<u8>>,
    used: Sender<Vec<u8>>,
    current: Vec<u8>,
    taken: usize,
}

fn channel_pair() -> (ChannelWriter, ChannelReader) {
    let (messages_tx, messages_rx) = sync_channel(CHANNEL_BOUND);
    let (used_tx, used_rx) = channel();
    (
        ChannelWriter {
            messages: messages_tx,
            used: used_rx,
        },
        ChannelReader {
            messages: messages_rx,
            used: used_tx,
            current: Vec::new(),
            taken: 0,
        },
    )
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut message = self.used.try_recv().unwrap_or_default();
        message.clear();
        message.extend_from_slice(buf); // the first copy
        self.messages
            .send(message)
            .map_err(|_| io::ErrorKind::BrokenPipe)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.taken == self.current.len() {
            let Ok(next) = self.messages.recv() else {
                return Ok(0); // the writer is gone: end of the stream
            };
            let used = std::mem::replace(&mut self.current, next);
            let _ = self.used.send(used); // the writer may be gone; then it is dropped
            self.taken = 0;
        }
        let n = buf.len().min(self.current.len() - self.taken);
        buf[..n].copy_from_slice(&self.current[self.taken..self.taken + n]); // the second copy
        self.taken += n;
        Ok(n)
    }
}
// ANCHOR_END: mpsc

// ANCHOR: checksum
/// An order-sensitive checksum (Fletcher's idea, over 64-bit words): a running sum of the
/// words, and a running sum of those sums. Moving a word to another position changes the
/// second sum, so bytes that arrive out of order do not add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    pub sum: u64,
    pub sum_of_sums: u64,
    pub bytes: u64,
}

impl Checksum {
    pub fn add(&mut self, data: &[u8]) {
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            self.push(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut last = [0u8; 8];
            last[..tail.len()].copy_from_slice(tail);
            self.push(u64::from_le_bytes(last));
        }
        self.bytes += data.len() as u64;
    }

    fn push(&mut self, word: u64) {
        self.sum = self.sum.wrapping_add(word);
        self.sum_of_sums = self.sum_of_sums.wrapping_add(self.sum);
    }

    fn to_bytes(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..8].copy_from_slice(&self.sum.to_le_bytes());
        out[8..16].copy_from_slice(&self.sum_of_sums.to_le_bytes());
        out[16..].copy_from_slice(&self.bytes.to_le_bytes());
        out
    }

    fn from_bytes(b: [u8; 24]) -> Self {
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Self {
            sum: word(0),
            sum_of_sums: word(8),
            bytes: word(16),
        }
    }
}
// ANCHOR_END: checksum

/// A message of `size` bytes: pseudo-random bytes (the same for every message), with message
/// number `index` written into the first 8, so every message differs from the one before.
#[derive(Debug, Clone)]
pub struct Message {
    bytes: Vec<u8>,
}

impl Message {
    pub fn new(size: usize) -> Self {
        assert!(
            size >= MIN_MESSAGE,
            "a message holds at least its 8-byte stamp"
        );
        // xorshift64: cheap, and no byte pattern that a bug could reproduce by accident.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        Self { bytes }
    }

    /// The message numbered `index`.
    pub fn stamped(&mut self, index: u64) -> &[u8] {
        self.bytes[..8].copy_from_slice(&index.to_le_bytes());
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The checksum of messages `0..count` sent one after another.
    pub fn stream_checksum(&mut self, count: u64) -> Checksum {
        let mut checksum = Checksum::default();
        for index in 0..count {
            checksum.add(self.stamped(index));
        }
        checksum
    }
}

/// The other side: a forked child, or a thread (for mpsc).
enum Peer {
    Process { children: Children, pid: Pid },
    Thread(JoinHandle<i32>),
}

impl Peer {
    /// Runs `job` with `end` in a forked child (or a thread, for mpsc). The parent's copy of
    /// `end` is closed once the child has its own, so a child that dies is seen as
    /// end-of-file rather than a wait that never ends.
    ///
    /// # Safety
    ///
    /// For a child process, `job` must make only async-signal-safe calls (signal-safety(7)):
    /// no allocation, no lock. The jobs here read and write file descriptors or a shared
    /// ring, copy bytes and do arithmetic, into buffers allocated before the fork.
    unsafe fn start(
        transport: Transport,
        mut end: End,
        mut job: impl FnMut(&mut End) -> i32 + Send + 'static,
    ) -> anyhow::Result<Self> {
        if transport == Transport::Mpsc {
            return Ok(Peer::Thread(std::thread::spawn(move || job(&mut end))));
        }
        let mut children = Children::new();
        // In the child, `end` and the job's buffers are forgotten, not dropped: dropping them
        // would call free(3), which a forked child may not; `_exit` releases everything anyway.
        // In the parent, the closure (and `end` with it) is dropped unrun when `spawn` returns,
        // which closes the parent's copy of the child's ends.
        // SAFETY: forwarded to our caller, who promises the job is async-signal-safe.
        let pid = unsafe {
            children.spawn(move || {
                let status = job(&mut end);
                std::mem::forget((end, job));
                status
            })
        }?;
        Ok(Peer::Process { children, pid })
    }

    /// Waits for the peer and checks that it exited with status 0.
    fn finish(self) -> anyhow::Result<()> {
        match self {
            Peer::Process { mut children, pid } => {
                let status = children.wait(pid)?;
                ensure!(
                    status == WaitStatus::Exited(pid, 0),
                    "peer {pid} ended with {status:?}"
                );
            }
            Peer::Thread(handle) => {
                let status = handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("peer thread panicked"))?;
                ensure!(status == 0, "peer thread failed with {status}");
            }
        }
        Ok(())
    }
}

/// The 8 bytes a peer sends when it is running and ready: nothing is timed before them.
const READY: [u8; 8] = *b"ready!\0\0";

/// A peer's `Read`/`Write` failures become exit statuses (no error values may be built in a
/// forked child).
fn status(result: io::Result<()>, code: i32) -> i32 {
    if result.is_ok() { 0 } else { code }
}

// ANCHOR: echo
/// The peer of a latency run: says it is ready, then sends each of `count` messages of
/// `buf.len()` bytes back as it arrives.
fn echo(end: &mut End, buf: &mut [u8], count: u64) -> i32 {
    if end.tx.write_all(&READY).is_err() {
        return 2;
    }
    for _ in 0..count {
        if end.rx.read_exact(buf).is_err() {
            return 3;
        }
        if end.tx.write_all(buf).is_err() {
            return 4;
        }
    }
    0
}
// ANCHOR_END: echo

/// A latency run in progress: the peer echoes every message sent.
pub struct Echo {
    end: End,
    peer: Option<Peer>,
    message: Message,
    reply: Vec<u8>,
    sent: u64,
    planned: u64,
}

impl Echo {
    /// Starts a peer that echoes exactly `round_trips` messages of `size` bytes, and waits
    /// until it is ready.
    pub fn start(transport: Transport, size: usize, round_trips: u64) -> anyhow::Result<Self> {
        ensure!(
            size >= MIN_MESSAGE,
            "messages hold at least {MIN_MESSAGE} bytes"
        );
        let (mut ours, theirs) = link(transport)?;
        let mut buf = vec![0u8; size]; // allocated before the fork: the child may not allocate
        let job = move |end: &mut End| echo(end, &mut buf, round_trips);
        // SAFETY: `echo` only reads, writes and copies into `buf` (see `Peer::start`).
        let peer = unsafe { Peer::start(transport, theirs, job) }?;
        let mut ready = [0u8; 8];
        ours.rx
            .read_exact(&mut ready)
            .context("the peer did not start")?;
        ensure!(ready == READY, "the peer said {ready:?}, not ready");
        Ok(Self {
            end: ours,
            peer: Some(peer),
            message: Message::new(size),
            reply: vec![0; size],
            sent: 0,
            planned: round_trips,
        })
    }

    // ANCHOR: round_trips
    /// Sends `n` numbered messages one at a time, each time waiting for the echo and checking
    /// it byte for byte. Returns the time all `n` round trips took.
    pub fn round_trips(&mut self, n: u64) -> anyhow::Result<Duration> {
        ensure!(
            self.sent + n <= self.planned,
            "the peer echoes only {} messages",
            self.planned
        );
        let start = Instant::now();
        for _ in 0..n {
            let message = self.message.stamped(self.sent);
            self.end.tx.write_all(message)?;
            self.end.rx.read_exact(&mut self.reply)?;
            ensure!(
                self.reply == message,
                "message {} came back changed",
                self.sent
            );
            self.sent += 1;
        }
        Ok(start.elapsed())
    }
    // ANCHOR_END: round_trips

    /// Waits for the peer, which exits 0 after its last echo.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        self.peer.take().expect("finished once").finish()?;
        Ok(self.sent)
    }
}

// ANCHOR: receive
/// The peer of a throughput run: says it is ready, reads `count` messages of `buf.len()`
/// bytes into `buf`, adds each to a checksum, and sends the checksum back.
fn receive(end: &mut End, buf: &mut [u8], count: u64) -> i32 {
    buf.fill(0); // fault the buffer's pages in now, not while the clock runs
    if end.tx.write_all(&READY).is_err() {
        return 2;
    }
    let mut checksum = Checksum::default();
    for _ in 0..count {
        if end.rx.read_exact(buf).is_err() {
            return 3;
        }
        checksum.add(buf);
    }
    status(end.tx.write_all(&checksum.to_bytes()), 4)
}
// ANCHOR_END: receive

/// What a throughput run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Streamed {
    /// From the first byte sent until the receiver's checksum arrived.
    pub elapsed: Duration,
    pub messages: u64,
    pub bytes: u64,
    /// What the receiver computed, and what the sent stream adds up to.
    pub received: Checksum,
    pub expected: Checksum,
}

// ANCHOR: stream
/// Streams `count` messages of `size` bytes to a receiving peer, and times it from the
/// first byte until the receiver has checked the last one. The peer is started, and the
/// expected checksum computed, before the clock starts; the peer is reaped after it stops.
pub fn stream(transport: Transport, size: usize, count: u64) -> anyhow::Result<Streamed> {
    ensure!(
        size >= MIN_MESSAGE,
        "messages hold at least {MIN_MESSAGE} bytes"
    );
    let mut message = Message::new(size);
    let expected = message.stream_checksum(count);
    let (mut ours, theirs) = link(transport)?;
    let mut buf = vec![0u8; size]; // allocated before the fork: the child may not allocate
    let job = move |end: &mut End| receive(end, &mut buf, count);
    // SAFETY: `receive` only reads, copies into `buf`, adds and writes (see `Peer::start`).
    let peer = unsafe { Peer::start(transport, theirs, job) }?;
    let mut ready = [0u8; 8];
    ours.rx
        .read_exact(&mut ready)
        .context("the peer did not start")?;
    ensure!(ready == READY, "the peer said {ready:?}, not ready");

    let start = Instant::now();
    for index in 0..count {
        ours.tx.write_all(message.stamped(index))?;
    }
    let mut answer = [0u8; 24];
    ours.rx.read_exact(&mut answer)?;
    let elapsed = start.elapsed();

    peer.finish()?;
    Ok(Streamed {
        elapsed,
        messages: count,
        bytes: count * size as u64,
        received: Checksum::from_bytes(answer),
        expected,
    })
}
// ANCHOR_END: stream

/// Streams and insists that every byte arrived intact and in order.
pub fn stream_checked(transport: Transport, size: usize, count: u64) -> anyhow::Result<Streamed> {
    let streamed = stream(transport, size, count)?;
    if streamed.received != streamed.expected {
        bail!(
            "{}: the receiver's checksum {:?} is not the sender's {:?}",
            transport.name(),
            streamed.received,
            streamed.expected
        );
    }
    Ok(streamed)
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
