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
//!
//! One file per concept, in the order the page shows them:
//! - `pinning.rs`: the CPUs this process may use, and pinning a thread to one;
//! - `pipe.rs`: pong's side of the pipe handoff;
//! - `condvar.rs`: pong's side of the `Mutex` and `Condvar` handoff;
//! - `ping_pong.rs`: starting pong, ping's side of a round trip, and finishing ([`PingPong`]);
//! - `measure.rs`: timing batches of round trips and counting switches ([`Results`]);
//! - `report.rs`: how the lab talks (`--json` and the readable report).
//!
//! This file holds what they share: the lab's name, the warm-up and the variants
//! ([`Variant`]: the handoff, between whom, and where). The concept modules are private, and
//! `pub` inside one means "for the other modules" (a method of an exported type is
//! `pub(crate)` instead): what the crate exports is what this file re-exports below, so
//! callers write `context_switch::PingPong`.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

mod condvar;
mod measure;
mod ping_pong;
mod pinning;
mod pipe;
pub mod report;

pub use measure::{Measured, Results, measure, summary, thread_switches};
pub use ping_pong::{Outcome, PingPong};
pub use pinning::{allowed_cpus, cpus_for, pin_to};

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "context-switch";

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
