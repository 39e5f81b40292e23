//! Many connections: N clients connect to a loopback server at once, each sends one request and
//! reads the answer the server writes after a short hold; only the server differs between runs.
//!
//! The server is the lab run again (`/proc/self/exe` with the hidden `--serve MODEL`), so
//! its memory and threads are its own and not the clients': the lab reads them from
//! `/proc/PID/status` (`Threads`) and `/proc/PID/smaps_rollup` (`Pss`), summed over the server
//! and its children for the process model (proc(5); Pss is the size that adds up over
//! processes that share pages, as in the memory-cost lab). Four server models:
//!
//! - **threads**: one OS thread per connection, blocked in recv(2) (std's `TcpStream::read`
//!   calls `recv`) and then in its sleep;
//! - **pool**: a fixed pool of threads (the CPUs by default), each serving one connection at a
//!   time while the others wait their turn in a queue;
//! - **processes**: one forked child per connection (`kit::Children`), at most
//!   [`MAX_PROCESSES`];
//! - **async**: one tokio task per connection on a multi-thread runtime with a few worker
//!   threads. An idle worker that gets the runtime's one I/O driver waits for all the sockets
//!   at once in epoll_wait(2) (epoll(7), through mio), the other idle ones on a condition
//!   variable (`Inner::park` in tokio's `runtime/scheduler/multi_thread/park.rs`); the workers
//!   poll only the tasks whose socket is ready.
//!
//! The clients are the same for every model: tokio tasks on one current-thread runtime in the
//! lab's own process. They connect all N first and wait until the server says it has accepted
//! all N, so every model holds N open connections at the same moment (the lab samples the
//! server's peak then and throughout), and only then send their requests. A client's latency
//! runs from sending its request to reading the whole answer; the throughput is N divided by the
//! time from the first request sent to the last answer read. Every answer is checked exact.
//!
//! N is a list (`--connections 100,1000,10000`): every model runs at every N, smallest first,
//! so the report shows how each model's cost grows with N. Before anything runs, the largest N
//! is checked against what the machine allows (see [`Flags::plan`]): open files
//! (RLIMIT_NOFILE, raised from the soft to the hard limit), tasks left (the pids controller,
//! `threads-max`) and memory. A model that cannot take an N (the process model past
//! [`MAX_PROCESSES`], the pool past [`POOL_LIMIT`]) is skipped at that N, with the reason.

pub mod client;
pub mod report;
pub mod server;

use clap::value_parser;
use kit::lab::{Outcome, Progress};
use kit::{Machine, Report};
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use std::time::Duration;

pub use report::{Connections, Skipped};

/// The most processes the process model forks: one per connection, all alive at once. Past
/// it the model is skipped for that N.
pub const MAX_PROCESSES: usize = 2000;
/// The N the `--json` run sweeps by default (`cargo book measure` runs it so): the sizes the
/// page's charts show, a decade apart, so each model's growth with N is plain.
pub const DEFAULT_CONNECTIONS: [usize; 3] = [100, 1000, 10_000];
/// The N the readable run sweeps by default: without 10 000, whose fixed pool alone waits
/// N × hold / pool threads (25 s on two CPUs at the default hold), so the report comes in
/// seconds; `--connections 100,1000,10000` runs the full sweep.
pub const DEFAULT_READABLE_CONNECTIONS: [usize; 2] = [100, 1000];
/// The most values one `--connections` list may hold: each N runs every model once.
pub const MAX_SIZES: usize = 5;
/// The largest N.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Open files each process needs beyond one socket per connection: the standard streams, the
/// pipe to the server, the runtime's epoll and eventfd descriptors, a `/proc` file being read.
pub const SPARE_FILES: u64 = 24;
/// The longest the fixed pool may be planned to take (N × hold / pool threads), so that no
/// choice of flags starts a run that takes an hour; past it the pool is skipped for that N.
pub const POOL_LIMIT: Duration = Duration::from_secs(120);

/// How the server serves its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// One OS thread per connection.
    Threads,
    /// A fixed pool of threads.
    Pool,
    /// One forked process per connection.
    Processes,
    /// One tokio task per connection on a multi-thread runtime.
    Async,
}

impl Model {
    pub const ALL: [Model; 4] = [Model::Threads, Model::Pool, Model::Processes, Model::Async];

    /// The id in `--json` records (`io-bound/connections/<id>/…`) and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Model::Threads => "threads",
            Model::Pool => "pool",
            Model::Processes => "processes",
            Model::Async => "async",
        }
    }

    /// How the report names the model.
    pub fn label(self) -> &'static str {
        match self {
            Model::Threads => "a thread per connection",
            Model::Pool => "a fixed thread pool",
            Model::Processes => "a process per connection",
            Model::Async => "async tasks (tokio)",
        }
    }

    /// A generous guess at the resident memory one connection costs the server, to refuse an
    /// N the machine cannot hold before trying: a thread's touched stack and kernel stack, a
    /// forked child's own page tables and written pages.
    fn bytes_per_connection(self) -> u64 {
        match self {
            Model::Threads => 256 << 10,
            Model::Pool | Model::Async => 16 << 10,
            Model::Processes => 4 << 20,
        }
    }
}

/// The values of `--connections`: ascending, without repeats, each N in 1..=10000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sizes(pub Vec<usize>);

impl Sizes {
    /// Parses `100,1000,10000`: at most [`MAX_SIZES`] values, each 1..=10000, given in
    /// ascending order (a repeat is dropped). The error is the one line clap prints.
    pub fn parse(text: &str) -> Result<Sizes, String> {
        let mut sizes: Vec<usize> = Vec::new();
        for part in text.split(',') {
            let n: usize = part.trim().parse().map_err(|_| {
                format!("{part:?} is not a number: give N or a list such as 100,1000,10000")
            })?;
            if !(1..=MAX_CONNECTIONS).contains(&n) {
                return Err(format!("{n} is not in 1..={MAX_CONNECTIONS}"));
            }
            match sizes.last() {
                Some(&last) if n == last => continue,
                Some(&last) if n < last => {
                    return Err(format!("{n} comes after {last}: give the values ascending"));
                }
                _ => sizes.push(n),
            }
        }
        if sizes.len() > MAX_SIZES {
            return Err(format!(
                "{} values, at most {MAX_SIZES}: each N runs every model once",
                sizes.len()
            ));
        }
        Ok(Sizes(sizes))
    }

    /// The largest N, the one every limit is checked against.
    pub fn largest(&self) -> usize {
        self.0.last().copied().unwrap_or(1)
    }
}

/// The many-connections flags, flattened into the lab's own.
#[derive(clap::Args, Debug, Clone)]
pub struct Flags {
    /// Many connections: run only this mode, once for each N of the list (ascending, each 1 to 10000, at most 5), each time with N clients connected at once [default: 100,1000,10000 with --json, 100,1000 without: the full sweep takes about half a minute, most of it the fixed pool's 10000 waits]
    #[arg(long, value_name = "N,…", value_parser = Sizes::parse)]
    pub connections: Option<Sizes>,
    /// Many connections: run only this mode, with this server model (default: all four)
    #[arg(long, value_name = "MODEL", value_enum)]
    pub server: Option<Model>,
    /// Many connections: how long the server waits on each request before answering (a sleep, like a query to a database)
    #[arg(long, value_name = "MS", default_value_t = 5,
          value_parser = value_parser!(u64).range(1..=10_000))]
    pub hold_ms: u64,
    /// Many connections: threads in the fixed pool [default: the CPUs]
    #[arg(long, value_name = "T", value_parser = value_parser!(u32).range(1..=1024))]
    pub pool_threads: Option<u32>,
    /// Internal: be the server of one model for N connections (the lab runs itself so)
    #[arg(long, hide = true, value_enum, requires = "connections")]
    pub serve: Option<Model>,
}

/// What to run, checked against the machine.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The N to run, ascending.
    pub connections: Vec<usize>,
    pub models: Vec<Model>,
    pub hold: Duration,
    pub pool_threads: usize,
    /// Whether only this mode runs (`--connections` or `--server` was given).
    pub only: bool,
}

impl Flags {
    /// The server copy's whole life, when this process is one (`--serve`): `Some` exit code.
    pub fn serve_if_asked(&self) -> Option<std::process::ExitCode> {
        let model = self.serve?;
        let connections = self.connections.as_ref().map_or(1, Sizes::largest);
        let (hold, pool) = (Duration::from_millis(self.hold_ms), self.pool_threads());
        Some(kit::cli::run(|| {
            server::serve(model, connections, hold, pool)
        }))
    }

    fn pool_threads(&self) -> usize {
        self.pool_threads.map_or_else(cpus, |t| t as usize)
    }

    /// The plan, or a one-line usage error (exit status 2) naming the limit that N exceeds.
    /// `json` picks the default N list. Raises this process's soft RLIMIT_NOFILE to its hard
    /// limit; the server inherits it.
    pub fn plan(&self, json: bool) -> Plan {
        let default = if json {
            DEFAULT_CONNECTIONS.to_vec()
        } else {
            DEFAULT_READABLE_CONNECTIONS.to_vec()
        };
        let plan = Plan {
            connections: self.connections.as_ref().map_or(default, |s| s.0.clone()),
            models: self.server.map_or_else(|| Model::ALL.to_vec(), |m| vec![m]),
            hold: Duration::from_millis(self.hold_ms),
            pool_threads: self.pool_threads(),
            only: self.connections.is_some() || self.server.is_some(),
        };
        if let Err(refusal) = plan.check() {
            kit::cli::usage_error(refusal);
        }
        plan
    }
}

/// The CPUs this process may run on: the async runtime's and the pool's default size.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Plan {
    /// Why `model` cannot take `n` connections, if it cannot: the run skips it for that N
    /// and says why, rather than fail.
    pub fn skip(&self, model: Model, n: usize) -> Option<String> {
        match model {
            Model::Processes if n > MAX_PROCESSES => Some(format!(
                "the process model forks one process per connection, at most {MAX_PROCESSES}"
            )),
            Model::Pool if self.pool_time(n) > POOL_LIMIT => Some(format!(
                "N × hold / pool threads = {} s, past the pool's limit of {} s",
                self.pool_time(n).as_secs(),
                POOL_LIMIT.as_secs()
            )),
            _ => None,
        }
    }

    /// How long the fixed pool stays busy with `n` connections: N × hold / its threads.
    fn pool_time(&self, n: usize) -> Duration {
        self.hold * n.div_ceil(self.pool_threads) as u32
    }

    /// The models that run at `n`.
    fn runs(&self, n: usize) -> impl Iterator<Item = Model> + '_ {
        self.models
            .iter()
            .copied()
            .filter(move |&m| self.skip(m, n).is_none())
    }

    /// Why the machine cannot run this plan, in one line; raises the open-file limit first.
    /// Every limit is checked at the largest N a model runs at, before anything runs.
    pub fn check(&self) -> Result<(), String> {
        if !self
            .connections
            .iter()
            .any(|&n| self.runs(n).next().is_some())
        {
            let n = self.connections.last().copied().unwrap_or(0);
            let why = self
                .models
                .iter()
                .filter_map(|&m| self.skip(m, n))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(format!(
                "--connections {}: no model can run at any N ({why}); connect fewer clients or \
                 pick another --server",
                self.list()
            ));
        }
        let n = self.largest_run();
        let need = n as u64 + SPARE_FILES;
        let (soft, hard) = raise_open_file_limit().map_err(|e| format!("RLIMIT_NOFILE: {e}"))?;
        if soft < need {
            return Err(format!(
                "--connections {n} needs {need} open files in the clients' process and as many \
                 in the server's (one socket per connection, plus {SPARE_FILES}), but \
                 RLIMIT_NOFILE allows {soft} (hard limit {hard}): raise it with `ulimit -n {need}` \
                 or connect fewer clients"
            ));
        }
        // The most tasks and bytes any one run needs, over every N and model that runs.
        let tasks = |m: Model, n: usize| match m {
            Model::Threads | Model::Processes => n as u64,
            Model::Pool => self.pool_threads as u64,
            Model::Async => cpus() as u64,
        };
        let runs = || {
            self.connections
                .iter()
                .rev()
                .flat_map(move |&n| self.runs(n).map(move |m| (m, n)))
        };
        let (m, n) = runs()
            .max_by_key(|&(m, n)| tasks(m, n))
            .unwrap_or((Model::Async, 1));
        let most_tasks = tasks(m, n) + 64;
        if let Some(left) = kit::machine::processes_left()
            && left < most_tasks
        {
            return Err(format!(
                "--connections {n} needs {most_tasks} more threads or processes, but the pids \
                 limit (cgroup pids.max or kernel threads-max) leaves {left}; connect fewer clients"
            ));
        }
        let bytes = |m: Model, n: usize| m.bytes_per_connection() * n as u64;
        let (m, n) = runs()
            .max_by_key(|&(m, n)| bytes(m, n))
            .unwrap_or((Model::Async, 1));
        let most_bytes = bytes(m, n);
        if let Ok(available) = kit::machine::mem_available_bytes()
            && most_bytes > available / 2
        {
            return Err(format!(
                "--connections {n} may need {} of memory in the server, more than half of the \
                 {} MemAvailable; connect fewer clients",
                kit::table::bytes(most_bytes as f64),
                kit::table::bytes(available as f64)
            ));
        }
        Ok(())
    }

    /// The largest N that some model runs at.
    fn largest_run(&self) -> usize {
        self.connections
            .iter()
            .rev()
            .copied()
            .find(|&n| self.runs(n).next().is_some())
            .unwrap_or(1)
    }

    /// The N list as given on the command line.
    fn list(&self) -> String {
        let ns: Vec<String> = self.connections.iter().map(usize::to_string).collect();
        ns.join(",")
    }
}

/// Raises the soft limit on open files to the hard limit (setrlimit(2): an unprivileged
/// process may raise its soft limit up to its hard limit). Returns `(soft, hard)` after.
pub fn raise_open_file_limit() -> nix::Result<(u64, u64)> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    }
    getrlimit(Resource::RLIMIT_NOFILE)
}

/// Runs every model of the plan at every N, smallest N first, each against a fresh server;
/// a model that cannot take an N is skipped for it, with the reason.
pub fn run(plan: &Plan, progress: &Progress) -> anyhow::Result<Connections> {
    let mut served = Vec::new();
    let mut skipped = Vec::new();
    for &n in &plan.connections {
        for &model in &plan.models {
            if let Some(reason) = plan.skip(model, n) {
                progress.show(format_args!(
                    "skipped: {} at N = {n}: {reason}",
                    model.label()
                ));
                skipped.push(Skipped {
                    model,
                    connections: n,
                    reason,
                });
                continue;
            }
            progress.show(format_args!(
                "{n} clients at once against {}",
                model.label()
            ));
            served.push(client::measure(model, n, plan.hold, plan.pool_threads)?);
        }
    }
    Ok(Connections {
        connections: plan.connections.clone(),
        hold: plan.hold,
        pool_threads: plan.pool_threads,
        served,
        skipped,
    })
}

/// Two outcomes as one: the lab's usual modes, then many connections. The `--json` report
/// holds both's records; the readable report shows one after the other.
pub struct Both<A, B>(pub A, pub B);

impl<A: Outcome> Outcome for Both<A, Connections> {
    fn report(&self) -> Report {
        let mut report = self.0.report();
        for record in self.1.report().records {
            report.push(record);
        }
        report
    }

    fn render(&self, machine: &Machine) -> String {
        format!("{}\n{}", self.0.render(machine), self.1.body())
    }

    fn check(&self) -> anyhow::Result<()> {
        self.0.check()?;
        self.1.check()
    }
}
