//! Exercise 13 is solved when the heartbeat ticks while the job runs, and no blocking step
//! runs on the runtime's thread.
//!
//! No timing is asserted: with the job blocking the runtime's only thread the heartbeat cannot
//! run at all until the job ends, so it ticks zero times however fast the machine is; with
//! the thread given back it ticks within a step or two, long before the job's step limit. A
//! yield between blocking steps lets the heartbeat tick between them, but the thread is
//! still blocked during each step: `blocking_step` counts the steps that ran on it.

use blocked_runtime::{JobRun, MAX_STEPS, STEP, run_job};

/// Fails with what went wrong, if anything did.
fn check(run: JobRun, which: &str) {
    assert!(
        run.ticks >= 1,
        "{which}the heartbeat never ticked during the job's {MAX_STEPS} steps of {STEP:?}: \
         each step blocked the runtime's only thread without reaching an `.await`, so the \
         heartbeat task never got the thread back"
    );
    assert!(
        run.steps_on_runtime_thread == 0,
        "{which}{} of the job's blocking steps ran on the runtime's only thread. The heartbeat \
         ticked, but only between steps: during each step the thread was blocked, and no task \
         could run. A yield between blocking calls does not give the thread back during them; \
         move the blocking work off the runtime's thread, or make the wait async",
        run.steps_on_runtime_thread
    );
}

#[test]
fn the_heartbeat_ticks_while_the_job_runs() {
    check(run_job(), "");
}

#[test]
fn it_stays_unblocked_on_every_run() {
    // A fresh runtime each time: a fix that worked once by luck would show here.
    for run in 1..=3 {
        check(run_job(), &format!("run {run}: "));
    }
}
