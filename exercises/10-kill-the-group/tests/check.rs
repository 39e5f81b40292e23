//! Exercise 10 is solved when stopping the script also stops the helper it started.

use kill_the_group::{start, stop};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::time::Duration;

/// What `/proc` says about a process that should be dead or dying.
#[derive(Debug, PartialEq)]
enum Fate {
    /// Gone, a zombie, or on its way out: exiting, or a deadly signal pending.
    Dying,
    /// Alive and well, its state letter from /proc/PID/stat.
    Alive(char),
}

fn fate_of(pid: u32) -> Fate {
    // Read the pending signals first, then the state: a process only moves forward, from
    // "signal pending" to "exiting" to "zombie" to gone.
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return Fate::Dying;
    };
    let pending = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0)
    };
    // Signal N is bit N - 1 of the masks (fs/proc/array.c, render_sigset_t).
    let deadly = [9, 15, 2, 1]
        .iter()
        .map(|n| 1u64 << (n - 1))
        .fold(0, |a, b| a | b);
    if (pending("SigPnd:") | pending("ShdPnd:")) & deadly != 0 {
        return Fate::Dying;
    }
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Fate::Dying;
    };
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let state = fields.first().and_then(|s| s.chars().next()).unwrap_or('?');
    // The 9th field of stat, the 7th after the name: the kernel's flags. PF_EXITING = 0x4.
    let exiting = fields
        .get(6)
        .and_then(|f| f.parse::<u64>().ok())
        .is_some_and(|flags| flags & 0x4 != 0);
    if exiting || matches!(state, 'Z' | 'X' | 'x') {
        Fate::Dying
    } else {
        Fate::Alive(state)
    }
}

#[test]
fn stopping_the_script_stops_its_helper_too() {
    // The shell starts a long `sleep` in the background, prints its pid, and waits for it.
    let mut script = start("sleep 300 & echo $!; wait").expect("sh starts");
    let mut line = String::new();
    let stdout = script.stdout.take().expect("stdout is piped");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the script prints its helper's pid");
    let helper: u32 = line.trim().parse().expect("a pid");

    let status = stop(script).expect("stop works");
    assert!(!status.success(), "the shell was killed, not finished");

    // Look a few times before concluding: a process can sit between two of the states that
    // `fate_of` recognises for an instant.
    let mut fate = fate_of(helper);
    for _ in 0..10 {
        if fate == Fate::Dying {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
        fate = fate_of(helper);
    }
    if fate == Fate::Dying {
        return;
    }
    // Clean up after the failure: the helper is an orphan now, nobody else will stop it.
    let _ = kill(Pid::from_raw(helper as i32), Signal::SIGKILL);
    panic!(
        "the shell is dead, but its helper `sleep 300` (pid {helper}) is still running \
         (state {fate:?}): an orphan, adopted by init or a subreaper. Killing one pid stops \
         one process; signal the script's whole process group instead."
    );
}
