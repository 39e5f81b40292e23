//! What it costs to hand control from one thread or process to another and back: a
//! ping-pong. One side (ping, the calling thread) sends a counter; the other side (pong, a
//! thread or a forked child) adds one and sends it back; ping checks the answer and starts
//! the next round trip. Each side blocks until the other has answered, so when both are on
//! the same CPU every round trip is two context switches: ping → pong → ping.
//!
//! Three variants:
//! - `pipe-threads`: two pipes, pong is a thread;
//! - `pipe-processes`: the same two pipes, pong is a forked child;
//! - `condvar-threads`: a `Mutex` and a `Condvar`, pong is a thread (std builds both on the
//!   futex(2) system call on Linux, so a blocked side sleeps in the kernel, as with a pipe).
//!
//! Each runs with both sides pinned to the same CPU, and to two different CPUs when the
//! machine has two (sched_setaffinity(2)).

use anyhow::{Context, bail, ensure};
use kit::{Children, SharedRegion, Summary};
use nix::errno::Errno;
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, pipe, read, write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "context-switch";

pub mod report;

/// Round trips made before the timed ones, so both sides are running, pinned and warm.
pub const WARM_UP_ROUND_TRIPS: u64 = 100;

/// How control is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// Write 8 bytes into a pipe; the other side is blocked reading it.
    Pipe,
    /// Set a flag under a `Mutex` and notify a `Condvar` the other side waits on.
    Condvar,
}

/// Who the other side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Between {
    Threads,
    Processes,
}

/// Where the two sides run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both pinned to the same CPU: they must take turns, so each handoff is a switch.
    SameCpu,
    /// Pinned to two different CPUs: each handoff wakes the other CPU's side.
    AcrossCpus,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::SameCpu, Placement::AcrossCpus];

    pub fn name(self) -> &'static str {
        match self {
            Placement::SameCpu => "same-cpu",
            Placement::AcrossCpus => "across-cpus",
        }
    }
}

/// One way of ping-ponging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub handoff: Handoff,
    pub between: Between,
    pub placement: Placement,
}

impl Variant {
    /// The three handoffs, each on one CPU and across two.
    pub fn all() -> Vec<Variant> {
        let kinds = [
            (Handoff::Pipe, Between::Threads),
            (Handoff::Pipe, Between::Processes),
            (Handoff::Condvar, Between::Threads),
        ];
        Placement::ALL
            .into_iter()
            .flat_map(|placement| {
                kinds.map(|(handoff, between)| Variant {
                    handoff,
                    between,
                    placement,
                })
            })
            .collect()
    }

    /// `pipe-threads`, `pipe-processes` or `condvar-threads`.
    pub fn kind(self) -> &'static str {
        match (self.handoff, self.between) {
            (Handoff::Pipe, Between::Threads) => "pipe-threads",
            (Handoff::Pipe, Between::Processes) => "pipe-processes",
            (Handoff::Condvar, Between::Threads) => "condvar-threads",
            (Handoff::Condvar, Between::Processes) => "condvar-processes",
        }
    }

    /// The record id, and criterion's `group/function`: `context-switch/pipe-threads/same-cpu`.
    pub fn id(self) -> String {
        format!("{LAB}/{}/{}", self.kind(), self.placement.name())
    }

    /// What one round trip is, in words.
    pub fn how(self) -> &'static str {
        match (self.handoff, self.between) {
            (Handoff::Pipe, Between::Threads) => {
                "8 bytes each way through two pipes, thread to thread"
            }
            (Handoff::Pipe, Between::Processes) => {
                "8 bytes each way through two pipes, process to process"
            }
            (Handoff::Condvar, _) => "a flag under a Mutex, with a Condvar to wait on",
        }
    }
}

// ANCHOR: pinning
/// The CPUs the calling thread may run on (sched_getaffinity(2); pid 0 means "the calling
/// thread").
pub fn allowed_cpus() -> nix::Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0))?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect())
}

/// Pins the calling thread to one CPU. Only a system call and stack memory, so a forked
/// child may call it too.
pub fn pin_to(cpu: usize) -> nix::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu)?;
    sched_setaffinity(Pid::from_raw(0), &set)
}

/// The CPUs ping and pong are pinned to for `placement`, from the allowed ones: the first
/// CPU twice, or the first two. `None` when the placement needs two CPUs and there is one.
pub fn cpus_for(placement: Placement, allowed: &[usize]) -> Option<(usize, usize)> {
    match (placement, allowed) {
        (Placement::SameCpu, [first, ..]) => Some((*first, *first)),
        (Placement::AcrossCpus, [first, second, ..]) => Some((*first, *second)),
        _ => None,
    }
}
// ANCHOR_END: pinning

/// Reads exactly `buf.len()` bytes, retrying after signals and short reads. Only `read(2)`
/// and arithmetic: fine in a forked child.
fn read_exact(fd: impl AsFd, buf: &mut [u8]) -> nix::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match read(fd.as_fd(), &mut buf[done..]) {
            Ok(0) => return Err(Errno::EPIPE),
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Writes all of `buf` (8 bytes: pipe(7) says a write of at most `PIPE_BUF` bytes is atomic,
/// but we do not rely on it).
fn write_all(fd: impl AsFd, buf: &[u8]) -> nix::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match write(fd.as_fd(), &buf[done..]) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

// ANCHOR: pong_pipe
/// Pong's side of a pipe ping-pong: `round_trips` times, read ping's counter, check that it
/// is the next odd number, send it back plus one. Returns how many round trips it answered.
/// Only `read`, `write` and arithmetic, so a forked child may run it.
fn pong_pipe(from_ping: &OwnedFd, to_ping: &OwnedFd, round_trips: u64) -> nix::Result<u64> {
    let mut message = [0u8; 8];
    for answered in 0..round_trips {
        read_exact(from_ping, &mut message)?;
        let counter = u64::from_ne_bytes(message);
        if counter != 2 * answered + 1 {
            return Err(Errno::EPROTO);
        }
        write_all(to_ping, &(counter + 1).to_ne_bytes())?;
    }
    Ok(round_trips)
}
// ANCHOR_END: pong_pipe

/// The state a condvar ping-pong shares: whose turn it is, and the counter.
#[derive(Debug, Default)]
struct Turn {
    counter: u64,
    pongs_turn: bool,
    /// Set when ping goes away early, so pong does not wait forever.
    stop: bool,
}

#[derive(Debug, Default)]
struct Shared {
    turn: Mutex<Turn>,
    changed: Condvar,
}

// ANCHOR: pong_condvar
/// Pong's side of a condvar ping-pong: wait for its turn, add one, hand the turn back.
fn pong_condvar(shared: &Shared, round_trips: u64) -> anyhow::Result<u64> {
    for answered in 0..round_trips {
        let turn = shared
            .turn
            .lock()
            .expect("ping never panics holding the lock");
        let mut turn = shared
            .changed
            .wait_while(turn, |t| !t.pongs_turn && !t.stop)
            .expect("not poisoned");
        if turn.stop {
            bail!("ping stopped after {answered} round trips");
        }
        ensure!(turn.counter == 2 * answered + 1, "counter out of step");
        turn.counter += 1;
        turn.pongs_turn = false;
        drop(turn);
        shared.changed.notify_one();
    }
    Ok(round_trips)
}
// ANCHOR_END: pong_condvar

/// Ping's ends, and what it needs to stop pong.
enum PingSide {
    Pipe {
        to_pong: OwnedFd,
        from_pong: OwnedFd,
    },
    Condvar(Arc<Shared>),
}

/// Pong, and how to wait for it.
enum PongSide {
    Thread(Option<JoinHandle<anyhow::Result<u64>>>),
    Process {
        children: Children,
        pid: Pid,
        answered: SharedRegion<AtomicU64>,
    },
}

/// What a finished ping-pong did: both sides' counts, for the tests to check exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Round trips ping completed, and the counter's final value (2 per round trip).
    pub round_trips: u64,
    pub counter: u64,
    /// Round trips pong answered.
    pub answered: u64,
}

/// A running ping-pong: pong has been started and both sides are pinned. The calling thread
/// is ping, pinned to `cpus.0` until [`PingPong::finish`] (or drop) restores its affinity.
pub struct PingPong {
    variant: Variant,
    ping: PingSide,
    pong: PongSide,
    counter: u64,
    round_trips: u64,
    planned: u64,
    restore: Option<CpuSet>,
}

impl PingPong {
    // ANCHOR: start
    /// Pins the calling thread to `cpus.0` and starts pong, pinned to `cpus.1`, to answer
    /// exactly `round_trips` round trips.
    pub fn start(variant: Variant, cpus: (usize, usize), round_trips: u64) -> anyhow::Result<Self> {
        let restore = sched_getaffinity(Pid::from_raw(0))?;
        let (ping_cpu, pong_cpu) = cpus;
        let (ping, pong) = match (variant.handoff, variant.between) {
            (Handoff::Pipe, between) => {
                let (from_ping, to_pong) = pipe()?;
                let (from_pong, to_ping) = pipe()?;
                let pong = match between {
                    Between::Threads => PongSide::Thread(Some(std::thread::spawn(move || {
                        pin_to(pong_cpu)?;
                        Ok(pong_pipe(&from_ping, &to_ping, round_trips)?)
                    }))),
                    Between::Processes => {
                        let answered = SharedRegion::<AtomicU64>::new()?;
                        let mut children = Children::new();
                        // SAFETY: the child pins itself and runs `pong_pipe`: system calls
                        // (sched_setaffinity, read, write), arithmetic and one atomic store.
                        // No allocation, no lock.
                        let pid = unsafe {
                            children.spawn(|| {
                                if pin_to(pong_cpu).is_err() {
                                    return 2;
                                }
                                match pong_pipe(&from_ping, &to_ping, round_trips) {
                                    Ok(n) => {
                                        answered.get().store(n, Ordering::SeqCst);
                                        0
                                    }
                                    Err(_) => 1,
                                }
                            })
                        }?;
                        // The parent keeps only its own ends, so a pong that dies is seen
                        // as end-of-file instead of a read that waits forever.
                        drop((from_ping, to_ping));
                        PongSide::Process {
                            children,
                            pid,
                            answered,
                        }
                    }
                };
                (PingSide::Pipe { to_pong, from_pong }, pong)
            }
            (Handoff::Condvar, Between::Threads) => {
                let shared = Arc::new(Shared::default());
                let theirs = Arc::clone(&shared);
                let pong = std::thread::spawn(move || {
                    pin_to(pong_cpu)?;
                    pong_condvar(&theirs, round_trips)
                });
                (PingSide::Condvar(shared), PongSide::Thread(Some(pong)))
            }
            (Handoff::Condvar, Between::Processes) => {
                bail!("std's Mutex and Condvar cannot be shared between processes")
            }
        };
        let ping_pong = Self {
            variant,
            ping,
            pong,
            counter: 0,
            round_trips: 0,
            planned: round_trips,
            restore: Some(restore),
        };
        // If pinning fails, dropping `ping_pong` restores the affinity and stops pong.
        pin_to(ping_cpu).context("pinning ping")?;
        Ok(ping_pong)
    }
    // ANCHOR_END: start

    pub fn variant(&self) -> Variant {
        self.variant
    }

    // ANCHOR: ping
    /// Makes `n` round trips and returns how long they took together.
    pub fn round_trips(&mut self, n: u64) -> anyhow::Result<Duration> {
        ensure!(
            self.round_trips + n <= self.planned,
            "pong answers only {} round trips",
            self.planned
        );
        let start = Instant::now();
        for _ in 0..n {
            self.counter = self.one_round_trip()?;
        }
        let elapsed = start.elapsed();
        self.round_trips += n;
        Ok(elapsed)
    }

    /// Sends the next odd counter, waits for pong's answer, checks it is one more.
    fn one_round_trip(&mut self) -> anyhow::Result<u64> {
        let sent = self.counter + 1;
        let answer = match &self.ping {
            PingSide::Pipe { to_pong, from_pong } => {
                write_all(to_pong, &sent.to_ne_bytes())?;
                let mut message = [0u8; 8];
                read_exact(from_pong, &mut message)?;
                u64::from_ne_bytes(message)
            }
            PingSide::Condvar(shared) => {
                let mut turn = shared.turn.lock().expect("pong never panics holding it");
                turn.counter = sent;
                turn.pongs_turn = true;
                // Unlock before waking pong: woken on this CPU while we still held the lock,
                // it would only block on the Mutex and switch straight back.
                drop(turn);
                shared.changed.notify_one();
                let turn = shared.turn.lock().expect("pong never panics holding it");
                let turn = shared
                    .changed
                    .wait_while(turn, |t| t.pongs_turn)
                    .expect("not poisoned");
                turn.counter
            }
        };
        ensure!(answer == sent + 1, "sent {sent}, pong answered {answer}");
        Ok(answer)
    }
    // ANCHOR_END: ping

    /// Waits for pong to end, restores ping's CPU affinity, and reports both sides' counts.
    pub fn finish(mut self) -> anyhow::Result<Outcome> {
        self.unpin()?;
        let answered = match &mut self.pong {
            PongSide::Thread(handle) => handle
                .take()
                .expect("joined once")
                .join()
                .map_err(|_| anyhow::anyhow!("pong panicked"))??,
            PongSide::Process {
                children,
                pid,
                answered,
            } => {
                let pid = *pid;
                let status = children.wait(pid)?;
                ensure!(
                    status == WaitStatus::Exited(pid, 0),
                    "pong {pid} ended with {status:?}"
                );
                answered.get().load(Ordering::SeqCst)
            }
        };
        Ok(Outcome {
            round_trips: self.round_trips,
            counter: self.counter,
            answered,
        })
    }

    fn unpin(&mut self) -> nix::Result<()> {
        match self.restore.take() {
            Some(set) => sched_setaffinity(Pid::from_raw(0), &set),
            None => Ok(()),
        }
    }
}

impl Drop for PingPong {
    /// On an early return: unpin ping and let pong go. A pong thread blocked on a pipe sees
    /// end-of-file once ping's ends close (just after this); a condvar pong is told to stop;
    /// a pong process is killed and reaped by the `Children` guard.
    fn drop(&mut self) {
        let _ = self.unpin();
        if let PingSide::Condvar(shared) = &self.ping {
            if let Ok(mut turn) = shared.turn.lock() {
                turn.stop = true;
            }
            shared.changed.notify_all();
        }
    }
}

/// Voluntary and involuntary context switches of the calling thread so far (getrusage(2),
/// `RUSAGE_THREAD`).
pub fn thread_switches() -> nix::Result<u64> {
    let usage = getrusage(UsageWho::RUSAGE_THREAD)?;
    Ok((usage.voluntary_context_switches() + usage.involuntary_context_switches()) as u64)
}

/// One variant, measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub variant: Variant,
    pub cpus: (usize, usize),
    /// Nanoseconds per round trip, one sample per batch.
    pub per_round_trip: Vec<f64>,
    /// Context switches of ping's thread per timed round trip.
    pub ping_switches: f64,
    pub outcome: Outcome,
}

// ANCHOR: measure
/// Measures `variant` on `cpus`: a warm-up, then `batches` batches of `batch` round trips,
/// each batch timed as a whole (the clock is read twice per batch, not per round trip).
pub fn measure(
    variant: Variant,
    cpus: (usize, usize),
    batches: u64,
    batch: u64,
) -> anyhow::Result<Measured> {
    let total = WARM_UP_ROUND_TRIPS + batches * batch;
    let mut ping_pong = PingPong::start(variant, cpus, total)?;
    ping_pong.round_trips(WARM_UP_ROUND_TRIPS)?;
    let switches_before = thread_switches()?;
    let mut per_round_trip = Vec::with_capacity(batches as usize);
    for _ in 0..batches {
        let took = ping_pong.round_trips(batch)?;
        per_round_trip.push(took.as_nanos() as f64 / batch as f64);
    }
    let switches = thread_switches()? - switches_before;
    let outcome = ping_pong.finish()?;
    ensure!(
        outcome.counter == 2 * total && outcome.answered == total,
        "{}: ping counted {}, pong answered {}, expected {total} round trips",
        variant.id(),
        outcome.counter,
        outcome.answered
    );
    Ok(Measured {
        variant,
        cpus,
        per_round_trip,
        ping_switches: switches as f64 / (batches * batch) as f64,
        outcome,
    })
}
// ANCHOR_END: measure

/// Every variant this machine could run, and the ones it could not.
#[derive(Debug, Clone)]
pub struct Results {
    pub allowed_cpus: Vec<usize>,
    pub round_trips: u64,
    pub measured: Vec<Measured>,
    /// Variants skipped because the machine has one CPU.
    pub skipped: Vec<Variant>,
}

/// A variant's median and spread per round trip, in nanoseconds.
pub fn summary(measured: &Measured) -> Summary {
    Summary::of(&measured.per_round_trip).expect("at least one batch")
}

impl Results {
    /// Measures every variant whose CPUs exist, `batches` × `batch` timed round trips each;
    /// `progress(i, total, variant)` is called before each.
    pub fn collect(
        batches: u64,
        batch: u64,
        mut progress: impl FnMut(usize, usize, Variant),
    ) -> anyhow::Result<Self> {
        let allowed_cpus = allowed_cpus()?;
        let (runnable, skipped): (Vec<_>, Vec<_>) = Variant::all()
            .into_iter()
            .partition(|v| cpus_for(v.placement, &allowed_cpus).is_some());
        let mut measured = Vec::with_capacity(runnable.len());
        for (i, &variant) in runnable.iter().enumerate() {
            progress(i, runnable.len(), variant);
            let cpus = cpus_for(variant.placement, &allowed_cpus).expect("partitioned above");
            measured.push(measure(variant, cpus, batches, batch)?);
        }
        Ok(Self {
            allowed_cpus,
            round_trips: batches * batch,
            measured,
            skipped,
        })
    }

    fn find(&self, kind: &str, placement: Placement) -> Option<&Measured> {
        self.measured
            .iter()
            .find(|m| m.variant.kind() == kind && m.variant.placement == placement)
    }

    fn median(&self, kind: &str, placement: Placement) -> Option<f64> {
        self.find(kind, placement).map(|m| summary(m).median)
    }
}
