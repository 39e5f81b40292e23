//! What the machine allows, checked before anything starts: every count of threads or
//! processes, and the copy-on-write heap, against the room the machine has left.
//!
//! - Tasks: a thread is a task to the kernel just as a process is, and both count against
//!   `kernel.threads-max` and the pids controller of our cgroups (`kit::machine::
//!   processes_left`, which reads both). A count may use at most half of what is left.
//! - Memory: at most half of `MemAvailable` (proc(5)), with a generous budget per thread
//!   and per process.
//! - A tokio task is no task to the kernel: only memory limits it, a small budget per task.
//! - Threads also reserve address space (their stacks: `RLIMIT_AS`, getrlimit(2)) and add
//!   mappings (`vm.max_map_count`, the kernel's Documentation/admin-guide/sysctl/vm.rst: a
//!   thread's stack, its guard page, std's alternate signal stack and its guard).

use crate::idle::Kind;
use nix::sys::resource::{Resource, getrlimit};

/// Resident memory a thread is allowed in the check: far more than an idle one costs (a few
/// pages of stack, glibc's thread descriptor, the kernel's stack and task), so that the
/// check never refuses what would fit.
pub const THREAD_BUDGET: u64 = 256 << 10;
/// The same for a process: its page tables, the few pages it copies, the kernel's share.
pub const PROCESS_BUDGET: u64 = 2 << 20;
/// The same for a tokio task: its cell on the heap (a few hundred bytes) and the lab's
/// handle to it, with room to spare.
pub const TASK_BUDGET: u64 = 4 << 10;
/// Mappings one thread adds at most: its stack and guard, std's signal stack and guard.
pub const MAPS_PER_THREAD: u64 = 4;
/// Mappings the lab itself may have besides the threads' (its binary, libraries, heap).
pub const MAPS_OF_THE_LAB: u64 = 1000;

/// The room the machine has left, as read before the lab starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// Tasks (threads or processes) that may still be created; `None` if no limit was read.
    pub tasks_left: Option<u64>,
    /// `MemAvailable`, in bytes.
    pub mem_available: u64,
    /// `vm.max_map_count`, if it could be read.
    pub max_map_count: Option<u64>,
    /// The soft `RLIMIT_AS`, in bytes; `None` if unlimited.
    pub address_space: Option<u64>,
}

impl Room {
    /// Reads the room of this machine and this process.
    pub fn detect() -> anyhow::Result<Self> {
        let max_map_count = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|text| text.trim().parse().ok());
        let (soft, _) = getrlimit(Resource::RLIMIT_AS)?;
        Ok(Self {
            tasks_left: kit::machine::processes_left(),
            mem_available: kit::machine::mem_available_bytes()?,
            max_map_count,
            address_space: (soft != nix::libc::RLIM_INFINITY).then_some(soft),
        })
    }

    /// Why `count` parked threads (with `stack` bytes of stack each) or processes do not fit,
    /// or `None` if they do.
    pub fn refusal(&self, kind: Kind, count: usize, stack: usize) -> Option<String> {
        let count = count as u64;
        if let Some(left) = self.tasks_left
            && kind != Kind::Tasks
            && count > left / 2
        {
            return Some(format!(
                "{count} {} is more than half of the {left} tasks this machine still allows \
                 (kernel.threads-max, cgroup pids.max)",
                kind.name()
            ));
        }
        let budget = match kind {
            Kind::Threads => THREAD_BUDGET,
            Kind::Processes => PROCESS_BUDGET,
            Kind::Tasks => TASK_BUDGET,
        };
        if count * budget > self.mem_available / 2 {
            return Some(format!(
                "{count} {} at {} KiB each is more than half of MemAvailable ({} MiB)",
                kind.name(),
                budget >> 10,
                self.mem_available >> 20
            ));
        }
        if kind == Kind::Threads {
            if let Some(max) = self.max_map_count
                && count * MAPS_PER_THREAD + MAPS_OF_THE_LAB > max
            {
                return Some(format!(
                    "{count} threads need about {} mappings, more than vm.max_map_count ({max})",
                    count * MAPS_PER_THREAD + MAPS_OF_THE_LAB
                ));
            }
            if let Some(limit) = self.address_space
                && count * stack as u64 > limit / 2
            {
                return Some(format!(
                    "{count} stacks of {} KiB are more than half of RLIMIT_AS ({} MiB)",
                    stack >> 10,
                    limit >> 20
                ));
            }
        }
        None
    }

    /// Why a copy-on-write heap of `mib` MiB does not fit, or `None`: the parent's heap and
    /// the child's copy of it must fit in half of `MemAvailable`.
    pub fn cow_refusal(&self, mib: usize) -> Option<String> {
        let needed = (2 * mib as u64) << 20;
        (needed > self.mem_available / 2).then(|| {
            format!(
                "a {mib} MiB heap and the child's copy of it need {} MiB, more than half of \
                 MemAvailable ({} MiB)",
                needed >> 20,
                self.mem_available >> 20
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn room() -> Room {
        Room {
            tasks_left: Some(10_000),
            mem_available: 4096 * MIB,
            max_map_count: Some(65_530),
            address_space: None,
        }
    }

    #[test]
    fn counts_within_half_of_every_limit_fit() {
        let room = room();
        assert_eq!(room.refusal(Kind::Threads, 1000, 2 * MIB as usize), None);
        assert_eq!(room.refusal(Kind::Processes, 1000, 0), None);
        assert_eq!(
            room.refusal(Kind::Tasks, 100_000, 0),
            None,
            "not kernel tasks"
        );
        assert_eq!(room.cow_refusal(256), None);
    }

    #[test]
    fn each_limit_refuses_with_its_name() {
        let room = room();
        let tasks = room.refusal(Kind::Threads, 6000, 0).unwrap();
        assert!(tasks.contains("threads-max"), "{tasks}");
        let small = Room {
            mem_available: 1024 * MIB,
            ..room
        };
        let memory = small.refusal(Kind::Processes, 300, 0).unwrap();
        assert!(memory.contains("MemAvailable"), "{memory}");
        let tasks = small.refusal(Kind::Tasks, 1_000_000, 0).unwrap();
        assert!(tasks.contains("MemAvailable"), "{tasks}");
        assert!(small.cow_refusal(512).unwrap().contains("MemAvailable"));
        let maps = Room {
            max_map_count: Some(4000),
            ..room
        };
        assert!(
            maps.refusal(Kind::Threads, 1000, 0)
                .unwrap()
                .contains("max_map_count")
        );
        assert_eq!(maps.refusal(Kind::Processes, 1000, 0), None, "threads only");
        let capped = Room {
            address_space: Some(1024 * MIB),
            ..room
        };
        let address = capped.refusal(Kind::Threads, 1000, 2 * MIB as usize);
        assert!(address.unwrap().contains("RLIMIT_AS"));
        assert_eq!(capped.refusal(Kind::Threads, 100, 2 * MIB as usize), None);
    }
}
