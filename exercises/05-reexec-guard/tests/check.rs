//! Exercise 5 is solved when the program starts exactly its two workers, and they start none.

use std::process::Command;

#[test]
fn the_parent_starts_two_workers_and_the_workers_start_none() {
    let output = Command::new(env!("CARGO_BIN_EXE_reexec-guard"))
        // As if started from a shell: neither a worker nor a copy.
        .env_remove(reexec_guard::WORKER_MARK)
        .env_remove("REEXEC_GUARD_GENERATION")
        .output()
        .expect("the program runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("safety net"),
        "a worker tried to start workers of its own: a fork bomb, stopped by the exercise's \
         safety net after one generation. The program printed:\n{stdout}{stderr}"
    );
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "parent: 2 of 2 workers succeeded",
            "worker 0: working",
            "worker 1: working"
        ],
        "the program should print one line per worker and the parent's report; it printed:\n\
         {stdout}{stderr}"
    );
    assert!(
        output.status.success(),
        "the program failed: {}",
        output.status
    );
}
