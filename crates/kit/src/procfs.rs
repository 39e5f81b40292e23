//! What `/proc` says about processes (proc(5)): who is whose child, and in which state.
//!
//! The labs' tests use these to prove that nothing outlives a lab, and [`crate::interrupt`]
//! finds a lab's children the same way (there with raw system calls, because it runs in a
//! signal handler).

use nix::unistd::Pid;

/// The fields of `/proc/PID/stat` the kit needs (proc(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    /// One letter: R running, S sleeping, D disk sleep, T stopped, Z zombie, …
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
}

/// Reads `/proc/PID/stat`; `None` once the process is gone (reaped).
pub fn stat_of(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself contain spaces or parentheses.
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat { state, ppid, pgrp })
}

/// The pids whose parent is this process (live or zombie), read from `/proc`.
pub fn live_children() -> Vec<Pid> {
    children_of(Pid::this())
}

/// The pids whose parent is `parent`, read from `/proc/*/stat`.
pub fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| stat_of(pid).is_some_and(|s| s.ppid == parent.as_raw()))
        .map(Pid::from_raw)
        .collect()
}

/// Every process below `root` in the process tree (children, grandchildren, …).
pub fn descendants_of(root: Pid) -> Vec<Pid> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        for child in children_of(pid) {
            found.push(child);
            frontier.push(child);
        }
    }
    found
}

/// Every process below this one: [`descendants_of`] this process.
pub fn live_descendants() -> Vec<Pid> {
    descendants_of(Pid::this())
}

/// The command name of `pid` (`/proc/PID/comm`, at most 15 bytes), `None` once it is gone.
pub fn comm_of(pid: Pid) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(text.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_stat() {
        let me = stat_of(std::process::id() as i32).unwrap();
        assert_eq!(me.ppid, nix::unistd::getppid().as_raw());
        assert!("RS".contains(me.state));
    }
}
