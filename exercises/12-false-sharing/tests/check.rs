//! Exercise 12 is solved when no two threads' slots share a cache line. (Here each thread
//! writes its slot only once per prime, so the time it saves is too small to measure; the test
//! checks the layout that causes it, not a time.)

use false_sharing::{Slot, count_primes, is_prime};

/// The cache line size of x86-64 and of most ARM cores.
const LINE: usize = 64;

#[test]
fn each_slot_has_a_cache_line_of_its_own() {
    let slots: Vec<Slot> = (0..4).map(|_| Slot::default()).collect();
    let lines: Vec<usize> = slots
        .iter()
        .map(|slot| slot as *const Slot as usize / LINE)
        .collect();
    for pair in lines.windows(2) {
        assert!(
            pair[0] != pair[1],
            "two neighbouring slots are in the same {LINE}-byte cache line (a Slot is {} \
             bytes, aligned to {}): the threads writing them fight over the line",
            size_of::<Slot>(),
            align_of::<Slot>()
        );
    }
    assert!(
        align_of::<Slot>() >= LINE,
        "a Slot is aligned to {} bytes: align it to the line (`#[repr(align(64))]`, as \
         `CachePadded` does), so that each slot starts a line of its own. Padding alone keeps \
         the counts apart in a `Vec`, but a slot can then straddle two lines.",
        align_of::<Slot>()
    );
}

#[test]
fn the_count_is_right() {
    let expected = (0..20_000).filter(|&n| is_prime(n)).count() as u64;
    assert_eq!(expected, 2_262, "there are 2262 primes below 20000");
    for threads in [1, 2, 3, 4] {
        assert_eq!(count_primes(20_000, threads), expected, "{threads} threads");
    }
}
