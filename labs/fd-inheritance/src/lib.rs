//! Interview gotcha: "What does a child inherit?"
//!
//! A forked child gets a copy of its parent's file descriptor table: every open descriptor,
//! at the same number, refers to the same open file (fork(2)). `exec` keeps them too, except
//! those marked close-on-exec (`FD_CLOEXEC`, set at open time by `O_CLOEXEC`; execve(2)).
//! Rust's standard library marks every descriptor it opens close-on-exec, so a Rust program
//! leaks nothing into the programs it runs unless it asks to.
//!
//! The lab shows both steps with two pipes, one left as std made it and one with
//! `FD_CLOEXEC` cleared, then puts inheritance to work: a pre-fork server whose worker
//! processes all accept connections on one listening socket they inherited.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail, ensure};
use kit::Children;
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, write};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, PipeReader, PipeWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

pub mod report;

/// The environment variable that tells a worker which descriptor is its listening socket.
pub const LISTEN_FD_ENV: &str = "FD_INHERITANCE_LISTEN_FD";

/// What the exec'd probe writes through every inherited descriptor it finds open.
pub const PROBE_MESSAGE: &[u8] = b"written by the exec'd program\n";

/// Whether `fd` has the close-on-exec flag.
pub fn is_close_on_exec(fd: impl AsFd) -> io::Result<bool> {
    let flags = FdFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFD)?);
    Ok(flags.contains(FdFlag::FD_CLOEXEC))
}

/// What `/proc/self/fd/N` points to, e.g. `pipe:[123456]` (the pipe's inode): two
/// descriptors in two processes with the same target name the same pipe.
pub fn fd_target(fd: RawFd) -> io::Result<String> {
    Ok(std::fs::read_link(format!("/proc/self/fd/{fd}"))?
        .to_string_lossy()
        .into_owned())
}

/// One pipe of the experiment. The child gets (a copy of) the write end; the parent keeps
/// the read end to see what arrives through it.
#[derive(Debug)]
pub struct Channel {
    reader: PipeReader,
    writer: PipeWriter,
}

// ANCHOR: channel
impl Channel {
    /// A pipe as the standard library makes it (`pipe2(O_CLOEXEC)`): close-on-exec.
    /// With `inheritable`, the flag is then cleared on the write end, as a program must do
    /// by hand to pass a descriptor to a program it executes.
    pub fn new(inheritable: bool) -> io::Result<Self> {
        let (reader, writer) = io::pipe()?;
        if inheritable {
            fcntl(&writer, FcntlArg::F_SETFD(FdFlag::empty()))?;
        }
        Ok(Self { reader, writer })
    }
}
// ANCHOR_END: channel

impl Channel {
    /// The number of the write end, the descriptor the child gets.
    pub fn fd(&self) -> RawFd {
        self.writer.as_raw_fd()
    }

    pub fn writer(&self) -> &PipeWriter {
        &self.writer
    }

    /// Closes our write end and reads everything the children wrote. Call it once every
    /// child holding a copy of the write end has exited, or it waits for them.
    pub fn collect(self) -> io::Result<Vec<u8>> {
        let Self { mut reader, writer } = self;
        drop(writer);
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// One descriptor as the parent has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentFd {
    pub fd: RawFd,
    pub close_on_exec: bool,
    /// `/proc/self/fd/N` in the parent, e.g. `pipe:[123456]`.
    pub target: String,
}

fn parent_view(channel: &Channel) -> io::Result<ParentFd> {
    Ok(ParentFd {
        fd: channel.fd(),
        close_on_exec: is_close_on_exec(channel.writer())?,
        target: fd_target(channel.fd())?,
    })
}

/// What a forked child saw of one inherited descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterFork {
    pub parent: ParentFd,
    /// The close-on-exec flag as the child read it, or `None` if the descriptor was not
    /// open in the child (it then could not answer through it).
    pub close_on_exec_in_child: Option<bool>,
}

// ANCHOR: fork_child_uses_fd
/// In the child: ask the kernel about the descriptor (`fcntl(F_GETFD)` fails with `EBADF`
/// if the number is not open), and answer through it: `c` if it is close-on-exec, `i` if it
/// is inheritable. Only `fcntl` and `write`, both async-signal-safe (signal-safety(7)).
fn answer_through(writer: &PipeWriter) {
    if let Ok(flags) = fcntl(writer, FcntlArg::F_GETFD) {
        let close_on_exec = FdFlag::from_bits_truncate(flags).contains(FdFlag::FD_CLOEXEC);
        let _ = write(writer, if close_on_exec { b"c" } else { b"i" });
    }
}

/// Forks a child that uses both pipes' write ends, which it never opened: it inherited them.
pub fn inherit_across_fork() -> anyhow::Result<Vec<AfterFork>> {
    let channels = [Channel::new(false)?, Channel::new(true)?];
    let parents = channels
        .iter()
        .map(parent_view)
        .collect::<io::Result<Vec<_>>>()?;
    let mut children = Children::new();
    // SAFETY: the child only calls `answer_through` (fcntl and write) and returns a constant.
    let pid = unsafe {
        children.spawn(|| {
            channels.iter().for_each(|c| answer_through(c.writer()));
            0
        })
    }?;
    let status = children.wait(pid)?;
    ensure!(status == WaitStatus::Exited(pid, 0), "child: {status:?}");
    // What arrived through each pipe is the child's answer.
    let answers = channels.into_iter().map(Channel::collect);
    parents
        .into_iter()
        .zip(answers)
        .map(|(parent, answer)| {
            let close_on_exec_in_child = match answer?.as_slice() {
                b"c" => Some(true),
                b"i" => Some(false),
                _ => None,
            };
            Ok(AfterFork {
                parent,
                close_on_exec_in_child,
            })
        })
        .collect()
}
// ANCHOR_END: fork_child_uses_fd

/// What an exec'd program saw of one descriptor its parent had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterExec {
    pub parent: ParentFd,
    /// The program's `/proc/self/fd` listed this number, pointing at the same pipe.
    pub listed: bool,
    /// The program wrote [`PROBE_MESSAGE`] through it, and it arrived.
    pub usable_in_program: bool,
}

/// Everything the exec'd program reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRun {
    pub fds: Vec<AfterExec>,
    /// The program's whole `/proc/self/fd`, as (number, target).
    pub listing: Vec<(RawFd, String)>,
}

// ANCHOR: exec_probe
/// Runs this lab again (`exe --probe-fds A,B`): `Command` creates the child (with `posix_spawn`
/// here, as nothing in this command needs a fork) and the child execs at once. The descriptor
/// table is copied either way, so the same inheritance rules apply. The program reports which
/// descriptors it has; the two pipes say which it could use.
pub fn inherit_across_exec(exe: &Path) -> anyhow::Result<ExecRun> {
    let channels = [Channel::new(false)?, Channel::new(true)?];
    let numbers: Vec<String> = channels.iter().map(|c| c.fd().to_string()).collect();
    let output = Command::new(exe)
        .args(["--probe-fds", &numbers.join(",")])
        .output() // waits for the program, so it is reaped
        .with_context(|| format!("could not run {}", exe.display()))?;
    ensure!(
        output.status.success(),
        "the probe failed: {}",
        output.status
    );
    let listing = parse_listing(&String::from_utf8_lossy(&output.stdout))?;
    let mut fds = Vec::new();
    for channel in channels {
        let parent = parent_view(&channel)?;
        // The same number alone proves little (the program may have opened something that
        // got the number); the same target, the same pipe inode, proves it is our pipe.
        let listed = listing.contains(&(parent.fd, parent.target.clone()));
        let usable_in_program = channel.collect()? == PROBE_MESSAGE;
        fds.push(AfterExec {
            parent,
            listed,
            usable_in_program,
        });
    }
    Ok(ExecRun { fds, listing })
}
// ANCHOR_END: exec_probe

fn parse_listing(text: &str) -> anyhow::Result<Vec<(RawFd, String)>> {
    text.lines()
        .map(|line| {
            let (fd, target) = line
                .strip_prefix("fd ")
                .and_then(|rest| rest.split_once(" -> "))
                .with_context(|| format!("unexpected probe line {line:?}"))?;
            Ok((fd.parse()?, target.to_owned()))
        })
        .collect()
}

// ANCHOR: probe_main
/// The exec'd program's `main`: for each number it was given, if that descriptor is open,
/// write [`PROBE_MESSAGE`] through it; then print its whole `/proc/self/fd`.
pub fn probe_main(fds: &[RawFd]) -> anyhow::Result<()> {
    // Check before opening anything: a new descriptor takes the lowest free number.
    for &fd in fds {
        // SAFETY: F_GETFD on a bare number reads a flag and touches no memory; it fails with
        // EBADF if the number is not open. (nix's fcntl takes a BorrowedFd, which would
        // already promise that the descriptor is open.)
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1 {
            // SAFETY: it is open (checked above) and stays open: we close nothing.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            write(fd, PROBE_MESSAGE)?;
        }
    }
    let mut listing = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Ok(fd) = entry?.file_name().to_string_lossy().parse::<RawFd>() else {
            continue;
        };
        // Skip the directory handle read_dir itself opened (it is gone once listed).
        if let Ok(target) = fd_target(fd)
            && !target.ends_with("/fd")
        {
            listing.push((fd, target));
        }
    }
    listing.sort();
    for (fd, target) in listing {
        println!("fd {fd} -> {target}");
    }
    Ok(())
}
// ANCHOR_END: probe_main

/// One answer of the pre-fork server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub request: usize,
    /// The pid of the worker process that answered.
    pub worker: i32,
    /// Which of that worker's threads answered (0-based).
    pub thread: usize,
}

/// Everything the pre-fork server run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreforkRun {
    pub addr: SocketAddr,
    pub workers: Vec<Pid>,
    pub threads: usize,
    /// Requests the client sent.
    pub requests: usize,
    pub answers: Vec<Answer>,
    /// The exact status of each worker, in the order they were started.
    pub statuses: Vec<(Pid, WaitStatus)>,
    /// Whether the address could be bound again after the workers were gone.
    pub port_freed: bool,
}

impl PreforkRun {
    /// Answers per worker pid, with the per-thread counts, for every worker (zeros included).
    pub fn distribution(&self) -> BTreeMap<i32, Vec<usize>> {
        let mut counts: BTreeMap<i32, Vec<usize>> = self
            .workers
            .iter()
            .map(|pid| (pid.as_raw(), vec![0; self.threads]))
            .collect();
        for answer in &self.answers {
            if let Some(slot) = counts
                .get_mut(&answer.worker)
                .and_then(|threads| threads.get_mut(answer.thread))
            {
                *slot += 1;
            }
        }
        counts
    }
}

// ANCHOR: prefork
/// A pre-fork server: one listening socket, `workers` processes accepting on it, each with
/// `threads` threads; a client sends `requests` requests, one connection each.
pub fn prefork_server(
    exe: &Path,
    workers: usize,
    threads: usize,
    requests: usize,
) -> anyhow::Result<PreforkRun> {
    // Port 0: the kernel picks a free port. Close-on-exec, like every socket std makes.
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    let mut children = Children::new(); // kills and reaps the workers if we fail below
    let mut stdins = Vec::new();
    for _ in 0..workers {
        let mut worker = spawn_worker(exe, &listener, threads)?;
        children.adopt(Pid::from_raw(worker.id() as i32));
        stdins.push(worker.stdin.take().context("no stdin")?);
    }
    let pids = children.pids().to_vec();
    // The workers hold the socket now. Connections queue in its backlog until one accepts,
    // so there is no need to wait for the workers to be ready.
    drop(listener);

    let answers = (0..requests)
        .map(|request| ask(addr, request))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Closing their stdin tells the workers to exit; then reap each one, by pid.
    drop(stdins);
    let statuses = children.wait_all()?;
    // With every copy of the socket closed, the port is free to bind again.
    let port_freed = TcpListener::bind(addr).is_ok();
    Ok(PreforkRun {
        addr,
        workers: pids,
        threads,
        requests,
        answers,
        statuses,
        port_freed,
    })
}
// ANCHOR_END: prefork

// ANCHOR: spawn_worker
/// Starts one worker: this lab again with `--worker`, the listening socket inherited.
/// The number travels in an environment variable; exec keeps the descriptor at that number.
fn spawn_worker(exe: &Path, listener: &TcpListener, threads: usize) -> io::Result<Child> {
    let fd = listener.as_raw_fd();
    let mut command = Command::new(exe);
    command
        .args(["--worker", "--threads", &threads.to_string()])
        .env(LISTEN_FD_ENV, fd.to_string())
        .stdin(Stdio::piped());
    // Clear close-on-exec in the child, between fork and exec, not in the parent: while the
    // parent's copy is inheritable, any program another of its threads starts inherits it.
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: it makes one, fcntl(2), and allocates nothing.
    unsafe {
        command.pre_exec(move || clear_close_on_exec(fd));
    }
    command.spawn()
}

/// Clears `FD_CLOEXEC` on a descriptor given by number (no allocation: fine after fork).
fn clear_close_on_exec(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_SETFD on a bare number changes a flag and touches no memory.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
// ANCHOR_END: spawn_worker

// ANCHOR: worker_main
/// A worker's `main`: take the inherited socket, accept on it from `threads` threads, and
/// exit when the parent closes our stdin (or dies, which closes it too).
pub fn worker_main(threads: usize) -> anyhow::Result<()> {
    let fd: RawFd = std::env::var(LISTEN_FD_ENV)
        .with_context(|| format!("{LISTEN_FD_ENV} is not set"))?
        .parse()
        .with_context(|| format!("{LISTEN_FD_ENV} is not a number"))?;
    // SAFETY: F_GETFD on a bare number touches no memory; it fails if the number is not open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        bail!("descriptor {fd} was not inherited");
    }
    // SAFETY: the descriptor is open (checked above), and the parent handed it to us to own:
    // nothing else in this process uses it.
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    listener
        .local_addr()
        .context("the inherited descriptor is not a socket")?;
    // Close-on-exec again, so that nothing this worker might run inherits the socket.
    fcntl(&listener, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;

    thread::scope(|scope| {
        for thread in 0..threads {
            let listener = &listener;
            scope.spawn(move || serve(listener, thread));
        }
        // The main thread waits for end-of-file on stdin, then ends the whole process,
        // the accepting threads with it.
        let _ = io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0)
    })
}

/// One accepting thread: every worker thread of every worker process blocks in accept(2)
/// on the same socket, and the kernel hands each connection to one of them.
fn serve(listener: &TcpListener, thread: usize) {
    let pid = std::process::id();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut request = String::new();
        if BufReader::new(&stream).read_line(&mut request).is_ok() {
            let _ = writeln!(stream, "{} worker {pid} thread {thread}", request.trim());
        }
    }
}
// ANCHOR_END: worker_main

/// The client: one connection per request, one line each way.
fn ask(addr: SocketAddr, request: usize) -> anyhow::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    // A worker answers at once; a missing answer is a bug, reported rather than waited for.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    writeln!(stream, "{request}")?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    parse_answer(&line).with_context(|| format!("unexpected answer {line:?}"))
}

fn parse_answer(line: &str) -> Option<Answer> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [request, "worker", pid, "thread", thread] => Some(Answer {
            request: request.parse().ok()?,
            worker: pid.parse().ok()?,
            thread: thread.parse().ok()?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_answers_and_listings() {
        assert_eq!(
            parse_answer("3 worker 1234 thread 1\n"),
            Some(Answer {
                request: 3,
                worker: 1234,
                thread: 1
            })
        );
        assert_eq!(parse_answer("garbage"), None);
        assert_eq!(
            parse_listing("fd 0 -> /dev/null\nfd 5 -> pipe:[42]\n").unwrap(),
            [(0, "/dev/null".to_owned()), (5, "pipe:[42]".to_owned())]
        );
    }

    #[test]
    fn std_opens_pipes_close_on_exec() {
        let plain = Channel::new(false).unwrap();
        let inheritable = Channel::new(true).unwrap();
        assert!(is_close_on_exec(plain.writer()).unwrap());
        assert!(!is_close_on_exec(inheritable.writer()).unwrap());
    }
}
