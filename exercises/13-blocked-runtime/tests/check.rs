//! Exercise 13 is solved when the heartbeat ticks while the job runs.
//!
//! No timing is asserted: with the job blocking the runtime's only thread the heartbeat cannot
//! run at all until the job ends, so it ticks zero times however fast the machine is; with
//! the thread given back it ticks within a step or two, long before the job's step limit.

use blocked_runtime::{MAX_STEPS, STEP, ticks_during_job};

#[test]
fn the_heartbeat_ticks_while_the_job_runs() {
    let ticks = ticks_during_job();
    assert!(
        ticks >= 1,
        "the heartbeat never ticked during the job's {MAX_STEPS} steps of {STEP:?}: each step \
         blocked the runtime's only thread without reaching an `.await`, so the heartbeat task \
         never got the thread back"
    );
}

#[test]
fn it_stays_unblocked_on_every_run() {
    // A fresh runtime each time: a fix that worked once by luck would show here.
    for run in 1..=3 {
        let ticks = ticks_during_job();
        assert!(
            ticks >= 1,
            "run {run}: the heartbeat never ticked during the job"
        );
    }
}
