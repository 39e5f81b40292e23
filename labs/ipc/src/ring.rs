//! A single-producer, single-consumer byte ring in shared memory: the lab's shared-memory
//! transport.
//!
//! The ring is a fixed buffer and two counters: `written` (bytes the producer has put in,
//! ever) and `read` (bytes the consumer has taken out, ever). The producer alone stores
//! `written` and the consumer alone stores `read`; each only loads the other's. Bytes in
//! `read..written` are the consumer's to copy out; the rest of the buffer is the producer's to
//! fill. Publishing a counter with `Release` and loading the other side's with `Acquire` makes
//! the bytes copied before a store visible to the side that loads it (the
//! `std::sync::atomic::Ordering` docs, `Release`: "all previous writes become visible to all
//! threads that perform an `Acquire` (or stronger) load of this value").
//!
//! Nothing here enters the kernel to wait: a side with nothing to do spins a little, then
//! gives its CPU away with sched_yield(2) and looks again. That keeps it simple and fast when
//! each side has a CPU of its own, and burns CPU time while waiting; futex(2) is how a real
//! implementation would sleep instead.

use kit::shm::ZeroedShareable;
use std::cell::UnsafeCell;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bytes the ring holds: a quarter of a MiB, about what a Unix socket buffers by default.
pub const RING_BYTES: usize = 256 * 1024;

/// How long a side waits for the other before giving up with an error: a peer that died
/// must not leave the lab spinning forever.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Times a waiting side spins before each look starts giving its CPU away. Spinning longer
/// helps only when each side has a CPU of its own; on a busy machine it burns the time slice
/// the other side needs.
const SPINS: u32 = 100;

/// A counter on a cache line of its own, so the producer's stores do not slow the
/// consumer's loads of the other counter (false sharing).
#[repr(C, align(64))]
#[derive(Debug)]
struct Padded<T>(T);

// ANCHOR: ring
/// The shared part: two counters and the bytes. Lives in a [`kit::SharedRegion`].
#[repr(C)]
#[derive(Debug)]
pub struct Ring {
    written: Padded<AtomicU64>,
    read: Padded<AtomicU64>,
    data: UnsafeCell<[u8; RING_BYTES]>,
}
// ANCHOR_END: ring

// SAFETY: the counters are atomics; `data` is only touched through `Writer` and
// `Reader`, which copy only bytes the counters give them (see the module docs), and at most
// one of each exists per ring (`Ring::split` is unsafe for that reason).
unsafe impl Sync for Ring {}
// SAFETY: all zeroes is an empty ring (both counters 0, any bytes). It holds no
// pointers, and every access is synchronised as described above.
unsafe impl ZeroedShareable for Ring {}

/// A ring in shared memory, as the two ends hold it.
pub type SharedRing = Arc<kit::SharedRegion<Ring>>;

/// Makes a new empty ring, mapped `MAP_SHARED` so a forked child shares it.
pub fn new_ring() -> nix::Result<SharedRing> {
    Ok(Arc::new(kit::SharedRegion::new()?))
}

/// The producing end.
///
/// The ring has no "closed" state: after a fork the parent drops its copy of the child's
/// end, and a flag set by that drop would close the ring under the child. The protocols
/// that use it count their bytes instead, and a side whose peer has vanished gives up after
/// [`PATIENCE`].
#[derive(Debug)]
pub struct Writer {
    ring: SharedRing,
}

/// The consuming end.
#[derive(Debug)]
pub struct Reader {
    ring: SharedRing,
}

/// Makes the two ends of `ring`.
///
/// # Safety
///
/// Call once per ring: a second `Writer` or `Reader` (in this process or, after a fork, in
/// another) would copy into or out of bytes the first one is using.
pub unsafe fn split(ring: &SharedRing) -> (Writer, Reader) {
    (
        Writer {
            ring: Arc::clone(ring),
        },
        Reader {
            ring: Arc::clone(ring),
        },
    )
}

/// Spins, then yields, until `PATIENCE` is up.
struct Wait {
    spins: u32,
    since: Option<Instant>,
}

impl Wait {
    fn new() -> Self {
        Self {
            spins: 0,
            since: None,
        }
    }

    fn step(&mut self) -> io::Result<()> {
        self.spins += 1;
        if self.spins < SPINS {
            std::hint::spin_loop();
            return Ok(());
        }
        // clock_gettime(2) is async-signal-safe; so is the bare sched_yield(2) system call in
        // the sense that matters after a fork: it takes no lock and allocates nothing.
        let since = *self.since.get_or_insert_with(Instant::now);
        if since.elapsed() > PATIENCE {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let _ = nix::sched::sched_yield();
        Ok(())
    }
}

impl Ring {
    fn base(&self) -> *mut u8 {
        self.data.get().cast()
    }
}

// ANCHOR: write
impl io::Write for Writer {
    /// Copies as much of `buf` as there is room for (waiting for some room if there is
    /// none), then publishes it.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let ring = self.ring.get();
        let mut wait = Wait::new();
        loop {
            let written = ring.written.0.load(Ordering::Relaxed); // only we store it
            let read = ring.read.0.load(Ordering::Acquire); // the consumer is done with these
            let free = RING_BYTES - (written - read) as usize;
            if buf.is_empty() || free > 0 {
                let n = free.min(buf.len());
                let start = (written % RING_BYTES as u64) as usize;
                let first = n.min(RING_BYTES - start); // up to the end of the buffer...
                // `start + first <= RING_BYTES` and `n - first <= start`, so both copies stay
                // inside `data`. They fill bytes `written..written + n` (mod RING_BYTES),
                // free because the consumer has read up to `read` and
                // `written + n <= read + RING_BYTES`.
                // SAFETY: in bounds and free (above); the consumer will not look at these bytes
                // before we publish `written + n` below; `buf` does not overlap the ring.
                unsafe {
                    std::ptr::copy_nonoverlapping(buf.as_ptr(), ring.base().add(start), first);
                    std::ptr::copy_nonoverlapping(buf[first..].as_ptr(), ring.base(), n - first);
                }
                ring.written.0.store(written + n as u64, Ordering::Release);
                return Ok(n);
            }
            wait.step()?;
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
// ANCHOR_END: write

// ANCHOR: read
impl io::Read for Reader {
    /// Copies out as many published bytes as fit in `buf` (waiting for some if there are
    /// none), then tells the producer their room is free.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let ring = self.ring.get();
        let mut wait = Wait::new();
        loop {
            let read = ring.read.0.load(Ordering::Relaxed); // only we store it
            let written = ring.written.0.load(Ordering::Acquire); // these bytes are complete
            let available = (written - read) as usize;
            if buf.is_empty() || available > 0 {
                let n = available.min(buf.len());
                let start = (read % RING_BYTES as u64) as usize;
                let first = n.min(RING_BYTES - start);
                // Both copies stay inside `data` (as in `write`). They read bytes `read..read + n`,
                // which the producer published with its `Release` store of `written` (loaded
                // above with `Acquire`).
                // SAFETY: in bounds and published (above); the producer will not overwrite them
                // before we publish `read + n` below; `buf` does not overlap the ring.
                unsafe {
                    std::ptr::copy_nonoverlapping(ring.base().add(start), buf.as_mut_ptr(), first);
                    std::ptr::copy_nonoverlapping(
                        ring.base(),
                        buf[first..].as_mut_ptr(),
                        n - first,
                    );
                }
                ring.read.0.store(read + n as u64, Ordering::Release);
                return Ok(n);
            }
            wait.step()?;
        }
    }
}
// ANCHOR_END: read

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A stream much longer than the ring, written and read in chunks of unrelated sizes,
    /// comes out byte for byte.
    #[test]
    fn bytes_come_out_in_order_across_wraparounds() {
        let ring = new_ring().unwrap();
        // SAFETY: the only split of this ring.
        let (mut writer, mut reader) = unsafe { split(&ring) };
        let stream: Vec<u8> = (0..3 * RING_BYTES + 12_345)
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        let expected = stream.clone();
        let producer = std::thread::spawn(move || {
            for chunk in stream.chunks(4093) {
                writer.write_all(chunk).unwrap();
            }
        });
        let mut got = Vec::new();
        let mut buf = vec![0; 7919];
        while got.len() < expected.len() {
            let want = buf.len().min(expected.len() - got.len());
            let n = reader.read(&mut buf[..want]).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        producer.join().unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "bytes differ");
    }
}
