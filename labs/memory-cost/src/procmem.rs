//! What `/proc` says a process costs in memory: five sizes, read the way proc(5) and the
//! kernel's Documentation/filesystems/proc.rst define them.
//!
//! - `VmSize` (`/proc/PID/status`): the virtual size, every mapping whether or not anything
//!   in it has memory behind it. A thread's whole stack reservation counts here at once.
//! - `VmRSS` (`/proc/PID/status`): the resident set, pages that have memory behind them now.
//!   A page shared with another process counts in full in each.
//! - `Pss` (`/proc/PID/smaps_rollup`): the proportional set size. proc.rst: "The
//!   "proportional set size" (PSS) of a process is the count of pages it has in memory,
//!   where each page is divided by the number of processes sharing it." Summed over a group
//!   of processes, a page that only they map is counted once (one that other programs map
//!   too, such as libc's code, counts for the group's share): the one size that adds up.
//! - USS, the unique set size: `Private_Clean` + `Private_Dirty` of `smaps_rollup`, the pages
//!   mapped by this process only, which its exit would free.
//! - `VmPTE` (`/proc/PID/status`): the memory of the process's page tables.
//!
//! Not here, because no file under `/proc/PID` shows it: the kernel's own memory for each task,
//! its kernel stack and its `task_struct` (see the lab's module docs).

use anyhow::{Context, ensure};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

// ANCHOR: footprint
/// What one process (or, summed, a group of processes) costs in memory, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footprint {
    /// `VmSize`: address space reserved, resident or not.
    pub vm_size: u64,
    /// `VmRSS`: resident, shared pages counted in full.
    pub rss: u64,
    /// `Pss`: resident, each shared page divided among the processes that map it.
    pub pss: u64,
    /// `Private_Clean + Private_Dirty`: resident and mapped by this process only.
    pub uss: u64,
    /// `VmPTE`: page tables.
    pub pte: u64,
}

/// Reads the footprint of `pid` (this process if `None`) from `/proc/PID/status` and
/// `/proc/PID/smaps_rollup`.
pub fn footprint(pid: Option<Pid>) -> anyhow::Result<Footprint> {
    let dir = match pid {
        None => "/proc/self".to_owned(),
        Some(pid) => format!("/proc/{pid}"),
    };
    let read = |file: &str| {
        std::fs::read_to_string(format!("{dir}/{file}"))
            .with_context(|| format!("could not read {dir}/{file}"))
    };
    let status = read("status")?;
    let rollup = read("smaps_rollup")?;
    let field = |text: &str, name: &str| {
        kib_field(text, name).with_context(|| format!("{dir}: no {name} field"))
    };
    Ok(Footprint {
        vm_size: field(&status, "VmSize")?,
        rss: field(&status, "VmRSS")?,
        pss: field(&rollup, "Pss")?,
        uss: field(&rollup, "Private_Clean")? + field(&rollup, "Private_Dirty")?,
        pte: field(&status, "VmPTE")?,
    })
}
// ANCHOR_END: footprint

/// Adds up a group's footprints: for processes, the parent's and every child's.
impl AddAssign for Footprint {
    fn add_assign(&mut self, other: Self) {
        self.vm_size += other.vm_size;
        self.rss += other.rss;
        self.pss += other.pss;
        self.uss += other.uss;
        self.pte += other.pte;
    }
}

/// The value of a `Name:   1234 kB` line, in bytes. Both files write sizes in kibibytes with
/// the unit `kB` (proc(5)).
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
    let rest = text
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?;
    let mut words = rest.split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib * 1024)
}

/// One mapping of `/proc/self/smaps`: its address range, permissions, `Size` and `Rss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub start: usize,
    pub end: usize,
    /// `true` for `---p`: no access at all, as a guard page is.
    pub no_access: bool,
    pub size: u64,
    pub rss: u64,
}

/// Every mapping in `smaps` text (proc(5): a header line `start-end perms offset dev inode
/// path`, then `Name: value kB` lines, of which we keep `Size` and `Rss`).
pub fn mappings(smaps: &str) -> anyhow::Result<Vec<Mapping>> {
    let mut all: Vec<Mapping> = Vec::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            let perms = words.next().context("a mapping without permissions")?;
            all.push(Mapping {
                start,
                end,
                no_access: perms.starts_with("---"),
                size: 0,
                rss: 0,
            });
        } else if let Some(mapping) = all.last_mut() {
            if line.starts_with("Size:") {
                mapping.size = kib_field(line, "Size").context("a bad Size line")?;
            } else if line.starts_with("Rss:") {
                mapping.rss = kib_field(line, "Rss").context("a bad Rss line")?;
            }
        }
    }
    ensure!(!all.is_empty(), "no mapping in smaps");
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields_in_bytes() {
        let status = "Name:\tx\nVmSize:\t  12345 kB\nVmRSS:\t   100 kB\nThreads:\t3\n";
        assert_eq!(kib_field(status, "VmSize"), Some(12345 * 1024));
        assert_eq!(kib_field(status, "VmRSS"), Some(100 * 1024));
        assert_eq!(kib_field(status, "Threads"), None, "not a size");
        assert_eq!(kib_field(status, "VmPTE"), None);
    }

    #[test]
    fn finds_mappings_with_size_rss_and_guards() {
        let smaps = "\
7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n\
Size:                  4 kB\n\
Rss:                   0 kB\n\
7f0000001000-7f0000201000 rw-p 00000000 00:00 0 \n\
Size:               2048 kB\n\
KernelPageSize:        4 kB\n\
Rss:                  12 kB\n";
        let all = mappings(smaps).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].no_access);
        assert_eq!((all[0].size, all[0].rss), (4096, 0));
        assert!(!all[1].no_access);
        assert_eq!(all[1].start, 0x7f0000001000);
        assert_eq!((all[1].size, all[1].rss), (2048 * 1024, 12 * 1024));
    }
}
