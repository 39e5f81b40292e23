//! Latency: the round trip of a small message. A peer echoes each message back as it
//! arrives; the sender waits for each echo before sending the next, and checks it byte for
//! byte.

use crate::peer::{Peer, READY};
use crate::{End, MIN_MESSAGE, Message, Transport};
use anyhow::ensure;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

// ANCHOR: echo
/// The peer of a latency run: says it is ready, then sends each of `count` messages of
/// `buf.len()` bytes back as it arrives.
fn echo(end: &mut End, buf: &mut [u8], count: u64) -> i32 {
    if end.tx.write_all(&READY).is_err() {
        return 2;
    }
    for _ in 0..count {
        if end.rx.read_exact(buf).is_err() {
            return 3;
        }
        if end.tx.write_all(buf).is_err() {
            return 4;
        }
    }
    0
}
// ANCHOR_END: echo

/// A latency run in progress: the peer echoes every message sent.
pub struct Echo {
    end: End,
    peer: Option<Peer>,
    message: Message,
    reply: Vec<u8>,
    sent: u64,
    planned: u64,
}

impl Echo {
    /// Starts a peer that echoes exactly `round_trips` messages of `size` bytes, and waits
    /// until it is ready.
    pub fn start(transport: Transport, size: usize, round_trips: u64) -> anyhow::Result<Self> {
        ensure!(
            size >= MIN_MESSAGE,
            "messages hold at least {MIN_MESSAGE} bytes"
        );
        let job = move |end: &mut End, buf: &mut [u8]| echo(end, buf, round_trips);
        // SAFETY: `echo` only reads, writes and copies into `buf` (see `Peer::start`).
        let (ours, peer) = unsafe { Peer::start_ready(transport, size, job) }?;
        Ok(Self {
            end: ours,
            peer: Some(peer),
            message: Message::new(size),
            reply: vec![0; size],
            sent: 0,
            planned: round_trips,
        })
    }

    // ANCHOR: round_trips
    /// Sends `n` numbered messages one at a time, each time waiting for the echo and checking
    /// it byte for byte. Returns the time all `n` round trips took.
    pub fn round_trips(&mut self, n: u64) -> anyhow::Result<Duration> {
        ensure!(
            self.sent + n <= self.planned,
            "the peer echoes only {} messages",
            self.planned
        );
        let start = Instant::now();
        for _ in 0..n {
            let message = self.message.stamped(self.sent);
            self.end.tx.write_all(message)?;
            self.end.rx.read_exact(&mut self.reply)?;
            ensure!(
                self.reply == message,
                "message {} came back changed",
                self.sent
            );
            self.sent += 1;
        }
        Ok(start.elapsed())
    }
    // ANCHOR_END: round_trips

    /// Waits for the peer, which exits 0 after its last echo.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        self.peer.take().expect("finished once").finish()?;
        Ok(self.sent)
    }
}
