//! Memory that a parent and its forked children really share.
//!
//! Ordinary memory is copied (lazily, copy-on-write) by `fork`: a child's writes are its own.
//! An anonymous `MAP_SHARED` mapping is the exception (mmap(2)): the same physical pages stay
//! mapped in every process forked after it was made. Being anonymous, it has no name in
//! `/dev/shm` and disappears with the last process that maps it, so nothing is left behind.

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::ptr::NonNull;

/// Marker for types whose all-zero bytes are a valid value and which are safe to use from
/// several processes at once through shared memory: atomics, and arrays of them.
///
/// # Safety
///
/// Implement only for types that are valid when zeroed, contain no pointers (addresses mean
/// nothing in another process) and synchronise every access themselves.
pub unsafe trait ZeroedShareable: Sync {}

// SAFETY: atomics are valid when zeroed, hold no pointers, and every access is atomic.
unsafe impl ZeroedShareable for std::sync::atomic::AtomicU64 {}
// SAFETY: as above.
unsafe impl ZeroedShareable for std::sync::atomic::AtomicU32 {}
// SAFETY: as above.
unsafe impl ZeroedShareable for std::sync::atomic::AtomicI32 {}
// SAFETY: as above.
unsafe impl ZeroedShareable for std::sync::atomic::AtomicUsize {}
// SAFETY: as above.
unsafe impl ZeroedShareable for std::sync::atomic::AtomicBool {}
// SAFETY: an array of such values is itself valid when zeroed and synchronised per element.
unsafe impl<T: ZeroedShareable, const N: usize> ZeroedShareable for [T; N] {}

/// A zero-filled `T` in an anonymous `MAP_SHARED` mapping, unmapped on drop.
#[derive(Debug)]
pub struct SharedRegion<T> {
    ptr: NonNull<T>,
    len: NonZeroUsize,
    _owns: PhantomData<T>,
}

// SAFETY: the region only hands out `&T`, and `T: Sync` (required by `ZeroedShareable`).
unsafe impl<T: ZeroedShareable> Send for SharedRegion<T> {}
// SAFETY: as above.
unsafe impl<T: ZeroedShareable> Sync for SharedRegion<T> {}

impl<T: ZeroedShareable> SharedRegion<T> {
    /// Maps a new zero-filled region big enough for one `T`.
    pub fn new() -> nix::Result<Self> {
        // SAFETY: `raw` asks for zero-filled pages, which `ZeroedShareable` says are a valid `T`.
        unsafe { Self::raw() }
    }

    /// The shared value. Every process forked after `new` sees the same one.
    pub fn get(&self) -> &T {
        // SAFETY: the mapping is live for as long as `self`, page-aligned (so aligned for
        // any `T` that needs no more than a page), zero-filled, and zero is a valid `T`.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> SharedRegion<T> {
    /// Maps a zero-filled shared region for one `T` whose zeroed bytes need not be a valid
    /// value, for demos that must manage the memory themselves (a process-shared pthread
    /// mutex).
    ///
    /// # Safety
    ///
    /// The caller reads the region only through [`SharedRegion::as_ptr`] and upholds whatever
    /// `T` needs (initialisation, synchronisation) itself.
    pub unsafe fn raw() -> nix::Result<Self> {
        let len = NonZeroUsize::new(size_of::<T>().max(1)).expect("max(1) is non-zero");
        // SAFETY: an anonymous mapping aliases no existing memory; we keep the pointer only
        // while the mapping exists and unmap it exactly once, in `drop`.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }?;
        Ok(Self {
            ptr: ptr.cast(),
            len,
            _owns: PhantomData,
        })
    }

    /// The start of the mapping, valid while `self` lives.
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T> Drop for SharedRegion<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `len` describe exactly the mapping made in `raw`; no reference
        // handed out by `get` can outlive `self`.
        let _ = unsafe { munmap(self.ptr.cast(), self.len.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::Children;
    use crate::testing::fork_lock;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn a_childs_write_is_seen_by_the_parent() {
        let _lock = fork_lock();
        let region = SharedRegion::<AtomicU64>::new().unwrap();
        let mut children = Children::new();
        // SAFETY: the child only does one atomic store.
        unsafe {
            children.spawn(|| {
                region.get().store(42, Ordering::SeqCst);
                0
            })
        }
        .unwrap();
        children.wait_all_ok().unwrap();
        assert_eq!(region.get().load(Ordering::SeqCst), 42);
    }
}
