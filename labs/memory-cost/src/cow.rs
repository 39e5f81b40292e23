//! Copy-on-write, measured in PSS: sharing after `fork`, turning into copies as the child
//! writes.
//!
//! A parent writes to every page of a private heap of X MiB, so the heap is resident and
//! the parent's alone. After `fork` the child maps the same pages, read-only in both
//! (fork(2): the child's memory is a copy-on-write copy). Each shared page now counts half
//! in each one's PSS ("each page is divided by the number of processes sharing it",
//! Documentation/filesystems/proc.rst), so parent + child PSS stays about what the parent
//! alone had: nothing has been copied. Then the child writes to every page of the heap; each
//! first write faults and the kernel gives the child a copy of that page (mm/memory.c,
//! `do_wp_page`). Every page is now the sole property of one process again, and parent +
//! child PSS has grown by X.

use crate::procmem::footprint;
use anyhow::{Context, ensure};
use kit::Children;
use kit::anon::TouchedMemory;
use nix::fcntl::OFlag;
use nix::unistd::{pipe2, read, write};
use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;

const MIB: usize = 1 << 20;

/// The parent's and the child's PSS at one moment, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pss {
    pub parent: u64,
    /// 0 before the fork.
    pub child: u64,
}

impl Pss {
    pub fn total(self) -> u64 {
        self.parent + self.child
    }
}

/// The three moments of the copy-on-write run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CowRun {
    /// Bytes of heap the parent touched and the child then wrote.
    pub heap: u64,
    /// The parent's `VmRSS` just before the fork.
    pub parent_rss_before_fork: u64,
    pub before_fork: Pss,
    /// The child parked, having written nothing.
    pub after_fork: Pss,
    /// The child parked again, having written to every page of the heap.
    pub after_write: Pss,
}

// ANCHOR: cow
/// Touches `mib` MiB, forks a child, and reads both PSS before the fork, after it, and after
/// the child has written to the whole heap.
pub fn copy_on_write(mib: usize) -> anyhow::Result<CowRun> {
    let len = NonZeroUsize::new(mib * MIB).context("an empty heap")?;
    // Ordinary pages (`huge` false): a transparent huge page would be copied 2 MiB at a time,
    // or split, and the copies would not follow the writes page by page.
    let heap = TouchedMemory::new(len, false, 1)?;
    let parent = footprint(None)?;
    let before_fork = Pss {
        parent: parent.pss,
        child: 0,
    };
    // The child says "parked" on one pipe and waits for "go" on the other, twice: once
    // before it writes, once after.
    let (parked_read, parked_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (go_read, go_write) = pipe2(OFlag::O_CLOEXEC)?;
    let mut children = Children::new(); // kills and reaps the child if we fail below
    // SAFETY: the child only writes to its own copy of the heap (plain stores) and reads
    // and writes pipes (read(2), write(2)): all async-signal-safe (signal-safety(7)).
    let child = unsafe {
        children.spawn(|| {
            let mut go = [0];
            if write(&parked_write, &[1]) != Ok(1) || read(&go_read, &mut go) != Ok(1) {
                return 2;
            }
            heap.write_every_page(2);
            if write(&parked_write, &[2]) != Ok(1) || read(&go_read, &mut go) != Ok(1) {
                return 3;
            }
            0
        })
    }?;
    drop((parked_write, go_read));
    let parked = |step: u8| -> anyhow::Result<()> {
        let mut byte = [0];
        ensure!(
            read(&parked_read, &mut byte)? == 1 && byte[0] == step,
            "the child ended early"
        );
        Ok(())
    };
    let pss = || -> anyhow::Result<Pss> {
        Ok(Pss {
            parent: footprint(None)?.pss,
            child: footprint(Some(child))?.pss,
        })
    };
    parked(1)?;
    let after_fork = pss()?;
    ensure!(write(&go_write, &[1])? == 1, "could not wake the child");
    parked(2)?;
    let after_write = pss()?;
    ensure!(write(&go_write, &[1])? == 1, "could not wake the child");
    children.wait_all_ok()?;
    Ok(CowRun {
        heap: heap.len() as u64,
        parent_rss_before_fork: parent.rss,
        before_fork,
        after_fork,
        after_write,
    })
}
// ANCHOR_END: cow
