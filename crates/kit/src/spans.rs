//! Spans: which worker ran each unit of work when, and on which CPU, cheaply enough to leave on
//! while a lab measures.
//!
//! Each worker (a thread, or a forked process) owns a [`Recorder`] and wraps each unit of its
//! work in [`Recorder::span`]. A span is the unit's begin and end in nanoseconds since an
//! [`Origin`] the whole run shares, and the CPU the worker was on just before it began and just
//! after it ended (the scheduler may move a worker in between). The worker's voluntary and
//! involuntary context switches (getrusage(2): `ru_nvcsw`, `ru_nivcsw`) are counted from its
//! first span to the moment its lane is taken. The result is a [`schema::Lane`]; a lab puts its
//! lanes in a [`schema::Timeline`] and the timeline in its report, and the book draws it.
//!
//! # One clock for every process
//!
//! The times come from `clock_gettime(CLOCK_MONOTONIC)` (nix's [`clock_gettime`]), which
//! clock_gettime(2) describes as "A nonsettable system-wide clock that represents monotonic
//! time": every process on the machine reads the same clock, so a child's span and its
//! parent's origin can be subtracted. `std::time::Instant` reads that clock too on Linux (the
//! standard library's Unix `Instant::now` is `Timespec::now(libc::CLOCK_MONOTONIC)`), but it is
//! opaque: it cannot be written into a pipe as a number, or handed to a program in another
//! language. [`Origin::as_ns`] and [`Origin::from_ns`] can (CPython's `time.monotonic_ns()` and
//! `time.perf_counter_ns()` read `CLOCK_MONOTONIC` on Linux, `Python/pytime.c`).
//!
//! # What a span costs
//!
//! Per span: two `clock_gettime` and two `sched_getcpu` calls, which glibc answers without
//! entering the kernel (the vDSO for the clock, on a clock source it can read, such as the
//! TSC; the vDSO `getcpu` or the CPU number the kernel keeps in the thread's rseq area,
//! `sysdeps/unix/sysv/linux/sched_getcpu.c`), and a store into a buffer allocated when the
//! recorder was made. Nothing allocates on the hot path: when the buffer is full, further
//! spans are counted in [`Recorder::dropped`], not stored. The CPU is read outside the timed
//! interval, so a span's length is the work's alone.
//!
//! The overhead is measured, not asserted (tests make no timing assertions):
//! [`cost_per_span_ns`] times empty spans against the same empty loop without them, and a lab
//! that records timelines stores the result in each one (`Timeline::span_cost_ns`), which the
//! book's summary of the timeline weighs against the median span. The ignored test
//! `spans::tests::overhead` prints it for this machine:
//!
//! ```sh
//! cargo test --release -p kit --lib spans::tests::overhead -- --ignored --nocapture
//! ```
//!
//! The cost is per span, not per unit of time, so a span should wrap a chunk of work that
//! is long beside it (a slice of a sum, a request), never one iteration of a hot loop. A lab's
//! headline figures come from runs without spans: it records its timelines in a run of its
//! own, after the timed ones.
//!
//! # Spans that end where the worker was paused: [`Recorder::span_split`]
//!
//! A span is a unit of work's begin and end, so a worker that lost its CPU in the middle of a
//! unit has the wait inside the span: on an oversubscribed machine every lane becomes one long
//! bar, although each thread ran for a small part of it. [`Recorder::span_split`] runs a unit
//! of work that calls [`Split::checkpoint`] every few iterations. Each checkpoint reads the
//! clock and the CPU; when more than `pause_ns` passed since the previous reading, the worker
//! did not run in between, so the current span ends at the reading before the gap (on the CPU
//! read there) and a new one begins at the reading after it. The gil lab's Python worker does
//! the same (`labs/gil/src/sum_squares.py`, `PAUSE_NS`). Every span then begins and ends at a
//! reading the worker took while running, holds no gap longer than `pause_ns`, and the gaps
//! between a unit's spans are each longer than `pause_ns`; a unit with no such gap is one span,
//! as with [`Recorder::span`]. The spans are ordinary [`Span`]s: the buffer, the cap and the
//! record stream below are the same.
//!
//! The threshold must lie between two lengths. Above the time between two checkpoints of the
//! work itself (the caller's choice: every few microseconds of work), or the work alone would
//! split. Below the shortest time a worker loses its CPU to another CPU-bound thread: the
//! scheduler gives the CPU away when the running task has used its slice, whose base is
//! `sysctl_sched_base_slice` in the kernel's `kernel/sched/fair.c` ("Minimal preemption
//! granularity for CPU-bound tasks", scaled up by `1 + ilog(ncpus)`, the CPUs counted up to
//! 8): 0.70 ms since Linux 6.15, 0.75 ms before (commit 2ae891b82695, "sched: Reduce the
//! default slice to avoid tasks getting an extra tick"). It notices that at a scheduler tick,
//! every 1/`CONFIG_HZ` seconds: 1 to 10 ms for the choices in the kernel's
//! `kernel/Kconfig.hz` (100, 250, 300 or 1000 Hz), which is why, in that commit's words, "For
//! HZ=250 and HZ=100, because of the tick accuracy, the runtime of tasks is far higher than
//! their slice". So a turn given to another CPU-bound thread keeps a worker off its CPU for
//! about a slice or more. [`OFF_CPU_NS`], about a third of the smallest base slice, is such a
//! threshold: a gap that long, beside checkpoints microseconds apart, can only be time off the
//! CPU (preemption by another thread, an interrupt storm, or the hypervisor running another
//! guest on this vCPU), while a single interrupt (microseconds) does not split a span. A task
//! that wakes up, preempts the worker and soon sleeps again (a kernel worker, say) takes the
//! CPU for less than a slice: its pause splits the span only if it lasted more than
//! [`OFF_CPU_NS`].
//!
//! Each checkpoint costs one `clock_gettime` and one `sched_getcpu`, both answered without
//! entering the kernel (above), and a comparison; a split also stores a span. Nothing
//! allocates. The ignored test `spans::tests::overhead` prints a checkpoint's cost too. A
//! split span when the buffer is full is counted in [`Recorder::dropped`] like any other: the
//! lane then ends early in the picture, so a recorder for split spans should have room for a
//! few splits per unit (its capacity is the cap on the lane's size in the results file), and
//! the caller should say when any were dropped.
//!
//! # From a child process: the record stream
//!
//! A forked child cannot hand its recorder back: its memory is a copy. It sends its spans
//! through a pipe with [`Recorder::send`] instead, and the parent reads them with [`receive`].
//! One pipe per child (two writers would interleave their records). The stream is a sequence
//! of fixed-size records of [`RECORD_BYTES`] bytes, in the machine's native byte order (writer
//! and reader are on the same machine):
//!
//! | Record | Bytes 0..4 | 4..8 | 8..16 | 16..24 |
//! |---|---|---|---|---|
//! | header, first and once | span count `n` (u32) | spans dropped (u32) | voluntary switches (u64) | involuntary switches (u64) |
//! | span, `n` of them, in order | `cpu_begin` (u32) | `cpu_end` (u32) | `begin_ns` (u64) | `end_ns` (u64) |
//!
//! A CPU that could not be read is [`UNKNOWN_CPU`]. [`Recorder::send`] only encodes into a
//! buffer on its stack and calls `write(2)` and `getrusage(2)`, so a child forked from a
//! multithreaded process may call it (signal-safety(7) lists `write`; glibc's `getrusage` is
//! the bare system call, `sysdeps/unix/syscalls.list`, with no lock and no allocation).
//! [`Recorder::span`] is as safe there: `clock_gettime` is in signal-safety(7)'s list and
//! `sched_getcpu` takes no lock either.

use nix::sched::sched_getcpu;
use nix::sys::resource::{UsageWho, getrusage};
use nix::time::{ClockId, clock_gettime};
use schema::timeline::{Lane, LaneKind, Span};
use std::hint::black_box;
use std::io::{self, Read};
use std::os::fd::AsFd;

/// Empty spans per round of [`cost_per_span_ns`]: enough that the clock's own resolution is
/// lost in the total, few enough that the rounds take some milliseconds.
const COST_SPANS: usize = 100_000;
/// Rounds of [`cost_per_span_ns`] and [`cost_per_checkpoint_ns`]; each keeps the cheapest, the
/// one least disturbed by the rest of the machine.
const COST_ROUNDS: usize = 5;

/// The cheapest of [`COST_ROUNDS`] rounds, each of which returns what one operation cost in it
/// (nanoseconds), rounded.
fn cheapest_round_ns(mut per_op_ns: impl FnMut() -> f64) -> u64 {
    (0..COST_ROUNDS)
        .map(|_| per_op_ns())
        .fold(f64::INFINITY, f64::min)
        .round() as u64
}

/// What one [`Recorder::span`] costs on this machine, in nanoseconds (rounded): empty spans
/// against the same empty loop without them, the cheapest of a few rounds. A lab that records
/// timelines stores it in each (`timeline.span_cost_ns = Some(kit::spans::cost_per_span_ns())`),
/// and the summary under the picture states it beside the median span.
pub fn cost_per_span_ns() -> u64 {
    let origin = Origin::now();
    let mut recorder = Recorder::for_thread(origin, COST_SPANS);
    cheapest_round_ns(|| {
        // The recorder stores COST_SPANS spans at most; start each round with room for all.
        recorder.spans.clear();
        let bare = origin.elapsed_ns();
        for i in 0..COST_SPANS {
            black_box(i);
        }
        let bare = origin.elapsed_ns() - bare;
        let spanned = origin.elapsed_ns();
        for i in 0..COST_SPANS {
            recorder.span(|| black_box(i));
        }
        let spanned = origin.elapsed_ns() - spanned;
        spanned.saturating_sub(bare) as f64 / COST_SPANS as f64
    })
}

/// Checkpoints per round of [`cost_per_checkpoint_ns`].
const COST_CHECKPOINTS: u32 = 100_000;

/// What one [`Split::checkpoint`] costs on this machine, in nanoseconds (rounded): a split
/// span of nothing but checkpoints, with a pause no gap can reach so it stays one span, the
/// cheapest of a few rounds. A lab that records split spans counts its checkpoints and stores
/// both in its timelines (`Timeline::checkpoints`); the summary states their share of the busy
/// time.
pub fn cost_per_checkpoint_ns() -> u64 {
    let mut recorder = Recorder::for_thread(Origin::now(), 1);
    cheapest_round_ns(|| {
        recorder.spans.clear();
        let began = recorder.origin.elapsed_ns();
        recorder.span_split(u64::MAX, |split| {
            for _ in 0..COST_CHECKPOINTS {
                split.checkpoint();
            }
        });
        let took = recorder.origin.elapsed_ns() - began;
        took as f64 / f64::from(COST_CHECKPOINTS)
    })
}

/// The length of every record of the stream [`Recorder::send`] writes (see the module docs).
pub const RECORD_BYTES: usize = 24;

/// The CPU recorded when `sched_getcpu` fails (it does not on Linux since 2.6.19, but a span
/// should not be lost for it); the schema's, so the figures know it too.
pub use schema::timeline::UNKNOWN_CPU;

/// A gap between two checkpoints of [`Recorder::span_split`] longer than this (250 µs) means
/// the worker was off its CPU: about a third of the scheduler's smallest base slice (0.70 ms
/// since Linux 6.15, 0.75 ms before: `sysctl_sched_base_slice` in the kernel's
/// `kernel/sched/fair.c`), far above the few microseconds of work a caller puts between
/// checkpoints. The module docs give the reasons.
pub const OFF_CPU_NS: u64 = 250_000;

/// Records per `write`: as many as fit in `PIPE_BUF` bytes (4096 on Linux, pipe(7)), so each
/// write to a pipe is atomic and the stack buffer stays small.
const BATCH: usize = 4096 / RECORD_BYTES;

/// The moment a run's times count from: a reading of `CLOCK_MONOTONIC`. Copy it into every
/// worker (threads by value, forked children inherit it; another program gets
/// [`Origin::as_ns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    ns: u64,
}

impl Origin {
    /// Now, as the origin of a run.
    pub fn now() -> Self {
        Self { ns: monotonic_ns() }
    }

    /// An origin another process read from `CLOCK_MONOTONIC`, in nanoseconds.
    pub fn from_ns(ns: u64) -> Self {
        Self { ns }
    }

    /// The origin as `CLOCK_MONOTONIC` nanoseconds, to hand to another program.
    pub fn as_ns(self) -> u64 {
        self.ns
    }

    /// Nanoseconds from the origin to now (0 if called before it).
    pub fn elapsed_ns(self) -> u64 {
        monotonic_ns().saturating_sub(self.ns)
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
fn monotonic_ns() -> u64 {
    // clock_gettime(2) fails only for an unknown clock or a bad pointer; neither can happen.
    let now = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC is always there");
    // Both fields are non-negative for this clock (its seconds count from boot).
    now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64
}

/// The CPU the calling thread is on now (sched_getcpu(3)), or [`UNKNOWN_CPU`]: what the
/// recorder stores at a span's ends, public for a lab that times spans by hand (io-bound's
/// async tasks, whose spans are futures, not closures).
pub fn cpu() -> u32 {
    sched_getcpu().map_or(UNKNOWN_CPU, |cpu| cpu as u32)
}

/// The calling thread's (`RUSAGE_THREAD`) or process's (`RUSAGE_SELF`) context switches so far.
fn switches(who: UsageWho) -> (u64, u64) {
    getrusage(who).map_or((0, 0), |usage| {
        (
            usage.voluntary_context_switches() as u64,
            usage.involuntary_context_switches() as u64,
        )
    })
}

/// One worker's spans, in a buffer allocated up front.
///
/// Make it before the work starts (before `fork`, for a child: the allocation is then the
/// parent's), move it to the worker, call [`span`](Self::span) for each unit of work, and take
/// the lane on the worker itself, at the end: [`lane`](Self::lane) on a thread,
/// [`send`](Self::send) in a child process. The switch counts are the calling thread's or
/// process's, so taking them anywhere else would count someone else's.
#[derive(Debug)]
pub struct Recorder {
    origin: Origin,
    kind: LaneKind,
    spans: Vec<Span>,
    dropped: u32,
    /// The worker's switch counts at its first span; `None` before it.
    switches_at_start: Option<(u64, u64)>,
}

impl Recorder {
    /// A recorder for a thread, with room for `capacity` spans. Its switches are the thread's
    /// own (`RUSAGE_THREAD`).
    pub fn for_thread(origin: Origin, capacity: usize) -> Self {
        Self::new(origin, LaneKind::Thread, capacity)
    }

    /// A recorder for a forked child process, with room for `capacity` spans. Its switches are
    /// the whole child's (`RUSAGE_SELF`), so a child that records should be single-threaded.
    pub fn for_process(origin: Origin, capacity: usize) -> Self {
        Self::new(origin, LaneKind::Process, capacity)
    }

    fn new(origin: Origin, kind: LaneKind, capacity: usize) -> Self {
        // The stream's header counts spans in a u32.
        let capacity = capacity.min(u32::MAX as usize);
        Self {
            origin,
            kind,
            spans: Vec::with_capacity(capacity),
            dropped: 0,
            switches_at_start: None,
        }
    }

    fn who(&self) -> UsageWho {
        match self.kind {
            // A task's spans are counted against the thread that polls it.
            LaneKind::Thread | LaneKind::Task => UsageWho::RUSAGE_THREAD,
            LaneKind::Process => UsageWho::RUSAGE_SELF,
        }
    }

    /// Runs `work` as one span and returns its result. The span begins after the CPU is read
    /// and ends before it is read again, so the work is all that falls inside it.
    #[inline]
    pub fn span<R>(&mut self, work: impl FnOnce() -> R) -> R {
        let begin = self.begin_reading();
        let result = work();
        let end = self.end_reading();
        self.push(begin, end);
        result
    }

    /// Runs `work` as one span or more: `work` calls [`Split::checkpoint`] every few
    /// microseconds of its work, and a gap of more than `pause_ns` between two readings (the
    /// begin, each checkpoint, the end) ends the span at the reading before the gap and begins
    /// the next at the reading after it (the module docs say why; [`OFF_CPU_NS`] is a
    /// threshold for time off the CPU). Without such a gap it is one span, as with
    /// [`span`](Self::span).
    #[inline]
    pub fn span_split<R>(&mut self, pause_ns: u64, work: impl FnOnce(&mut Split<'_>) -> R) -> R {
        let begin = self.begin_reading();
        let mut split = Split {
            recorder: self,
            pause_ns,
            begin,
            last: begin,
        };
        let result = work(&mut split);
        let Split { begin, last, .. } = split;
        let end = self.end_reading();
        // A gap before the end is a pause too: the span ends at the last checkpoint. The
        // remainder after the gap holds no work, so it is no span of its own.
        let end = if end.0.saturating_sub(last.0) > pause_ns {
            last
        } else {
            end
        };
        self.push(begin, end);
        result
    }

    /// A span's first reading, (time since the origin, CPU): the CPU first, so that reading
    /// it falls outside the span. Notes the switch counts at the worker's first span.
    #[inline]
    fn begin_reading(&mut self) -> (u64, u32) {
        if self.switches_at_start.is_none() {
            self.switches_at_start = Some(switches(self.who()));
        }
        let cpu = cpu();
        (self.origin.elapsed_ns(), cpu)
    }

    /// A reading that may end a span, (time since the origin, CPU): the time first, so that
    /// reading the CPU falls outside the span.
    #[inline]
    fn end_reading(&self) -> (u64, u32) {
        let ns = self.origin.elapsed_ns();
        (ns, cpu())
    }

    /// Stores the span from `begin` to `end` (readings as above), or counts it as dropped
    /// when the buffer is full.
    #[inline]
    fn push(&mut self, (begin_ns, cpu_begin): (u64, u32), (end_ns, cpu_end): (u64, u32)) {
        let span = Span {
            begin_ns,
            end_ns,
            cpu_begin,
            cpu_end,
        };
        // Never grow: a reallocation in the middle of a measurement is what this avoids.
        if self.spans.len() < self.spans.capacity() {
            self.spans.push(span);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// The spans recorded so far.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Spans not stored because the buffer was full.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Voluntary and involuntary switches of the calling thread or process since the first
    /// span (none before it).
    fn switches_since_start(&self) -> (u64, u64) {
        let Some((voluntary, involuntary)) = self.switches_at_start else {
            return (0, 0);
        };
        let (v, i) = switches(self.who());
        (v.saturating_sub(voluntary), i.saturating_sub(involuntary))
    }

    /// The worker's lane, named `name`. Call it on the worker thread, after its last span.
    pub fn lane(&self, name: impl Into<String>) -> Lane {
        let (voluntary, involuntary) = self.switches_since_start();
        Lane {
            name: name.into(),
            kind: self.kind,
            spans: self.spans.clone(),
            voluntary,
            involuntary,
        }
    }

    /// Writes the header and every span to `fd` (a pipe's write end) as the record stream the
    /// module docs describe. Call it in the child, after its last span. It neither allocates
    /// nor locks, so a child forked from a multithreaded process may call it.
    pub fn send(&self, fd: impl AsFd) -> nix::Result<()> {
        let (voluntary, involuntary) = self.switches_since_start();
        let mut batch = [0u8; BATCH * RECORD_BYTES];
        batch[..RECORD_BYTES].copy_from_slice(&record(
            self.spans.len() as u32,
            self.dropped,
            voluntary,
            involuntary,
        ));
        let mut filled = 1;
        for span in &self.spans {
            if filled == BATCH {
                write_all(fd.as_fd(), &batch)?;
                filled = 0;
            }
            let at = filled * RECORD_BYTES;
            batch[at..at + RECORD_BYTES].copy_from_slice(&record(
                span.cpu_begin,
                span.cpu_end,
                span.begin_ns,
                span.end_ns,
            ));
            filled += 1;
        }
        write_all(fd.as_fd(), &batch[..filled * RECORD_BYTES])
    }
}

/// The span in progress inside [`Recorder::span_split`]: its work calls
/// [`checkpoint`](Self::checkpoint) every few microseconds.
#[derive(Debug)]
pub struct Split<'a> {
    recorder: &'a mut Recorder,
    pause_ns: u64,
    /// The span's first reading, (time, CPU).
    begin: (u64, u32),
    /// The previous reading.
    last: (u64, u32),
}

impl Split<'_> {
    /// Reads the clock and the CPU. If more than the pause passed since the previous reading,
    /// the worker was not running in between: the span ends at that reading, on its CPU, and
    /// a new one begins now.
    #[inline]
    pub fn checkpoint(&mut self) {
        let now = self.recorder.end_reading();
        if now.0.saturating_sub(self.last.0) > self.pause_ns {
            self.recorder.push(self.begin, self.last);
            self.begin = now;
        }
        self.last = now;
    }
}

/// One record: two u32 and two u64, native byte order.
fn record(a: u32, b: u32, c: u64, d: u64) -> [u8; RECORD_BYTES] {
    let mut out = [0u8; RECORD_BYTES];
    out[0..4].copy_from_slice(&a.to_ne_bytes());
    out[4..8].copy_from_slice(&b.to_ne_bytes());
    out[8..16].copy_from_slice(&c.to_ne_bytes());
    out[16..24].copy_from_slice(&d.to_ne_bytes());
    out
}

/// The inverse of [`record`].
fn fields(bytes: &[u8; RECORD_BYTES]) -> (u32, u32, u64, u64) {
    let u32_at = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_ne_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    (u32_at(0), u32_at(4), u64_at(8), u64_at(16))
}

/// `write(2)` until every byte is written: a pipe may take part of a large write, and a signal
/// may interrupt one.
fn write_all(fd: std::os::fd::BorrowedFd<'_>, mut bytes: &[u8]) -> nix::Result<()> {
    while !bytes.is_empty() {
        match nix::unistd::write(fd, bytes) {
            Ok(written) => bytes = &bytes[written..],
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// What a child sent: its lane, and how many spans it could not store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub lane: Lane,
    pub dropped: u32,
}

/// Reads one child's record stream (see the module docs) from `reader`, such as the read end
/// of the child's pipe, into a lane named `name`. A stream that ends early is an error
/// (`UnexpectedEof`): the child died before it finished sending.
pub fn receive(mut reader: impl Read, name: impl Into<String>) -> io::Result<Received> {
    let mut bytes = [0u8; RECORD_BYTES];
    reader.read_exact(&mut bytes)?;
    let (count, dropped, voluntary, involuntary) = fields(&bytes);
    let mut spans = Vec::with_capacity(count as usize);
    for _ in 0..count {
        reader.read_exact(&mut bytes)?;
        let (cpu_begin, cpu_end, begin_ns, end_ns) = fields(&bytes);
        spans.push(Span {
            begin_ns,
            end_ns,
            cpu_begin,
            cpu_end,
        });
    }
    Ok(Received {
        lane: Lane {
            name: name.into(),
            kind: LaneKind::Process,
            spans,
            voluntary,
            involuntary,
        },
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::Children;
    use crate::testing::fork_lock;
    use nix::sched::{CpuSet, sched_getaffinity};
    use nix::unistd::Pid;
    use std::thread;
    use std::time::Duration;

    /// Work that takes a little while and cannot be optimised away.
    fn work(n: u64) -> u64 {
        (0..black_box(n)).fold(0u64, |acc, i| acc.wrapping_add(i * i))
    }

    /// The CPUs this process may run on: every span's CPU must be one of them.
    fn allowed_cpus() -> CpuSet {
        sched_getaffinity(Pid::from_raw(0)).unwrap()
    }

    fn assert_cpus_allowed(lane: &Lane) {
        let allowed = allowed_cpus();
        for cpu in lane.cpus() {
            assert!(
                allowed.is_set(cpu as usize).unwrap(),
                "CPU {cpu} in {lane:?}"
            );
        }
    }

    /// Two threads: each span holds the work done in it, the spans follow one another, and
    /// together they fit in the time the thread ran.
    #[test]
    fn thread_spans_are_ordered_and_hold_their_work() {
        let origin = Origin::now();
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                thread::spawn(move || {
                    let mut recorder = Recorder::for_thread(origin, 16);
                    let started = origin.elapsed_ns();
                    // When each unit of work itself saw it start and end.
                    let mut inside = Vec::with_capacity(16);
                    for unit in 0..10 {
                        recorder.span(|| {
                            let begin = origin.elapsed_ns();
                            black_box(work(10_000 * (unit + 1)));
                            if unit % 3 == 0 {
                                // A blocking call: at least one voluntary switch each time.
                                thread::sleep(Duration::from_millis(1));
                            }
                            inside.push((begin, origin.elapsed_ns()));
                        });
                    }
                    let wall = origin.elapsed_ns() - started;
                    (recorder.lane(format!("thread {worker}")), inside, wall)
                })
            })
            .collect();
        for worker in workers {
            let (lane, inside, wall) = worker.join().unwrap();
            assert_eq!(lane.kind, LaneKind::Thread);
            assert_eq!(lane.spans.len(), 10);
            assert!(lane.is_ordered(), "{lane:?}");
            assert!(lane.busy_ns() <= wall, "{} > {wall}", lane.busy_ns());
            for (span, (begin, end)) in lane.spans.iter().zip(inside) {
                assert!(span.begin_ns <= begin && end <= span.end_ns, "{span:?}");
            }
            // Four of the units slept.
            assert!(lane.voluntary >= 4, "{lane:?}");
            assert_cpus_allowed(&lane);
        }
    }

    /// A full buffer never grows: the extra spans are counted, and their work still runs.
    #[test]
    fn a_full_buffer_counts_what_it_drops() {
        let mut recorder = Recorder::for_thread(Origin::now(), 3);
        let capacity = recorder.spans.capacity();
        let ran: u32 = (0..capacity as u32 + 2).map(|_| recorder.span(|| 1)).sum();
        assert_eq!(ran, capacity as u32 + 2);
        assert_eq!(recorder.spans().len(), capacity);
        assert_eq!(recorder.spans.capacity(), capacity);
        assert_eq!(recorder.dropped(), 2);
    }

    #[test]
    fn a_lane_without_spans_counts_no_switches() {
        let recorder = Recorder::for_process(Origin::now(), 4);
        thread::sleep(Duration::from_millis(1));
        let lane = recorder.lane("idle");
        assert_eq!(
            (lane.spans.len(), lane.voluntary, lane.involuntary),
            (0, 0, 0)
        );
        assert_eq!(lane.kind, LaneKind::Process);
    }

    /// The stream round-trips, batches included, and a cut one is an error.
    #[test]
    fn the_stream_round_trips_and_a_short_one_fails() {
        let mut recorder = Recorder::for_thread(Origin::now(), BATCH * 2 + 5);
        for _ in 0..BATCH * 2 + 7 {
            recorder.span(|| ());
        }
        let (read, write) = nix::unistd::pipe().unwrap();
        // More than a pipe holds: read while the recorder writes.
        let reader = thread::spawn(move || {
            let mut bytes = Vec::new();
            std::fs::File::from(read).read_to_end(&mut bytes).unwrap();
            bytes
        });
        recorder.send(&write).unwrap();
        drop(write);
        let bytes = reader.join().unwrap();
        assert_eq!(bytes.len(), (BATCH * 2 + 6) * RECORD_BYTES);
        let received = receive(bytes.as_slice(), "copy").unwrap();
        assert_eq!(received.lane.spans, recorder.spans());
        assert_eq!(received.dropped, 2);
        let cut = &bytes[..bytes.len() - 1];
        let err = receive(cut, "cut").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    /// Two forked children record spans and send them through their own pipes; the parent
    /// gets every span of each, in order, within the time the children lived.
    #[test]
    fn spans_from_two_forked_children_arrive_intact() {
        let _lock = fork_lock();
        let origin = Origin::now();
        let mut children = Children::new();
        let mut pipes = Vec::new();
        for child in 0..2u64 {
            // Allocated here: the child must not allocate (it is forked from the test
            // harness's many threads).
            let mut recorder = Recorder::for_process(origin, 8);
            let (read, write) = nix::unistd::pipe().unwrap();
            let units = 3 + 2 * child;
            // SAFETY: the child does arithmetic, clock_gettime, sched_getcpu, getrusage, poll
            // and write into memory allocated before the fork: all async-signal-safe, no
            // allocation and no lock (see the module docs).
            unsafe {
                children.spawn(move || {
                    for unit in 0..units {
                        recorder.span(|| {
                            black_box(work(20_000 * (unit + 1)));
                            // Blocks for a millisecond: one voluntary switch at least.
                            let _ = nix::poll::poll(&mut [], 1u8);
                        });
                    }
                    let status = i32::from(recorder.send(&write).is_err());
                    // Dropping the buffer would call free(3), which is not async-signal-safe;
                    // the child's memory goes with it at _exit anyway.
                    std::mem::forget(recorder);
                    status
                })
            }
            .unwrap();
            pipes.push((read, units));
        }
        for (child, (read, units)) in pipes.into_iter().enumerate() {
            // The parent's copy of the write end is closed when the closure was dropped, so
            // a child that died early shows as a short stream, not a hang.
            let received = receive(std::fs::File::from(read), format!("process {child}")).unwrap();
            let lane = received.lane;
            assert_eq!(received.dropped, 0);
            assert_eq!(lane.spans.len() as u64, units, "{lane:?}");
            assert!(lane.is_ordered(), "{lane:?}");
            assert!(lane.spans.iter().all(|s| s.begin_ns < s.end_ns), "{lane:?}");
            assert!(lane.voluntary >= units, "{lane:?}");
            assert_cpus_allowed(&lane);
            // Recorded from the same origin, on the same clock: no span ends after now.
            assert!(lane.spans.iter().all(|s| s.end_ns <= origin.elapsed_ns()));
        }
        children.wait_all_ok().unwrap();
    }

    /// Runs `units` units of work through [`Recorder::span_split`] with `pause_ns`, each unit
    /// `steps` checkpoints apart of a little work, sleeping (a stand-in for being descheduled:
    /// the thread is off its CPU for at least the time asked, nanosleep(2)) before the
    /// checkpoints `sleep_at` says. Returns each unit's spans and when each sleep began and
    /// ended, as the worker itself saw it.
    fn split_units(
        recorder: &mut Recorder,
        pause_ns: u64,
        units: u64,
        steps: u64,
        sleep_at: impl Fn(u64, u64) -> bool,
    ) -> (Vec<Vec<Span>>, Vec<(u64, u64)>) {
        let origin = recorder.origin;
        let mut per_unit = Vec::new();
        let mut sleeps = Vec::new();
        for unit in 0..units {
            let before = recorder.spans().len();
            recorder.span_split(pause_ns, |split| {
                for step in 0..steps {
                    black_box(work(2_000));
                    if sleep_at(unit, step) {
                        let began = origin.elapsed_ns();
                        thread::sleep(Duration::from_millis(2));
                        sleeps.push((began, origin.elapsed_ns()));
                    }
                    split.checkpoint();
                }
            });
            per_unit.push(recorder.spans()[before..].to_vec());
        }
        (per_unit, sleeps)
    }

    /// A worker that sleeps between checkpoints: each sleep falls in a gap between two spans
    /// of its unit, every gap inside a unit is longer than the pause (a split is made only at
    /// such a gap; the machine may add some of its own), and the spans stay ordered.
    #[test]
    fn a_sleep_between_checkpoints_splits_the_span_around_it() {
        let mut recorder = Recorder::for_thread(Origin::now(), 256);
        let (per_unit, sleeps) = split_units(&mut recorder, OFF_CPU_NS, 4, 20, |unit, step| {
            unit % 2 == 1 && step % 5 == 2
        });
        let lane = recorder.lane("sleeper");
        assert!(lane.is_ordered(), "{lane:?}");
        assert_eq!(recorder.dropped(), 0);
        // Units 1 and 3 slept 4 times each: at least 5 spans each; 0 and 2 at least one.
        assert_eq!(sleeps.len(), 8);
        for (unit, spans) in per_unit.iter().enumerate() {
            let least = if unit % 2 == 1 { 5 } else { 1 };
            assert!(spans.len() >= least, "unit {unit}: {spans:?}");
            for pair in spans.windows(2) {
                assert!(pair[1].begin_ns - pair[0].end_ns > OFF_CPU_NS, "{pair:?}");
            }
        }
        for (began, ended) in sleeps {
            let covered = lane
                .spans
                .windows(2)
                .any(|w| w[0].end_ns <= began && ended <= w[1].begin_ns);
            assert!(covered, "no gap holds the sleep {began}..{ended}: {lane:?}");
        }
        assert_cpus_allowed(&lane);
    }

    /// A worker that never pauses as long as the threshold (none can: no gap exceeds u64::MAX
    /// nanoseconds) makes one span per unit, each holding its work, as [`Recorder::span`]
    /// would.
    #[test]
    fn without_a_pause_each_unit_is_one_span() {
        let origin = Origin::now();
        let mut recorder = Recorder::for_thread(origin, 16);
        let started = origin.elapsed_ns();
        let (per_unit, _) = split_units(&mut recorder, u64::MAX, 6, 50, |unit, step| {
            // A sleep is no pause beside this threshold.
            unit == 3 && step == 10
        });
        let ended = origin.elapsed_ns();
        assert!(
            per_unit.iter().all(|spans| spans.len() == 1),
            "{per_unit:?}"
        );
        let lane = recorder.lane("steady");
        assert_eq!(lane.spans.len(), 6);
        assert!(lane.is_ordered(), "{lane:?}");
        assert!(started <= lane.spans[0].begin_ns && lane.spans[5].end_ns <= ended);
        // With no checkpoint at all, a unit is one span too.
        recorder.span_split(OFF_CPU_NS, |_| black_box(work(1_000)));
        assert_eq!(recorder.spans().len(), 7);
    }

    /// Split spans fill the same buffer: past its capacity they are counted, not stored, and
    /// the work still runs to its end.
    #[test]
    fn split_spans_past_the_capacity_are_counted_as_dropped() {
        let mut recorder = Recorder::for_thread(Origin::now(), 2);
        let capacity = recorder.spans.capacity();
        let (_, sleeps) = split_units(&mut recorder, OFF_CPU_NS, 1, 2 * capacity as u64, |_, _| {
            true
        });
        // Each sleep is a split: at least one span more than sleeps.
        assert_eq!(sleeps.len(), 2 * capacity);
        assert_eq!(recorder.spans().len(), capacity);
        assert_eq!(recorder.spans.capacity(), capacity);
        assert!(
            recorder.dropped() as usize > capacity,
            "{}",
            recorder.dropped()
        );
    }

    /// What one span costs on this machine ([`cost_per_span_ns`]). Ignored: it prints a
    /// measurement and asserts nothing (see the module docs for the command).
    #[test]
    #[ignore]
    fn overhead() {
        println!("one span costs about {} ns", cost_per_span_ns());
        println!("one checkpoint costs about {} ns", cost_per_checkpoint_ns());
    }
}
