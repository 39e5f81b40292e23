//! Pinning: which CPUs ping and pong run on. A thread's affinity mask "determines the set of
//! CPUs on which it is eligible to run" (sched_setaffinity(2)), so a mask with a single CPU pins
//! it there. With both sides pinned to one CPU they must take turns, and every handoff is a
//! context switch; pinned to two, each handoff wakes the other CPU's side.

use crate::Placement;
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

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
