//! One way to run a program to completion: its output captured (drained on threads, so a
//! child that fills one pipe never blocks), with an optional timeout, and a callback while it
//! runs (the progress bar of `cargo book measure`). `cargo book measure` runs labs and
//! benches with it, `cargo book exercises` runs `cargo test`.
//!
//! With [`Limits::own_group`], the program runs in a process group of its own and a timeout
//! kills the whole group with `killpg(2)`: cargo, the test binary it started and whatever
//! that forked, not cargo alone. When the program ends, whatever it left in its group is
//! killed too, and [`Ran::left_behind`] says so: a forgotten child holding the program's
//! stdout would otherwise keep the run from ending. Process groups are Unix's; elsewhere `own_group` does
//! nothing and a timeout kills the program alone. `killpg` is called through `libc`, not
//! nix, so the book tool builds on any OS (nix does not build on Windows).

use anyhow::Context;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a program may run, and how it is watched.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Killed after this long; `None` waits for ever.
    pub timeout: Option<Duration>,
    /// Run in a new process group, and kill the group on a timeout.
    pub own_group: bool,
    /// How often the program is polled and `tick` called.
    pub poll: Duration,
}

/// What a finished program left.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    /// Killed because it ran past [`Limits::timeout`].
    pub timed_out: bool,
    /// With [`Limits::own_group`]: processes of the program's group were still there after it
    /// ended (a child it never waited for), and were killed then. Without this, such a child
    /// holding the program's stdout would keep the pipes open, and the run would not end.
    pub left_behind: bool,
    /// How long it ran.
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` (stdin closed, stdout and stderr captured) until it exits or `limits`'
/// timeout passes, calling `tick` every poll.
pub fn run(command: &mut Command, limits: Limits, mut tick: impl FnMut()) -> anyhow::Result<Ran> {
    let program = command.get_program().to_string_lossy().into_owned();
    #[cfg(unix)]
    if limits.own_group {
        std::os::unix::process::CommandExt::process_group(command, 0);
        interrupt::install();
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    // A group of its own does not hear the terminal's Ctrl-C: the tool passes it on.
    #[cfg(unix)]
    let _watched = limits
        .own_group
        .then(|| interrupt::Watched::new(child.id()));
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if limits.timeout.is_some_and(|t| started.elapsed() > t) {
            timed_out = true;
            // The group's id is the child's pid (process_group(0)). Killing only the child is
            // the fallback; a lab's own forks die with it anyway (kit sets PDEATHSIG).
            let killed = limits.own_group && kill_group(child.id());
            if !killed {
                let _ = child.kill();
            }
            break child.wait()?;
        }
        tick();
        std::thread::sleep(limits.poll);
    };
    // The group outlives its leader while any member is alive: kill what the program left.
    let left_behind = !timed_out && limits.own_group && kill_group(child.id());
    Ok(Ran {
        status,
        timed_out,
        left_behind,
        elapsed: started.elapsed(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Sends SIGKILL to the process group `group` (killpg(2)); true if it was sent.
#[cfg(unix)]
fn kill_group(group: u32) -> bool {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return false;
    };
    // SAFETY: killpg takes two integers and touches no memory of ours; a group that no longer
    // exists is an error return (ESRCH), not undefined behaviour.
    unsafe { libc::killpg(group, libc::SIGKILL) == 0 }
}

/// No process groups: the caller kills the program alone.
#[cfg(not(unix))]
fn kill_group(_group: u32) -> bool {
    false
}

/// A program in a process group of its own is out of reach of the terminal's Ctrl-C, which
/// goes to the terminal's foreground group only. So while one runs, SIGINT, SIGTERM or SIGHUP
/// to the tool kills that group first, then ends the tool by the same signal (the default
/// action, re-raised), so nothing the tool started runs on after it. The handler uses only
/// async-signal-safe calls (signal-safety(7): kill, sigaction, raise) and one atomic load.
#[cfg(unix)]
mod interrupt {
    use std::sync::Once;
    use std::sync::atomic::{AtomicI32, Ordering};

    /// The process group being watched, or 0.
    static GROUP: AtomicI32 = AtomicI32::new(0);
    static INSTALL: Once = Once::new();
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// Marks `group` as the one to kill on a signal until dropped.
    pub struct Watched;

    impl Watched {
        pub fn new(group: u32) -> Self {
            GROUP.store(i32::try_from(group).unwrap_or(0), Ordering::SeqCst);
            Watched
        }
    }

    impl Drop for Watched {
        fn drop(&mut self) {
            GROUP.store(0, Ordering::SeqCst);
        }
    }

    extern "C" fn on_signal(signal: libc::c_int) {
        let group = GROUP.load(Ordering::SeqCst);
        // SAFETY: kill(2), sigaction(2) and raise(3) are async-signal-safe (signal-safety(7));
        // a negative pid names the process group; the sigaction struct is zeroed and ours.
        unsafe {
            if group > 0 {
                libc::kill(-group, libc::SIGKILL);
            }
            let mut default: libc::sigaction = std::mem::zeroed();
            default.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(signal, &default, std::ptr::null_mut());
            libc::raise(signal);
        }
    }

    /// Installs the handler once, for the life of the tool.
    pub fn install() {
        INSTALL.call_once(|| {
            for signal in SIGNALS {
                // SAFETY: a zeroed sigaction with our handler; `on_signal` is an
                // `extern "C" fn(c_int)` that only makes async-signal-safe calls.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                    libc::sigaction(signal, &action, std::ptr::null_mut());
                }
            }
        });
    }
}

/// The last `count` lines of a program's output, for an error message.
pub fn tail(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// Reads a pipe to its end on a thread of its own.
fn drain(pipe: Option<Box<dyn Read + Send>>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const QUICK: Limits = Limits {
        timeout: None,
        own_group: true,
        poll: Duration::from_millis(10),
    };

    /// Ctrl-C reaches the tool, not a program in a group of its own: the tool must pass it on.
    /// The test runs itself again as the "tool" (so the signal hits a copy, not the test
    /// harness), whose program writes the pid of a `sleep` it started; SIGINT to the copy
    /// alone must end the copy by SIGINT and leave that `sleep` dead.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_signal_to_the_tool_kills_the_group_it_watches() {
        use std::os::unix::process::ExitStatusExt;
        if std::env::var_os("BOOK_PROCESS_TOOL").is_some() {
            let mut command = Command::new("sh");
            command.args([
                "-c",
                "sleep 60 & echo $! > \"$BOOK_PROCESS_PID_FILE\"; wait",
            ]);
            let _ = run(&mut command, QUICK, || {});
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let pid_file = dir.path().join("sleep.pid");
        let mut tool = Command::new(std::env::current_exe().expect("the test binary"))
            .args([
                "--exact",
                "process::tests::a_signal_to_the_tool_kills_the_group_it_watches",
            ])
            .env("BOOK_PROCESS_TOOL", "1")
            .env("BOOK_PROCESS_PID_FILE", &pid_file)
            .stdout(Stdio::null())
            .spawn()
            .expect("run the tool copy");
        let started = Instant::now();
        let sleep: i32 = loop {
            if let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                break pid;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no sleep started"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let tool_pid = libc::pid_t::try_from(tool.id()).expect("a pid");
        // SAFETY: kill(2) with two integers touches no memory of ours.
        unsafe { libc::kill(tool_pid, libc::SIGINT) };
        let status = tool.wait().expect("wait for the tool copy");
        assert_eq!(
            status.signal(),
            Some(libc::SIGINT),
            "ended by the signal: {status:?}"
        );
        let gone = |pid: i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
                stat.rsplit(") ").next().is_some_and(|s| s.starts_with('Z'))
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !gone(sleep) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let alive = !gone(sleep);
        if alive {
            // SAFETY: as above.
            unsafe { libc::kill(sleep, libc::SIGKILL) };
        }
        assert!(!alive, "the watched group's sleep outlived the tool");
    }

    #[test]
    fn captures_both_streams_and_the_status() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let ran = run(&mut command, QUICK, || {}).expect("runs");
        assert_eq!(ran.status.code(), Some(3));
        assert!(!ran.timed_out && !ran.left_behind);
        assert_eq!(
            (ran.stdout.as_str(), ran.stderr.as_str()),
            ("out\n", "err\n")
        );
    }

    /// A child the program never waited for keeps the program's stdout open: without the
    /// group kill after the program ends, reading stdout to its end would wait for the child.
    #[cfg(target_os = "linux")]
    #[test]
    fn what_a_program_leaves_in_its_group_is_killed_and_reported() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 600 & echo $!"]);
        let ran = run(&mut command, QUICK, || {}).expect("runs");
        assert!(ran.status.success() && !ran.timed_out);
        assert!(ran.left_behind, "the sleep was not reported");
        let sleep: i32 = ran.stdout.trim().parse().expect("the sleep's pid");
        // SIGKILL is sent, not yet delivered, when `run` returns; once it lands the sleep is
        // gone, or a zombie until its new parent reaps it. Wait a bounded while for that.
        let running = || {
            std::fs::read_to_string(format!("/proc/{sleep}/stat")).is_ok_and(|stat| {
                !stat
                    .rsplit(") ")
                    .next()
                    .is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let running = running();
        if running {
            // SAFETY: kill(2) with two integers touches no memory of ours.
            unsafe { libc::kill(sleep, libc::SIGKILL) };
        }
        assert!(!running, "the sleep outlived the program's run");
    }

    #[test]
    fn a_run_past_its_timeout_is_stopped_with_everything_it_started() {
        // A shell that starts a helper, and then waits much longer than the timeout.
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 60 & echo $!; wait"]);
        let started = Instant::now();
        let limits = Limits {
            timeout: Some(Duration::from_millis(500)),
            ..QUICK
        };
        let ran = run(&mut command, limits, || {}).expect("runs");
        assert!(ran.timed_out && !ran.status.success());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "it was stopped"
        );
        // The helper was in the same process group, so it was killed too. (Once killed, the
        // orphan is reaped by init or a subreaper; a zombie or nothing is fine.)
        // Its exit may still be under way when its output ends: allow it a moment.
        let helper = ran.stdout.trim();
        let ended = || {
            let stat = std::fs::read_to_string(format!("/proc/{helper}/stat")).unwrap_or_default();
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            stat.is_empty() || state.starts_with('Z') || state.starts_with('X')
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ended() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(ended(), "the helper {helper} still runs");
    }
}
