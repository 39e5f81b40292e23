//! I/O-bound work: fetch K slow resources one after another, with K threads, with K
//! processes, and with K async tasks on one thread.
//!
//! The "web" is a small server the lab starts itself on 127.0.0.1 (port 0, so the kernel picks
//! a free port). It waits a fixed delay before answering each request, the way a remote server,
//! a database or a disk keeps a client waiting. Nothing leaves the machine, and the server stops
//! (its port freed) before the lab ends.
//!
//! A waiting client uses no CPU, so K clients can wait at the same time: the concurrent modes
//! should take about one delay in total, the sequential mode K delays.
//!
//! The async mode waits for all K on one OS thread: K tokio tasks on a current-thread runtime,
//! whose I/O driver asks the kernel which of the K sockets are ready (epoll(7), through mio)
//! and polls only the tasks whose socket is.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

pub mod connections;
pub mod report;

use anyhow::{Context, ensure};
use kit::Children;
use kit::spans::{Origin, Recorder, cpu, receive};
use kit::timeline::{Lane, LaneKind, Span, Timeline};
use nix::fcntl::OFlag;
use nix::sys::socket::{self, AddressFamily, Backlog, MsgFlags, SockFlag, SockType, SockaddrIn};
use nix::sys::wait::WaitStatus;
use nix::unistd::pipe2;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

/// What every client sends (one line).
pub const REQUEST: &[u8] = b"GET /resource\n";
/// What the server answers to every request, after its delay.
pub const RESPONSE: &[u8] = b"200 OK: here is the resource you asked for\n";

/// Exit status of a child that could not connect, send or receive.
pub const CHILD_IO_FAILED: i32 = 3;
/// Exit status of a child that received something other than [`RESPONSE`].
pub const CHILD_WRONG_RESPONSE: i32 = 4;

/// K for the benchmarks (benches/io-bound.rs): fewer resources than the lab's default 16 and
/// a shorter delay than its 100 ms, so that a run of every mode stays short.
pub const BENCH_REQUESTS: usize = 8;
/// The server's delay before each answer in the benchmarks.
pub const BENCH_DELAY: Duration = Duration::from_millis(20);

/// The four ways of fetching K resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One request after another, from the main thread.
    Sequential,
    /// One thread per request, all at once.
    Threads,
    /// One forked child process per request, all at once.
    Processes,
    /// One async task per request, all at once, on one OS thread.
    Async,
}

impl Mode {
    pub const ALL: [Mode; 4] = [
        Mode::Sequential,
        Mode::Threads,
        Mode::Processes,
        Mode::Async,
    ];

    /// The id used in `--json` records: `io-bound/<id>`.
    pub fn id(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::Processes => "processes",
            Mode::Async => "async",
        }
    }

    /// The benchmark of this mode, by its name in the benchmarks' `io-bound` group
    /// (`threads/8-requests-20ms`), which makes its record id `io-bound/threads/8-requests-20ms`.
    pub fn bench_name(self) -> String {
        format!(
            "{}/{BENCH_REQUESTS}-requests-{}ms",
            self.id(),
            BENCH_DELAY.as_millis()
        )
    }

    /// The least time K requests can take this way: K delays one after another, or one delay
    /// when all K wait at the same time.
    pub fn ideal(self, requests: usize, delay: Duration) -> Duration {
        match self {
            Mode::Sequential => delay * requests as u32,
            Mode::Threads | Mode::Processes | Mode::Async => delay,
        }
    }
}

// ANCHOR: server
/// A stand-in for a slow web server: it answers every request with [`RESPONSE`] after a fixed
/// delay, serving each connection on its own thread so that the server itself never makes a
/// client wait longer than the delay.
pub struct Server {
    addr: SocketAddrV4,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts listening on 127.0.0.1, on a port the kernel picks.
    pub fn start(delay: Duration) -> io::Result<Self> {
        let listener = listen_on_loopback(Backlog::new(1024)?)?;
        let SocketAddr::V4(addr) = listener.local_addr()? else {
            unreachable!("we bound an IPv4 address");
        };
        let stop = Arc::new(AtomicBool::new(false));
        let accept_thread = thread::Builder::new().name("server".into()).spawn({
            let stop = Arc::clone(&stop);
            move || accept_until_stopped(listener, delay, &stop)
        })?;
        Ok(Self {
            addr,
            stop,
            accept_thread: Some(accept_thread),
        })
    }

    pub fn addr(&self) -> SocketAddrV4 {
        self.addr
    }

    /// Stops the server: no thread of it is left and its port is free when this returns.
    pub fn stop(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        let Some(accept_thread) = self.accept_thread.take() else {
            return Ok(());
        };
        self.stop.store(true, Ordering::SeqCst);
        // The accept thread is blocked in accept(2) until a client connects: be that client,
        // so it wakes up, sees the flag and returns.
        let _ = TcpStream::connect(self.addr);
        accept_thread
            .join()
            .map_err(|_| io::Error::other("the server's thread panicked"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
// ANCHOR_END: server

// ANCHOR: serve
fn accept_until_stopped(listener: TcpListener, delay: Duration, stop: &AtomicBool) {
    // The scope waits for every connection's thread before the listener is closed.
    thread::scope(|scope| {
        for connection in listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if let Ok(stream) = connection {
                scope.spawn(move || answer_slowly(stream, delay));
            }
        }
    });
}

fn answer_slowly(mut stream: TcpStream, delay: Duration) -> io::Result<()> {
    let mut request = Vec::new();
    BufReader::new(&stream).read_until(b'\n', &mut request)?;
    thread::sleep(delay); // the slow part: a database, a disk, the other side of the world
    stream.write_all(RESPONSE)?;
    // Shut down rather than only close: children forked meanwhile hold copies of this socket,
    // and close(2) ends the connection only when the last copy is closed.
    stream.shutdown(Shutdown::Write)
}
// ANCHOR_END: serve

// ANCHOR: listen
/// std's `TcpListener::bind` asks for a queue of 128 connections not yet accepted; up to 256
/// clients connect at once here (N at once in many connections), so the socket is made with
/// nix and asks for `backlog` (listen(2); the kernel caps it at `net.core.somaxconn`).
pub(crate) fn listen_on_loopback(backlog: Backlog) -> io::Result<TcpListener> {
    let socket = socket::socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    // As std does: the server closes connections first, so they linger in TIME_WAIT on its
    // port; SO_REUSEADDR lets the port be bound again at once after the server stops (socket(7)).
    socket::setsockopt(&socket, socket::sockopt::ReuseAddr, &true)?;
    // Port 0: the kernel picks a free ephemeral port.
    socket::bind(socket.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, 0))?;
    socket::listen(&socket, backlog)?;
    Ok(TcpListener::from(socket))
}
// ANCHOR_END: listen

// ANCHOR: fetch
/// One request, the ordinary way: connect, send the request, read until the server closes.
pub fn fetch(addr: SocketAddrV4) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(REQUEST)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

fn is_right(response: io::Result<Vec<u8>>) -> bool {
    matches!(response, Ok(body) if body == RESPONSE)
}
// ANCHOR_END: fetch

// ANCHOR: sequential
/// K requests one after another: each waits for the previous one's answer.
pub fn fetch_sequentially(addr: SocketAddrV4, requests: usize) -> usize {
    (0..requests).filter(|_| is_right(fetch(addr))).count()
}
// ANCHOR_END: sequential

// ANCHOR: threads
/// K requests from K threads: all K wait for their answers at the same time.
pub fn fetch_with_threads(addr: SocketAddrV4, requests: usize) -> usize {
    thread::scope(|scope| {
        let workers: Vec<_> = (0..requests)
            .map(|_| scope.spawn(move || fetch(addr)))
            .collect();
        // Join every thread; count those that got the right answer.
        workers
            .into_iter()
            .map(|worker| worker.join().is_ok_and(is_right))
            .filter(|&right| right)
            .count()
    })
}
// ANCHOR_END: threads

// ANCHOR: processes
/// K requests from K forked children. Each child reports through its exit status: 0 when it
/// received exactly [`RESPONSE`].
pub fn fetch_with_processes(addr: SocketAddrV4, requests: usize) -> anyhow::Result<usize> {
    // Prepared before forking: the address a child connects to, as the kernel wants it.
    let target = SockaddrIn::from(addr);
    let mut children = Children::new();
    for _ in 0..requests {
        // SAFETY: this process has other threads (the server's), so the child may only make
        // async-signal-safe calls (signal-safety(7)). `fetch_in_child` makes socket system
        // calls and compares bytes in a stack buffer: no allocation, no locks.
        unsafe { children.spawn(|| fetch_in_child(&target)) }?;
    }
    let statuses = children.wait_all()?;
    let right = statuses
        .iter()
        .filter(|&&(pid, status)| status == WaitStatus::Exited(pid, 0))
        .count();
    Ok(right)
}

/// One request from a child forked by a multithreaded process: system calls only, no std
/// networking (which may allocate) and no heap.
fn fetch_in_child(target: &SockaddrIn) -> i32 {
    let mut response = [0u8; 256];
    match request_raw(target, &mut response) {
        Ok(len) if &response[..len] == RESPONSE => 0,
        Ok(_) => CHILD_WRONG_RESPONSE,
        Err(_) => CHILD_IO_FAILED,
    }
}

fn request_raw(target: &SockaddrIn, response: &mut [u8]) -> nix::Result<usize> {
    let sock = socket::socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )?;
    let fd = sock.as_raw_fd();
    socket::connect(fd, target)?;
    let mut sent = 0;
    while sent < REQUEST.len() {
        sent += socket::send(fd, &REQUEST[sent..], MsgFlags::empty())?;
    }
    // Read until the server closes. A full buffer also ends the loop (recv into an empty
    // slice returns 0), and the length check then rejects the oversized answer.
    let mut len = 0;
    loop {
        match socket::recv(fd, &mut response[len..], MsgFlags::empty())? {
            0 => return Ok(len),
            n => len += n,
        }
    }
}
// ANCHOR_END: processes

// ANCHOR: tasks
/// The async mode's runtime: tokio's current-thread scheduler, which runs every task on the
/// thread that calls `block_on`, with its I/O driver (an epoll instance, through mio) and no
/// timer.
pub fn runtime() -> io::Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
}

/// One request as an async task: the same steps as [`fetch`], but each `.await` that would
/// block hands the thread back to the runtime until the socket is ready.
pub async fn fetch_async(addr: SocketAddrV4) -> io::Result<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(REQUEST).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(response)
}

/// K requests as K tasks on one thread: all K wait for their answers at the same time.
pub fn fetch_with_tasks(addr: SocketAddrV4, requests: usize) -> io::Result<usize> {
    let runtime = runtime()?;
    let right = runtime.block_on(async {
        let tasks: Vec<_> = (0..requests)
            .map(|_| tokio::spawn(fetch_async(addr)))
            .collect();
        // Await every task; count those that got the right answer.
        let mut right = 0;
        for task in tasks {
            right += usize::from(task.await.is_ok_and(is_right));
        }
        right
    });
    Ok(right)
}
// ANCHOR_END: tasks

/// How fetching K resources one way went.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub mode: Mode,
    pub requests: usize,
    /// Responses that arrived with exactly the right content.
    pub right: usize,
    /// Wall time from the first request to the last answer (and, for processes, the last
    /// child reaped).
    pub wall: Duration,
}

impl Fetched {
    /// Wall time as a multiple of K × delay (1.0 for perfectly sequential waiting).
    pub fn ratio_to_all_delays(&self, delay: Duration) -> f64 {
        self.wall.as_secs_f64() / (delay.as_secs_f64() * self.requests as f64)
    }

    /// Time spent beyond the least this mode could take: creating threads or processes,
    /// connecting, scheduling.
    pub fn beyond_ideal(&self, delay: Duration) -> Duration {
        self.wall
            .saturating_sub(self.mode.ideal(self.requests, delay))
    }
}

/// Fetches `requests` resources from the server at `addr` one way, and times it.
pub fn fetch_all(mode: Mode, addr: SocketAddrV4, requests: usize) -> anyhow::Result<Fetched> {
    let start = Instant::now();
    let right = match mode {
        Mode::Sequential => fetch_sequentially(addr, requests),
        Mode::Threads => fetch_with_threads(addr, requests),
        Mode::Processes => fetch_with_processes(addr, requests)?,
        Mode::Async => fetch_with_tasks(addr, requests)?,
    };
    Ok(Fetched {
        mode,
        requests,
        right,
        wall: start.elapsed(),
    })
}

/// The timeline ids in the `--json` report, one per mode: `io-bound/timeline/threads`.
pub fn timeline_id(mode: Mode) -> String {
    format!("io-bound/timeline/{}", mode.id())
}

/// [`fetch_sequentially`], each request recorded as one span (from connect to the whole
/// answer read): one lane, K spans one after another.
pub fn sequential_traced(addr: SocketAddrV4, requests: usize) -> (usize, Timeline) {
    let mut recorder = Recorder::for_thread(Origin::now(), requests);
    let right = (0..requests)
        .filter(|_| is_right(recorder.span(|| fetch(addr))))
        .count();
    let mut timeline = Timeline::default();
    timeline.lanes.push(recorder.lane("main thread"));
    (right, timeline)
}

/// [`fetch_with_threads`], each thread's request recorded as one span: a lane per thread.
pub fn threads_traced(addr: SocketAddrV4, requests: usize) -> (usize, Timeline) {
    let origin = Origin::now();
    thread::scope(|scope| {
        let workers: Vec<_> = (0..requests)
            .map(|k| {
                scope.spawn(move || {
                    let mut recorder = Recorder::for_thread(origin, 1);
                    let response = recorder.span(|| fetch(addr));
                    // Taken on the thread itself: its switch counts are its own.
                    (
                        is_right(response),
                        recorder.lane(format!("thread {}", k + 1)),
                    )
                })
            })
            .collect();
        let mut timeline = Timeline::default();
        let mut right = 0;
        for worker in workers {
            // A thread that panicked has no lane; the missing lane and answer both show.
            if let Ok((ok, lane)) = worker.join() {
                right += usize::from(ok);
                timeline.lanes.push(lane);
            }
        }
        (right, timeline)
    })
}

/// [`fetch_with_processes`], each child's request recorded as one span. Each child has a pipe
/// of its own (two writers on one pipe would interleave their records) and sends its span
/// through it (`Recorder::send`) before it exits with its status.
pub fn processes_traced(addr: SocketAddrV4, requests: usize) -> anyhow::Result<(usize, Timeline)> {
    let origin = Origin::now();
    let target = SockaddrIn::from(addr);
    // Everything a child touches is allocated before any fork: children may not allocate.
    let mut pipes = Vec::with_capacity(requests);
    for _ in 0..requests {
        pipes.push(pipe2(OFlag::O_CLOEXEC)?);
    }
    let mut children = Children::new();
    for (_, to_parent) in &pipes {
        let mut recorder = Recorder::for_process(origin, 1);
        // SAFETY: as in `fetch_with_processes`, plus clock_gettime, sched_getcpu, getrusage
        // and write(2) into the child's pipe (kit::spans's module docs): no lock and no
        // allocation, so it is safe after fork in this multithreaded process.
        unsafe {
            children.spawn(move || {
                let status = recorder.span(|| fetch_in_child(&target));
                let sent = recorder.send(to_parent).is_ok();
                // Dropping the buffer would call free(3), not async-signal-safe; the
                // child's memory goes at _exit anyway.
                std::mem::forget(recorder);
                if sent { status } else { CHILD_IO_FAILED }
            })
        }?;
    }
    let mut timeline = Timeline::default();
    for (k, (from_child, to_parent)) in pipes.into_iter().enumerate() {
        // Our copy of the write end; the children have theirs.
        drop(to_parent);
        let received = receive(File::from(from_child), format!("process {}", k + 1))
            .with_context(|| format!("process {} sent no span", k + 1))?;
        timeline.lanes.push(received.lane);
    }
    let statuses = children.wait_all()?;
    let right = statuses
        .iter()
        .filter(|&&(pid, status)| status == WaitStatus::Exited(pid, 0))
        .count();
    Ok((right, timeline))
}

/// [`fetch_with_tasks`], each task's request recorded as one span (from connect to the whole
/// answer read), a lane per task. `Recorder::span` times a closure, not a future, so the span
/// is taken by hand the way it does: the CPU, then the time, around the work. A task is not
/// an OS worker: every lane ran on the same thread (kind `task`), and a task has no context
/// switches of its own (it is switched by returning from `poll`, which the kernel never sees),
/// so its lane counts none.
pub fn tasks_traced(addr: SocketAddrV4, requests: usize) -> io::Result<(usize, Timeline)> {
    let origin = Origin::now();
    let runtime = runtime()?;
    Ok(runtime.block_on(async {
        let tasks: Vec<_> = (0..requests)
            .map(|_| {
                tokio::spawn(async move {
                    let cpu_begin = cpu();
                    let begin_ns = origin.elapsed_ns();
                    let response = fetch_async(addr).await;
                    let end_ns = origin.elapsed_ns();
                    let span = Span {
                        begin_ns,
                        end_ns,
                        cpu_begin,
                        cpu_end: cpu(),
                    };
                    (is_right(response), span)
                })
            })
            .collect();
        let mut timeline = Timeline::default();
        let mut right = 0;
        for (k, task) in tasks.into_iter().enumerate() {
            // A task that panicked has no lane; the missing lane and answer both show.
            if let Ok((ok, span)) = task.await {
                right += usize::from(ok);
                timeline.lanes.push(Lane {
                    name: format!("task {}", k + 1),
                    kind: LaneKind::Task,
                    spans: vec![span],
                    voluntary: 0,
                    involuntary: 0,
                });
            }
        }
        (right, timeline)
    }))
}

/// Fetches `requests` resources one way with every request recorded as a span: the right
/// answers and the timeline.
pub fn fetch_traced(
    mode: Mode,
    addr: SocketAddrV4,
    requests: usize,
) -> anyhow::Result<(usize, Timeline)> {
    Ok(match mode {
        Mode::Sequential => sequential_traced(addr, requests),
        Mode::Threads => threads_traced(addr, requests),
        Mode::Processes => processes_traced(addr, requests)?,
        Mode::Async => tasks_traced(addr, requests)?,
    })
}

/// Every mode once more, with spans, against a server of its own, after the timed runs (so
/// the spans cost the timings nothing): each mode's timeline under its id ([`timeline_id`]).
/// Fails if a traced run misses an answer.
pub fn record_timelines(
    requests: usize,
    delay: Duration,
) -> anyhow::Result<Vec<(String, Timeline)>> {
    let server = Server::start(delay)?;
    let mut timelines = Vec::with_capacity(Mode::ALL.len());
    // What one span costs to record, for each timeline's summary to weigh against its spans.
    let span_cost_ns = kit::spans::cost_per_span_ns();
    for mode in Mode::ALL {
        let (right, mut timeline) = fetch_traced(mode, server.addr(), requests)?;
        timeline.span_cost_ns = Some(span_cost_ns);
        ensure!(
            right == requests,
            "{} with spans got {right} of {requests} right answers",
            mode.id()
        );
        timelines.push((timeline_id(mode), timeline));
    }
    server.stop()?;
    Ok(timelines)
}

/// The whole lab: start a server, fetch `requests` resources each way, stop the server.
/// `before` is called before each mode starts (the binary prints progress with it).
pub fn run(
    requests: usize,
    delay: Duration,
    mut before: impl FnMut(Mode),
) -> anyhow::Result<Vec<Fetched>> {
    let server = Server::start(delay)?;
    let mut results = Vec::with_capacity(Mode::ALL.len());
    for mode in Mode::ALL {
        before(mode);
        results.push(fetch_all(mode, server.addr(), requests)?);
    }
    server.stop()?;
    Ok(results)
}
