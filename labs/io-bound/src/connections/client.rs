//! The lab's side of many connections: it starts the server copy, connects N clients, samples
//! the server's memory and threads, sends the requests, and checks every answer.
//!
//! The clients are tokio tasks on one current-thread runtime, the same for every model: the
//! lab's own cost stays out of the server's numbers, and the server alone differs between runs.

use super::Model;
use crate::{REQUEST, RESPONSE};
use anyhow::{Context, bail, ensure};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, pthread_sigmask};
use nix::unistd::Pid;
use std::io::{self, BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one model did with N connections.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub model: Model,
    pub connections: usize,
    /// Answers that arrived exactly right.
    pub right: usize,
    /// From the first request sent to the last answer read.
    pub wall: Duration,
    /// Each client's time from sending its request to reading the whole answer, sorted.
    pub latencies: Vec<Duration>,
    /// The most resident memory seen: `Pss` summed over the server and its children.
    pub memory: u64,
    /// The most threads seen: `Threads` summed over the server and its children.
    pub threads: u64,
}

impl Served {
    /// Answers per second over the whole exchange.
    pub fn throughput(&self) -> f64 {
        self.connections as f64 / self.wall.as_secs_f64()
    }

    /// The `p`-th percentile latency (nearest rank: the smallest sample with at least p % of
    /// the samples at or below it).
    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }
}

/// Nearest-rank percentile of sorted samples (zero for none).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The longest one model may take, however slow the machine: past it the server is killed and
/// the run fails (only a hang reaches it).
fn deadline(connections: usize, hold: Duration, pool_threads: usize) -> Duration {
    Duration::from_secs(60) + hold * connections.div_ceil(pool_threads) as u32 * 2
}

/// The server copy, killed and reaped when dropped, whatever happened.
struct ServerCopy {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl ServerCopy {
    fn start(model: Model, connections: usize, hold: Duration, pool: usize) -> io::Result<Self> {
        // /proc/self/exe rather than the path `current_exe` gives: in the child it is still
        // this very program when a rebuild has replaced the file on disk meanwhile (proc(5):
        // the link works even for a deleted file), so the server is never another version.
        let mut child = kit::command::command("/proc/self/exe")
            .arg0(crate::report::LAB)
            .args(["--serve", model.id()])
            .args(["--connections", &connections.to_string()])
            .args(["--hold-ms", &hold.as_millis().to_string()])
            .args(["--pool-threads", &pool.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        Ok(Self {
            child,
            lines: BufReader::new(stdout),
        })
    }

    /// The next line the server says, without its newline; an error if it has stopped.
    fn says(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        if self.lines.read_line(&mut line)? == 0 {
            let status = self.child.wait()?;
            bail!("the server copy stopped early ({status})");
        }
        Ok(line.trim_end().to_owned())
    }
}

impl Drop for ServerCopy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peaks seen so far, shared with the sampling thread.
#[derive(Default)]
struct Peaks {
    memory: AtomicU64,
    threads: AtomicU64,
}

impl Peaks {
    fn sample(&self, pid: u32) {
        if let Some((memory, threads)) = usage(pid) {
            self.memory.fetch_max(memory, Ordering::Relaxed);
            self.threads.fetch_max(threads, Ordering::Relaxed);
        }
    }
}

/// Runs N clients against a fresh server of `model` and measures it.
pub fn measure(
    model: Model,
    connections: usize,
    hold: Duration,
    pool_threads: usize,
) -> anyhow::Result<Served> {
    let mut server = ServerCopy::start(model, connections, hold, pool_threads)?;
    let said = server.says()?;
    let port: u16 = said
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("the server said {said:?}, not its port"))?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let pid = server.child.id();

    // The sampler reads the server's /proc files until told to stop; it is also the watchdog
    // that kills a server which outlives the deadline (the clients then fail at once).
    let peaks = Arc::new(Peaks::default());
    let stop = Arc::new(AtomicBool::new(false));
    let limit = deadline(connections, hold, pool_threads);
    let sampler = thread::Builder::new().name("sampler".into()).spawn({
        let (peaks, stop) = (Arc::clone(&peaks), Arc::clone(&stop));
        move || {
            // SIGINT, SIGTERM and SIGHUP go to the main thread, not here: kit::interrupt's
            // handler kills and reaps the server and exits, and were it to run on this thread,
            // the main thread could meanwhile see its server gone and exit 1 first
            // (signal(7): a process-directed signal goes to a thread that does not block it).
            let mut stops = SigSet::empty();
            for signal in kit::interrupt::SIGNALS {
                stops.add(Signal::try_from(signal).expect("a known signal"));
            }
            let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&stops), None);
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                peaks.sample(pid);
                if started.elapsed() > limit {
                    // The pid is our child, not yet reaped, so it cannot have been reused.
                    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                    return true;
                }
                thread::sleep(Duration::from_millis(2));
            }
            false
        }
    })?;
    let outcome = exchange(&mut server, addr, connections, &peaks, pid);
    stop.store(true, Ordering::Relaxed);
    let timed_out = sampler.join().unwrap_or(false);
    ensure!(
        !timed_out,
        "the {} server took longer than {limit:?}",
        model.id()
    );
    let (answers, wall) = outcome?;
    let status = server.child.wait()?;
    ensure!(
        status.success(),
        "the {} server failed ({status})",
        model.id()
    );

    let right = answers.iter().filter(|(ok, _)| *ok).count();
    let mut latencies: Vec<Duration> = answers.into_iter().map(|(_, t)| t).collect();
    latencies.sort_unstable();
    Ok(Served {
        model,
        connections,
        right,
        wall,
        latencies,
        memory: peaks.memory.load(Ordering::Relaxed),
        threads: peaks.threads.load(Ordering::Relaxed),
    })
}

/// Connects all N, waits until the server has accepted them all, samples it, then sends every
/// request at once and reads every answer. Returns each client's (right?, latency) and the
/// wall time of the exchange.
fn exchange(
    server: &mut ServerCopy,
    addr: SocketAddr,
    connections: usize,
    peaks: &Peaks,
    pid: u32,
) -> anyhow::Result<(Vec<(bool, Duration)>, Duration)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let streams = runtime.block_on(connect_all(addr, connections))?;
    let said = server.says()?;
    ensure!(said == "ready", "the server said {said:?}, not ready");
    // Every connection is open in the server now: its peak of threads is here.
    peaks.sample(pid);
    let start = Instant::now();
    let answers = runtime.block_on(async {
        let mut clients = tokio::task::JoinSet::new();
        for stream in streams {
            clients.spawn(ask(stream));
        }
        let mut answers = Vec::with_capacity(connections);
        while let Some(answer) = clients.join_next().await {
            answers.push(answer?);
        }
        anyhow::Ok(answers)
    })?;
    Ok((answers, start.elapsed()))
}

/// Opens all N connections at once.
async fn connect_all(addr: SocketAddr, connections: usize) -> anyhow::Result<Vec<TcpStream>> {
    let mut connecting = tokio::task::JoinSet::new();
    for _ in 0..connections {
        connecting.spawn(TcpStream::connect(addr));
    }
    let mut streams = Vec::with_capacity(connections);
    while let Some(stream) = connecting.join_next().await {
        streams.push(stream?.context("a client could not connect")?);
    }
    Ok(streams)
}

// ANCHOR: client
/// One client: send the request, read until the server closes, check the answer exactly.
async fn ask(mut stream: TcpStream) -> (bool, Duration) {
    let start = Instant::now();
    let answer = async {
        stream.write_all(REQUEST).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        io::Result::Ok(answer)
    }
    .await;
    (matches!(answer, Ok(a) if a == RESPONSE), start.elapsed())
}
// ANCHOR_END: client

/// The server's resident memory (`Pss`, in bytes) and threads, each summed over it and its
/// children (proc(5): `/proc/PID/smaps_rollup`, `/proc/PID/status`, and
/// `/proc/PID/task/TID/children`, the children the main thread forked). `None` once it is gone.
pub fn usage(pid: u32) -> Option<(u64, u64)> {
    let (mut memory, mut threads) = one_usage(pid)?;
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
        // A child may end between the listing and the reading: it then counts nothing.
        if let Some((m, t)) = one_usage(child) {
            memory += m;
            threads += t;
        }
    }
    Some((memory, threads))
}

fn one_usage(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |text: &str, name: &str| -> Option<u64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some((field(&rollup, "Pss")? * 1024, field(&status, "Threads")?))
}
