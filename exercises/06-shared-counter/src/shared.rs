//! Memory that forked processes share (no need to change anything here).

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use std::num::NonZeroUsize;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// An `AtomicU64` in its own anonymous `MAP_SHARED` mapping. Processes forked after it was
/// created see the same memory, so they all count on the same counter (mmap(2)).
pub struct SharedCounter {
    counter: NonNull<AtomicU64>,
}

impl SharedCounter {
    /// Maps a new page, shared with every process forked from now on, holding a zero.
    pub fn new() -> nix::Result<Self> {
        let length = NonZeroUsize::new(size_of::<AtomicU64>()).expect("not zero");
        // SAFETY: a fresh anonymous mapping (no address requested) overlaps nothing in use.
        // Anonymous pages are zero-filled, a valid `AtomicU64` of 0, and page-aligned.
        let memory = unsafe {
            mmap_anonymous(
                None,
                length,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )?
        };
        Ok(SharedCounter {
            counter: memory.cast(),
        })
    }
}

impl Deref for SharedCounter {
    type Target = AtomicU64;

    fn deref(&self) -> &AtomicU64 {
        // SAFETY: the mapping lives until `drop`, and is only accessed through atomics.
        unsafe { self.counter.as_ref() }
    }
}

impl Drop for SharedCounter {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new`, with this length, and no reference to it
        // outlives `self`. Other processes keep their own mapping of the same pages.
        let _ = unsafe { munmap(self.counter.cast(), size_of::<AtomicU64>()) };
    }
}
