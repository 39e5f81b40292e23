//! One ping-pong, from start to finish: [`PingPong::start`] pins ping and starts pong (a
//! thread, or a child forked through `kit::Children`), which pins itself to its own CPU;
//! [`PingPong::round_trips`] is ping's side, over either handoff; [`PingPong::finish`] waits
//! for pong and reports both sides' counts. Dropping a `PingPong` early puts ping's CPU mask
//! back and stops pong, so a failure leaves no thread blocked and no child behind.

use crate::condvar::{Shared, pong_condvar};
use crate::pinning::pin_to;
use crate::pipe::{pong_pipe, read_exact, write_all};
use crate::{Between, Handoff, Variant};
use anyhow::{Context, bail, ensure};
use kit::{Children, SharedRegion};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, pipe};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
