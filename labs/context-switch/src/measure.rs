//! Measuring: after a warm-up, round trips are timed in batches (the clock is read twice per
//! batch, not per round trip, so reading it adds almost nothing), and ping's context switches
//! are counted with getrusage(2) `RUSAGE_THREAD`. [`Results::collect`] measures every variant
//! this machine has the CPUs for, and skips the others.

use crate::ping_pong::{Outcome, PingPong};
use crate::pinning::{allowed_cpus, cpus_for};
use crate::{Placement, Variant, WARM_UP_ROUND_TRIPS};
use anyhow::ensure;
use kit::Summary;
use nix::sys::resource::{UsageWho, getrusage};

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

    pub(crate) fn find(&self, kind: &str, placement: Placement) -> Option<&Measured> {
        self.measured
            .iter()
            .find(|m| m.variant.kind() == kind && m.variant.placement == placement)
    }

    pub(crate) fn median(&self, kind: &str, placement: Placement) -> Option<f64> {
        self.find(kind, placement).map(|m| summary(m).median)
    }
}
