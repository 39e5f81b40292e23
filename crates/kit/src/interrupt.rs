//! Clean interruption: a lab that gets SIGINT, SIGTERM or SIGHUP kills every child it has,
//! reaps each one, and exits with status 128 + the signal's number (130, 143, 129), as a
//! shell reports a command killed by that signal.
//!
//! Without this, the default action kills the lab alone. Its children die only if they asked
//! for `PR_SET_PDEATHSIG` (and then nobody reaps them: they stay zombies until init does),
//! and a child that did not ask (a `std::process::Command`, a Python interpreter) runs on.
//! The terminal's Ctrl-C reaches the whole process group, and so does `timeout` without
//! `--foreground` (it makes a group of its own and signals all of it: `cleanup` in coreutils'
//! `src/timeout.c`); `kill PID` and an IDE's stop button signal the lab alone.
//!
//! [`install`] sets one handler for the three signals. The handler does all the work itself,
//! with raw system calls only (signal-safety(7)): it lists `/proc` with `getdents64`, reads
//! each `/proc/PID/stat` into a buffer on the stack, sends `SIGKILL` to every process whose
//! parent is this one, waits for each (`waitpid`), looks again until a pass finds none, and
//! ends with `_exit`. No allocation, no lock, no extra thread: a lab that measures forks in a
//! single-threaded process stays single-threaded. Grandchildren die through the
//! `PR_SET_PDEATHSIG` of their own parent ([`crate::children::fork_child`],
//! [`crate::command::command`]).
//!
//! A child forked without `exec` inherits the handler. In it the handler sees that `getpid()`
//! is not the lab's, restores the default action and raises the signal again, so the child
//! dies by the signal as if it had never had a handler. `execve` resets handled signals to
//! their default (signal(7)), so exec'd children are not affected at all.
//!
//! A lab that handles these signals itself (fork-bomb-guard's harness) installs its own
//! handlers after [`install`]; `sigaction` replaces ours, so the two never both run.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signals a lab ends cleanly on.
pub const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The pid that installed the handler: the lab. 0 until [`install`].
static LAB: AtomicI32 = AtomicI32::new(0);

/// Installs the handler for SIGINT, SIGTERM and SIGHUP in this process. Idempotent.
/// [`crate::cli::run`] (and so [`crate::lab::run`]) calls it: a lab need not.
///
/// A signal that is ignored when the lab starts (`nohup` ignores SIGHUP) stays ignored.
pub fn install() {
    // SAFETY: getpid has no preconditions.
    LAB.store(unsafe { libc::getpid() }, Ordering::SeqCst);
    for signal in SIGNALS {
        // SAFETY: `action` is fully initialised before use: zeroed, then the handler, the
        // flags and a full mask set. `on_signal` only makes async-signal-safe calls.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SA_RESTART: a signal that arrives while another thread's read or wait is
            // blocked does not turn it into EINTR. The full mask: a second signal waits
            // until the first one's cleanup is over (it never is: the handler exits).
            action.sa_flags = libc::SA_RESTART;
            libc::sigfillset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

// ANCHOR: on_signal
extern "C" fn on_signal(signal: libc::c_int) {
    // SAFETY: getpid, sigaction, raise, kill, waitpid, open, read, close, getdents64 and
    // _exit are all async-signal-safe (signal-safety(7); getdents64 is a bare system call),
    // and the buffers they get are on this stack frame.
    unsafe {
        let me = libc::getpid();
        if me != LAB.load(Ordering::SeqCst) {
            // A forked child that inherited the handler: die of the signal as if we had none.
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(signal, &action, std::ptr::null_mut());
            libc::raise(signal);
            return;
        }
        kill_and_reap_children(me);
        libc::_exit(128 + signal)
    }
}
// ANCHOR_END: on_signal

/// Kills every child of `me` and reaps it; repeats until a pass finds none (another thread
/// may have started one meanwhile), at most a bounded number of passes.
///
/// # Safety
///
/// Async-signal-safe; may be called from a signal handler. It reaps every child of this
/// process, so a caller's own `Children` guard will find them gone (ECHILD, which it ignores).
unsafe fn kill_and_reap_children(me: libc::pid_t) {
    for _pass in 0..64 {
        let mut found = false;
        // SAFETY: forwarded: the callback makes only async-signal-safe calls.
        unsafe {
            for_each_child(me, |pid| {
                found = true;
                // SAFETY: kill and waitpid are async-signal-safe; ESRCH/ECHILD (another
                // thread reaped it first) are fine.
                libc::kill(pid, libc::SIGKILL);
                while libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL) == -1
                    && *libc::__errno_location() == libc::EINTR
                {}
            });
        }
        if !found {
            return;
        }
    }
}

/// Calls `f` with the pid of every process whose parent is `parent`, from `/proc`, without
/// allocating.
///
/// # Safety
///
/// Async-signal-safe if `f` is.
unsafe fn for_each_child(parent: libc::pid_t, mut f: impl FnMut(libc::pid_t)) {
    // SAFETY: every call is a plain system call on buffers owned by this frame.
    unsafe {
        let dir = libc::open(
            c"/proc".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if dir < 0 {
            return;
        }
        let mut buf = [0u8; 4096];
        loop {
            let n = libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), buf.len());
            if n <= 0 {
                break;
            }
            let mut at = 0usize;
            while at < n as usize {
                // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name (NUL-ended).
                let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
                let name = &buf[at + 19..at + reclen];
                if let Some(pid) = parse_pid(name)
                    && ppid_of(pid) == Some(parent)
                {
                    f(pid);
                }
                at += reclen;
            }
        }
        libc::close(dir);
    }
}

/// A `/proc` entry's name as a pid: only digits, up to the NUL.
fn parse_pid(name: &[u8]) -> Option<libc::pid_t> {
    let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
    parse_digits(name)
}

fn parse_digits(digits: &[u8]) -> Option<libc::pid_t> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let mut value: libc::pid_t = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + libc::pid_t::from(b - b'0');
    }
    Some(value)
}

/// The parent of `pid` from `/proc/PID/stat` ("pid (comm) state ppid …"), without allocating.
fn ppid_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    let mut path = [0u8; 32];
    let mut len = 0;
    for &b in b"/proc/" {
        path[len] = b;
        len += 1;
    }
    let mut digits = [0u8; 10];
    let mut n = 0;
    let mut rest = pid;
    loop {
        digits[n] = b'0' + (rest % 10) as u8;
        n += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        path[len] = digits[i];
        len += 1;
    }
    for &b in b"/stat\0" {
        path[len] = b;
        len += 1;
    }
    let mut stat = [0u8; 512];
    // SAFETY: `path` is NUL-terminated; open, read and close are async-signal-safe.
    let read = unsafe {
        let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return None;
        }
        let read = libc::read(fd, stat.as_mut_ptr().cast(), stat.len());
        libc::close(fd);
        read
    };
    if read <= 0 {
        return None;
    }
    let stat = &stat[..read as usize];
    // The command name may contain spaces and parentheses: the last ')' ends it.
    let close = stat.iter().rposition(|&b| b == b')')?;
    let mut fields = stat[close + 1..]
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty());
    let _state = fields.next()?;
    parse_digits(fields.next()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parent_of_this_process_without_allocating() {
        // SAFETY: plain system calls.
        let (me, parent) = unsafe { (libc::getpid(), libc::getppid()) };
        assert_eq!(ppid_of(me), Some(parent));
        assert_eq!(parse_pid(b"123\0\0"), Some(123));
        assert_eq!(parse_pid(b"self\0"), None);
    }

    #[test]
    fn finds_the_same_children_as_the_allocating_scan() {
        let _lock = crate::testing::fork_lock();
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut found = Vec::new();
        // SAFETY: the callback only pushes (this is a test, not a signal handler).
        unsafe { for_each_child(libc::getpid(), |pid| found.push(pid)) };
        assert_eq!(found, [child.id() as libc::pid_t]);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
