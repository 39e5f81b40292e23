//! The four transports, and the two-way link each one makes: every side gets an `End`, a
//! `Read` and a `Write`, so the code that measures is the same for all four.
//!
//! - `pipe`: two pipes, one per direction, because a pipe is one-way (pipe(7));
//! - `unix-socket`: `UnixStream::pair`, a connected pair of Unix domain stream sockets, two-way
//!   already (socketpair(2), unix(7));
//! - `shm`: two rings, one per direction, in memory mapped `MAP_SHARED` before the fork
//!   (mmap(2), [`crate::ring`]);
//! - `mpsc`: two `std::sync::mpsc` channels, made to look like a byte stream here.

use crate::ring;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

/// The transports this lab compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Pipe,
    UnixSocket,
    SharedMemory,
    Mpsc,
}

impl Transport {
    pub const ALL: [Transport; 4] = [
        Transport::Pipe,
        Transport::UnixSocket,
        Transport::SharedMemory,
        Transport::Mpsc,
    ];

    /// The transport's part of a record id.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Pipe => "pipe",
            Transport::UnixSocket => "unix-socket",
            Transport::SharedMemory => "shm",
            Transport::Mpsc => "mpsc",
        }
    }

    pub fn how(self) -> &'static str {
        match self {
            Transport::Pipe => "two pipes",
            Transport::UnixSocket => "UnixStream::pair",
            Transport::SharedMemory => "two rings in a MAP_SHARED mapping",
            Transport::Mpsc => "std::sync::mpsc channels",
        }
    }

    /// mpsc works only between threads; the others run between a parent and a forked child.
    pub fn between(self) -> &'static str {
        match self {
            Transport::Mpsc => "threads",
            _ => "processes",
        }
    }
}

/// One side's ends of a two-way link.
pub struct End {
    pub rx: Box<dyn Read + Send>,
    pub tx: Box<dyn Write + Send>,
}

// ANCHOR: link
/// A two-way link: one end for each side.
pub fn link(transport: Transport) -> anyhow::Result<(End, End)> {
    fn end(rx: impl Read + Send + 'static, tx: impl Write + Send + 'static) -> End {
        End {
            rx: Box::new(rx),
            tx: Box::new(tx),
        }
    }
    Ok(match transport {
        Transport::Pipe => {
            let (a_rx, b_tx) = io::pipe()?;
            let (b_rx, a_tx) = io::pipe()?;
            (end(a_rx, a_tx), end(b_rx, b_tx))
        }
        Transport::UnixSocket => {
            let (a, b) = UnixStream::pair()?;
            (end(a.try_clone()?, a), end(b.try_clone()?, b))
        }
        Transport::SharedMemory => {
            let (a_to_b, b_to_a) = (ring::new_ring()?, ring::new_ring()?);
            // SAFETY: each ring is split once, here; its writer goes to one side and its
            // reader to the other.
            let ((a_tx, b_rx), (b_tx, a_rx)) =
                unsafe { (ring::split(&a_to_b), ring::split(&b_to_a)) };
            (end(a_rx, a_tx), end(b_rx, b_tx))
        }
        Transport::Mpsc => {
            let (a_tx, b_rx) = channel_pair();
            let (b_tx, a_rx) = channel_pair();
            (end(a_rx, a_tx), end(b_rx, b_tx))
        }
    })
}
// ANCHOR_END: link

// ANCHOR: mpsc
/// Messages in flight on a channel before the sender waits.
const CHANNEL_BOUND: usize = 4;

/// A channel made to look like a byte stream: each `write` sends one `Vec<u8>`. The reader
/// hands used `Vec`s back, so after the first few messages nothing is allocated.
struct ChannelWriter {
    messages: SyncSender<Vec<u8>>,
    used: Receiver<Vec<u8>>,
}

struct ChannelReader {
    messages: Receiver<Vec<u8>>,
    used: Sender<Vec<u8>>,
    current: Vec<u8>,
    taken: usize,
}

fn channel_pair() -> (ChannelWriter, ChannelReader) {
    let (messages_tx, messages_rx) = sync_channel(CHANNEL_BOUND);
    let (used_tx, used_rx) = channel();
    (
        ChannelWriter {
            messages: messages_tx,
            used: used_rx,
        },
        ChannelReader {
            messages: messages_rx,
            used: used_tx,
            current: Vec::new(),
            taken: 0,
        },
    )
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut message = self.used.try_recv().unwrap_or_default();
        message.clear();
        message.extend_from_slice(buf); // the first copy
        self.messages
            .send(message)
            .map_err(|_| io::ErrorKind::BrokenPipe)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.taken == self.current.len() {
            let Ok(next) = self.messages.recv() else {
                return Ok(0); // the writer is gone: end of the stream
            };
            let used = std::mem::replace(&mut self.current, next);
            let _ = self.used.send(used); // the writer may be gone; then it is dropped
            self.taken = 0;
        }
        let n = buf.len().min(self.current.len() - self.taken);
        buf[..n].copy_from_slice(&self.current[self.taken..self.taken + n]); // the second copy
        self.taken += n;
        Ok(n)
    }
}
// ANCHOR_END: mpsc
