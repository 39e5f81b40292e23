//! The message both runs send: `size` pseudo-random bytes, numbered in their first 8, so no
//! two messages of a run are the same.

use crate::{Checksum, MIN_MESSAGE};

/// A message of `size` bytes: pseudo-random bytes (the same for every message), with message
/// number `index` written into the first 8, so every message differs from the one before.
#[derive(Debug, Clone)]
pub struct Message {
    bytes: Vec<u8>,
}

impl Message {
    pub fn new(size: usize) -> Self {
        assert!(
            size >= MIN_MESSAGE,
            "a message holds at least its 8-byte stamp"
        );
        // xorshift64: cheap, and no byte pattern that a bug could reproduce by accident.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        Self { bytes }
    }

    /// The message numbered `index`.
    pub fn stamped(&mut self, index: u64) -> &[u8] {
        self.bytes[..8].copy_from_slice(&index.to_le_bytes());
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The checksum of messages `0..count` sent one after another.
    pub fn stream_checksum(&mut self, count: u64) -> Checksum {
        let mut checksum = Checksum::default();
        for index in 0..count {
            checksum.add(self.stamped(index));
        }
        checksum
    }
}
