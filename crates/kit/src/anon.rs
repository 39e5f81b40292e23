//! Private anonymous memory that is really there: every page written once.
//!
//! A fresh anonymous mapping (mmap(2)) costs nothing until it is written: the first write to
//! a page is what makes the kernel give it a frame and a page-table entry. The labs that
//! measure what a process's memory costs `fork` (fork-rss's bigger parent, memory-cost's
//! copy-on-write heap, the one page whose frame fork-rss follows, spawn-cost's ballast) all
//! need memory in that
//! state, and all map it the same way, here.
//!
//! Unlike [`crate::SharedRegion`] (`MAP_SHARED`), this mapping is `MAP_PRIVATE`: after a
//! `fork` the child gets a copy-on-write copy, and its writes are its own.

use anyhow::Context;
use nix::sys::mman::{MapFlags, MmapAdvise, ProtFlags, madvise, mmap_anonymous, munmap};
use nix::unistd::{SysconfVar, sysconf};
use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::ptr::NonNull;

/// The system's page size in bytes (sysconf(3)).
pub fn page_size() -> usize {
    sysconf(SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|size| usize::try_from(size).ok())
        .unwrap_or(4096)
}

// ANCHOR: touched
/// Private anonymous memory with every page written once, so that every page is resident and
/// has a page-table entry of its own. Unmapped on drop.
#[derive(Debug)]
pub struct TouchedMemory {
    start: NonNull<c_void>,
    len: NonZeroUsize,
}

impl TouchedMemory {
    /// Maps `len` bytes, in huge pages if `huge` (else in ordinary ones), and writes `value` to
    /// every page.
    pub fn new(len: NonZeroUsize, huge: bool, value: u8) -> anyhow::Result<Self> {
        // SAFETY: a new anonymous private mapping aliases no memory we already use; it is
        // unmapped exactly once, in `drop`.
        let start = unsafe {
            mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )
        }
        .with_context(|| format!("could not map {len} bytes"))?;
        let memory = Self { start, len };
        let advice = if huge {
            MmapAdvise::MADV_HUGEPAGE
        } else {
            MmapAdvise::MADV_NOHUGEPAGE
        };
        // SAFETY: the range is exactly the mapping made above. Advice changes only how the
        // kernel backs the pages (madvise(2)), not what they contain.
        let advised = unsafe { madvise(start, len.get(), advice) };
        // A kernel built without transparent huge pages refuses both kinds of advice
        // (EINVAL): its pages are ordinary anyway, so only a request for huge ones fails.
        if huge {
            advised.context("this kernel does not offer transparent huge pages")?;
        }
        memory.write_every_page(value);
        Ok(memory)
    }

    /// Writes `value` to the first byte of every page: the first write to a page gives it
    /// memory, and after a fork it gives the writer a copy.
    pub fn write_every_page(&self, value: u8) {
        let first = self.as_ptr();
        for offset in (0..self.len.get()).step_by(page_size()) {
            // SAFETY: `offset` is inside the mapping, which is readable and writable. A
            // volatile write is never optimised away: the first one to each page makes the
            // kernel give the page real memory. Plain stores are async-signal-safe, so a
            // forked child may call this too.
            unsafe { first.add(offset).write_volatile(value) };
        }
    }
}
// ANCHOR_END: touched

impl TouchedMemory {
    /// The first byte of the mapping, valid while `self` lives.
    pub fn as_ptr(&self) -> *mut u8 {
        self.start.cast::<u8>().as_ptr()
    }

    /// The mapping's length in bytes.
    pub fn len(&self) -> usize {
        self.len.get()
    }

    /// Never true: a mapping has at least one byte (clippy's pair for `len`).
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Drop for TouchedMemory {
    fn drop(&mut self) {
        // SAFETY: exactly the mapping made in `new`, unmapped once; no reference into it was
        // ever handed out.
        let _ = unsafe { munmap(self.start, self.len.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_holds_the_value_written() {
        let len = NonZeroUsize::new(4 * page_size()).unwrap();
        let memory = TouchedMemory::new(len, false, 7).unwrap();
        for offset in (0..memory.len()).step_by(page_size()) {
            // SAFETY: inside the mapping, which lives until the end of the test.
            assert_eq!(unsafe { memory.as_ptr().add(offset).read_volatile() }, 7);
        }
    }
}
