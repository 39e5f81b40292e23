//! The exercise's safety net (no need to change anything here). Until the exercise is solved,
//! every worker starts workers of its own; this stops the second generation, so that a
//! mistake costs three processes, not a machine. Real programs have no such net: the guard
//! in `main` is all there is.

use std::process::Command;

/// How many copies deep this process is: 0 for the program you started, 1 for its copies.
const GENERATION: &str = "REEXEC_GUARD_GENERATION";

/// A `Command` that runs this same executable again, one generation deeper.
pub fn copy_of_this_program() -> std::io::Result<Command> {
    let generation: u32 = std::env::var(GENERATION)
        .ok()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    if generation >= 1 {
        return Err(std::io::Error::other(format!(
            "the safety net stopped a fork bomb: a copy of the program (pid {}) tried to start \
             copies of its own",
            std::process::id()
        )));
    }
    let mut command = Command::new(std::env::current_exe()?);
    command.env(GENERATION, (generation + 1).to_string());
    Ok(command)
}
