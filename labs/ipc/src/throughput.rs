//! Throughput: a stream of large messages, and the checksum that checks it. The receiving
//! peer adds every byte it reads to an order-sensitive checksum and sends it back; the
//! sender compares it with the checksum of what it sent, so a byte lost, changed or
//! reordered fails the run instead of making it faster.

use crate::peer::{Peer, READY, status};
use crate::{End, MIN_MESSAGE, Message, Transport};
use anyhow::{bail, ensure};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

// ANCHOR: checksum
/// An order-sensitive checksum (Fletcher's idea, over 64-bit words): a running sum of the
/// words, and a running sum of those sums. Moving a word to another position changes the
/// second sum, so bytes that arrive out of order do not add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    pub sum: u64,
    pub sum_of_sums: u64,
    pub bytes: u64,
}

impl Checksum {
    pub fn add(&mut self, data: &[u8]) {
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            self.push(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut last = [0u8; 8];
            last[..tail.len()].copy_from_slice(tail);
            self.push(u64::from_le_bytes(last));
        }
        self.bytes += data.len() as u64;
    }

    fn push(&mut self, word: u64) {
        self.sum = self.sum.wrapping_add(word);
        self.sum_of_sums = self.sum_of_sums.wrapping_add(self.sum);
    }

    fn to_bytes(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..8].copy_from_slice(&self.sum.to_le_bytes());
        out[8..16].copy_from_slice(&self.sum_of_sums.to_le_bytes());
        out[16..].copy_from_slice(&self.bytes.to_le_bytes());
        out
    }

    fn from_bytes(b: [u8; 24]) -> Self {
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Self {
            sum: word(0),
            sum_of_sums: word(8),
            bytes: word(16),
        }
    }
}
// ANCHOR_END: checksum

// ANCHOR: receive
/// The peer of a throughput run: says it is ready, reads `count` messages of `buf.len()`
/// bytes into `buf`, adds each to a checksum, and sends the checksum back.
fn receive(end: &mut End, buf: &mut [u8], count: u64) -> i32 {
    buf.fill(0); // fault the buffer's pages in now, not while the clock runs
    if end.tx.write_all(&READY).is_err() {
        return 2;
    }
    let mut checksum = Checksum::default();
    for _ in 0..count {
        if end.rx.read_exact(buf).is_err() {
            return 3;
        }
        checksum.add(buf);
    }
    status(end.tx.write_all(&checksum.to_bytes()), 4)
}
// ANCHOR_END: receive

/// What a throughput run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Streamed {
    /// From the first byte sent until the receiver's checksum arrived.
    pub elapsed: Duration,
    pub messages: u64,
    pub bytes: u64,
    /// What the receiver computed, and what the sent stream adds up to.
    pub received: Checksum,
    pub expected: Checksum,
}

// ANCHOR: stream
/// Streams `count` messages of `size` bytes to a receiving peer, and times it from the
/// first byte until the receiver has checked the last one. The peer is started, and the
/// expected checksum computed, before the clock starts; the peer is reaped after it stops.
pub fn stream(transport: Transport, size: usize, count: u64) -> anyhow::Result<Streamed> {
    ensure!(
        size >= MIN_MESSAGE,
        "messages hold at least {MIN_MESSAGE} bytes"
    );
    let mut message = Message::new(size);
    let expected = message.stream_checksum(count);
    let job = move |end: &mut End, buf: &mut [u8]| receive(end, buf, count);
    // SAFETY: `receive` only reads, copies into `buf`, adds and writes (see `Peer::start`).
    let (mut ours, peer) = unsafe { Peer::start_ready(transport, size, job) }?;

    let start = Instant::now();
    for index in 0..count {
        ours.tx.write_all(message.stamped(index))?;
    }
    let mut answer = [0u8; 24];
    ours.rx.read_exact(&mut answer)?;
    let elapsed = start.elapsed();

    peer.finish()?;
    Ok(Streamed {
        elapsed,
        messages: count,
        bytes: count * size as u64,
        received: Checksum::from_bytes(answer),
        expected,
    })
}
// ANCHOR_END: stream

/// Streams and insists that every byte arrived intact and in order.
pub fn stream_checked(transport: Transport, size: usize, count: u64) -> anyhow::Result<Streamed> {
    let streamed = stream(transport, size, count)?;
    if streamed.received != streamed.expected {
        bail!(
            "{}: the receiver's checksum {:?} is not the sender's {:?}",
            transport.name(),
            streamed.received,
            streamed.expected
        );
    }
    Ok(streamed)
}
