//! Independent baselines for the primitives the labs measure, taken in the same run so that a
//! lab's figure can be set beside one that no Rust code and no harness touched.
//!
//! Two sources:
//! - `primitives.c`, the project's own small C program ([`Creation`] and the pipe
//!   [`PingPong`]): each primitive timed with `clock_gettime(CLOCK_MONOTONIC)` around the bare
//!   calls. The creation kinds are timed one round at a time, like spawn-cost; the ping-pong in
//!   batches of [`BATCH`] round trips, pinned the way context-switch pins ([`cpus_for`]);
//! - `perf bench sched pipe` ([`Perf`]), the kernel's own pipe ping-pong, when `perf` is on
//!   `PATH` and runs. A missing or failing perf skips its records with one line saying why.
//!
//! Every process kind is measured before this process makes its first thread: glibc takes
//! extra locks around `fork` once a process has had a second thread (fork(2) in a
//! multi-threaded process; glibc's `__libc_single_threaded` never goes back to true), and
//! spawn-cost likewise never forks in a process that has made threads. So [`collect`] runs
//! fork, vfork, posix_spawn and the process ping-pong first, then the thread kinds, then perf
//! (a separate program).

use anyhow::bail;
use kit::Summary;
use std::ffi::{CStr, c_char, c_int};
use std::io::ErrorKind;

pub mod report;

/// The crate's name: the prefix of every record id, and the results file's name.
pub const LAB: &str = "baseline";

/// Round trips per timed ping-pong batch, as in the context-switch lab: the clock is read
/// twice per batch, not per round trip.
pub const BATCH: usize = 100;

/// How many times `perf bench sched pipe` runs per mode: each run prints one figure.
pub const PERF_RUNS: usize = 5;

/// The C functions of `primitives.c`. Each fills `ns[0..n]` and returns 0, or returns -1 with
/// a NUL-terminated line in `err[0..len]`.
mod ffi {
    use std::ffi::{c_char, c_int};
    unsafe extern "C" {
        pub fn bl_pthread(ns: *mut f64, n: usize, err: *mut c_char, len: usize) -> c_int;
        pub fn bl_fork(ns: *mut f64, n: usize, err: *mut c_char, len: usize) -> c_int;
        pub fn bl_vfork(ns: *mut f64, n: usize, err: *mut c_char, len: usize) -> c_int;
        pub fn bl_posix_spawn(ns: *mut f64, n: usize, err: *mut c_char, len: usize) -> c_int;
        /// Returns how many CPUs it wrote to `cpus`, or -1.
        pub fn bl_allowed_cpus(cpus: *mut c_int, max: c_int, err: *mut c_char, len: usize)
        -> c_int;
        pub fn bl_pipe_ping_pong(
            as_process: c_int,
            ping_cpu: c_int,
            pong_cpu: c_int,
            ns: *mut f64,
            n: usize,
            batch: usize,
            err: *mut c_char,
            len: usize,
        ) -> c_int;
    }
}

/// Calls a C function with an error buffer; its -1 becomes an error with the C side's line.
fn checked(name: &str, call: impl FnOnce(*mut c_char, usize) -> c_int) -> anyhow::Result<c_int> {
    let mut err = [0 as c_char; 256];
    let rc = call(err.as_mut_ptr(), err.len());
    if rc < 0 {
        // The C side always writes a NUL-terminated line (snprintf) before returning -1; the
        // buffer starts zeroed, so it is terminated even if it did not.
        let line = CStr::from_bytes_until_nul(as_bytes(&err))
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default();
        bail!("{name}: {line}");
    }
    Ok(rc)
}

/// The error buffer as bytes (`c_char` is `i8` or `u8` depending on the target).
fn as_bytes(buf: &[c_char]) -> &[u8] {
    // SAFETY: c_char and u8 have the same size and alignment, and every bit pattern is a
    // valid u8; the slice's length and lifetime are the input's.
    unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), buf.len()) }
}

/// The four ways of creating something that runs, each waited for until it has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    Fork,
    Vfork,
    PosixSpawn,
    Pthread,
}

impl Creation {
    /// In the order they are measured: processes before the first thread.
    pub const ALL: [Creation; 4] = [
        Creation::Fork,
        Creation::Vfork,
        Creation::PosixSpawn,
        Creation::Pthread,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Creation::Fork => "fork",
            Creation::Vfork => "vfork",
            Creation::PosixSpawn => "posix-spawn",
            Creation::Pthread => "pthread",
        }
    }

    /// `baseline/c/fork`.
    pub fn id(self) -> String {
        format!("{LAB}/c/{}", self.name())
    }

    /// Exactly what one timed round does.
    pub fn how(self) -> &'static str {
        match self {
            Creation::Fork => "fork, the child calls _exit(0) at once, the parent waitpid",
            Creation::Vfork => {
                "vfork (the parent is suspended while the child borrows its memory), the \
                 child calls _exit(0) at once, the parent waitpid"
            }
            Creation::PosixSpawn => {
                "posix_spawn of /bin/true (no file actions, default attributes, empty \
                 environment), then waitpid"
            }
            Creation::Pthread => "pthread_create of a thread that returns at once, pthread_join",
        }
    }

    /// Times `n` rounds, one sample each in ns, after a few untimed ones.
    pub fn time(self, n: usize) -> anyhow::Result<Vec<f64>> {
        let f = match self {
            Creation::Fork => ffi::bl_fork,
            Creation::Vfork => ffi::bl_vfork,
            Creation::PosixSpawn => ffi::bl_posix_spawn,
            Creation::Pthread => ffi::bl_pthread,
        };
        let mut ns = vec![0.0; n];
        // SAFETY: `ns` has room for `n` samples and the error buffer for `len` bytes; the C
        // function writes only within them and keeps no pointer after it returns.
        checked(self.name(), |err, len| unsafe {
            f(ns.as_mut_ptr(), n, err, len)
        })?;
        Ok(ns)
    }
}

/// Who the other side of the ping-pong is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Between {
    Processes,
    Threads,
}

/// Where the two sides run, as in the context-switch lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both pinned to the first allowed CPU: every handoff is a context switch.
    SameCpu,
    /// Pinned to the first two allowed CPUs: every handoff wakes the other CPU's side.
    TwoCpus,
}

/// The CPUs ping and pong are pinned to, from the allowed ones: the first CPU twice, or the
/// first two (the context-switch lab's `cpus_for`). `None` when two are needed and there is one.
pub fn cpus_for(placement: Placement, allowed: &[usize]) -> Option<(usize, usize)> {
    match (placement, allowed) {
        (Placement::SameCpu, [first, ..]) => Some((*first, *first)),
        (Placement::TwoCpus, [first, second, ..]) => Some((*first, *second)),
        _ => None,
    }
}

/// The CPUs this thread may run on (sched_getaffinity(2)).
pub fn allowed_cpus() -> anyhow::Result<Vec<usize>> {
    let mut cpus = [0 as c_int; 1024];
    // SAFETY: `cpus` has room for `max` entries and the error buffer for `len` bytes.
    let count = checked("allowed CPUs", |err, len| unsafe {
        ffi::bl_allowed_cpus(cpus.as_mut_ptr(), cpus.len() as c_int, err, len)
    })?;
    Ok(cpus[..count as usize].iter().map(|&c| c as usize).collect())
}

/// A one-byte pipe ping-pong between two threads or two processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingPong {
    pub between: Between,
    pub placement: Placement,
}

impl PingPong {
    /// Processes first (see the module docs), each on one CPU and then on two.
    pub const ALL: [PingPong; 4] = [
        PingPong::new(Between::Processes, Placement::SameCpu),
        PingPong::new(Between::Processes, Placement::TwoCpus),
        PingPong::new(Between::Threads, Placement::SameCpu),
        PingPong::new(Between::Threads, Placement::TwoCpus),
    ];

    pub const fn new(between: Between, placement: Placement) -> Self {
        Self { between, placement }
    }

    /// `baseline/c/pipe-threads-same-cpu`.
    pub fn id(self) -> String {
        let between = match self.between {
            Between::Threads => "threads",
            Between::Processes => "processes",
        };
        let placement = match self.placement {
            Placement::SameCpu => "same-cpu",
            Placement::TwoCpus => "two-cpus",
        };
        format!("{LAB}/c/pipe-{between}-{placement}")
    }

    /// Pins the calling thread (ping) to `cpus.0` and pong to `cpus.1`, then times `batches`
    /// batches of [`BATCH`] round trips: one sample per batch, in ns per round trip. The
    /// calling thread's CPU mask is restored afterwards.
    pub fn time(self, cpus: (usize, usize), batches: usize) -> anyhow::Result<Vec<f64>> {
        let mut ns = vec![0.0; batches];
        let as_process = c_int::from(self.between == Between::Processes);
        // SAFETY: `ns` has room for `batches` samples and the error buffer for `len` bytes;
        // the C function joins or reaps pong before it returns and keeps no pointer.
        checked(&self.id(), |err, len| unsafe {
            ffi::bl_pipe_ping_pong(
                as_process,
                cpus.0 as c_int,
                cpus.1 as c_int,
                ns.as_mut_ptr(),
                batches,
                BATCH,
                err,
                len,
            )
        })?;
        Ok(ns)
    }
}

/// `perf bench sched pipe`: the two modes of tools/perf/bench/sched-pipe.c.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perf {
    /// The default: the main process forks a child, and the two ping-pong.
    Processes,
    /// `-T`: two new threads ping-pong while the main thread waits in pthread_join.
    Threads,
}

impl Perf {
    pub const ALL: [Perf; 2] = [Perf::Processes, Perf::Threads];

    /// `baseline/perf/pipe-processes`.
    pub fn id(self) -> String {
        match self {
            Perf::Processes => format!("{LAB}/perf/pipe-processes"),
            Perf::Threads => format!("{LAB}/perf/pipe-threads"),
        }
    }

    /// What one of perf's "ops" is, read from tools/perf/bench/sched-pipe.c: one iteration of
    /// `worker_thread`'s loop, where one side writes a 4-byte int and reads the answer and the
    /// other reads it and writes it back. gettimeofday brackets the whole run, fork (or
    /// pthread_create) and waitpid (or pthread_join) included, divided by the loop count.
    pub fn how(self, loops: usize) -> String {
        let between = match self {
            Perf::Processes => "between two processes (fork), the fork and waitpid included",
            Perf::Threads => {
                "between two new threads (-T), their pthread_create and pthread_join included"
            }
        };
        format!(
            "perf bench sched pipe: one op, a round trip of a 4-byte int each way through two \
             pipes, {between}; neither side pinned; total wall time (gettimeofday) of {loops} \
             loops divided by {loops}, one sample per run"
        )
    }

    fn args(self, loops: usize) -> Vec<String> {
        let mut args = vec!["bench", "sched", "pipe", "-l"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        args.push(loops.to_string());
        if self == Perf::Threads {
            args.push("-T".into());
        }
        args
    }

    /// Runs perf `runs` times with `loops` round trips each; one sample per run, in ns per
    /// op. `Err` says in one line why perf gave no figure (not installed, not runnable here,
    /// output not understood).
    pub fn time(self, loops: usize, runs: usize) -> Result<Vec<f64>, String> {
        let args = self.args(loops);
        let shown = format!("perf {}", args.join(" "));
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let output = match kit::command::command("perf").args(&args).output() {
                Ok(output) => output,
                Err(err) if err.kind() == ErrorKind::NotFound => {
                    return Err("perf is not on PATH".into());
                }
                Err(err) => return Err(format!("`{shown}` could not start: {err}")),
            };
            let stdout = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let why = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
                return Err(format!("`{shown}` failed ({}): {why}", output.status));
            }
            let Some(usecs) = parse_usecs_per_op(&stdout) else {
                return Err(format!("`{shown}` printed no `usecs/op` line"));
            };
            samples.push(usecs * 1000.0);
        }
        Ok(samples)
    }
}

/// The figure in perf's `      5.123456 usecs/op` line.
pub fn parse_usecs_per_op(stdout: &str) -> Option<f64> {
    stdout.lines().find_map(|line| {
        let value = line.trim().strip_suffix("usecs/op")?;
        value.trim().parse().ok().filter(|v: &f64| *v > 0.0)
    })
}

/// One baseline, measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub id: String,
    pub what: String,
    /// One sample per round (creation), batch (C ping-pong) or run (perf), in ns.
    pub samples: Vec<f64>,
}

impl Measured {
    pub fn summary(&self) -> Summary {
        Summary::of(&self.samples).expect("at least one sample")
    }
}

/// Everything measured, and what was skipped with why.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub runs: usize,
    pub measured: Vec<Measured>,
    /// One line per baseline this machine could not measure.
    pub skipped: Vec<String>,
}

impl Results {
    /// The median of a record, if it was measured.
    pub fn median(&self, id: &str) -> Option<f64> {
        self.measured
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.summary().median)
    }
}

/// What [`collect`] is about to measure, for a progress line.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    C(&'a str),
    Perf(Perf),
}

/// One C measurement.
#[derive(Debug, Clone, Copy)]
enum CStep {
    Create(Creation),
    PingPong(PingPong),
}

/// The C measurements in the order they run: every process kind before this process has
/// ever had a second thread (see the module docs).
const C_ORDER: [CStep; 8] = [
    CStep::Create(Creation::Fork),
    CStep::Create(Creation::Vfork),
    CStep::Create(Creation::PosixSpawn),
    CStep::PingPong(PingPong::new(Between::Processes, Placement::SameCpu)),
    CStep::PingPong(PingPong::new(Between::Processes, Placement::TwoCpus)),
    CStep::Create(Creation::Pthread),
    CStep::PingPong(PingPong::new(Between::Threads, Placement::SameCpu)),
    CStep::PingPong(PingPong::new(Between::Threads, Placement::TwoCpus)),
];

/// Measures every baseline, `runs` samples each from C (rounds, or batches of [`BATCH`]
/// round trips) and [`PERF_RUNS`] perf runs of `runs` × [`BATCH`] loops; `progress` is called
/// before each. The order is explained in the module docs.
pub fn collect(runs: usize, mut progress: impl FnMut(Step<'_>)) -> anyhow::Result<Results> {
    let mut results = Results {
        runs,
        ..Results::default()
    };
    let allowed = allowed_cpus()?;
    let creation = |kind: Creation, progress: &mut dyn FnMut(Step<'_>)| {
        progress(Step::C(kind.name()));
        anyhow::Ok(Measured {
            id: kind.id(),
            what: format!(
                "C: {}; one round timed with clock_gettime(CLOCK_MONOTONIC)",
                kind.how()
            ),
            samples: kind.time(runs)?,
        })
    };
    let ping_pong = |p: PingPong, progress: &mut dyn FnMut(Step<'_>)| {
        let Some(cpus) = cpus_for(p.placement, &allowed) else {
            return anyhow::Ok(Err(format!(
                "{}: this process may run on one CPU only ({allowed:?})",
                p.id()
            )));
        };
        progress(Step::C(&p.id()));
        let between = match p.between {
            Between::Threads => "thread to thread",
            Between::Processes => "process to process (fork)",
        };
        let pinned = match p.placement {
            Placement::SameCpu => format!("both pinned to CPU {}", cpus.0),
            Placement::TwoCpus => format!("pinned to CPUs {} and {}", cpus.0, cpus.1),
        };
        Ok(Ok(Measured {
            id: p.id(),
            what: format!(
                "C: one round trip of one byte each way through two pipes, {between}, \
                 {pinned}; the mean of a batch of {BATCH}, timed with \
                 clock_gettime(CLOCK_MONOTONIC)"
            ),
            samples: p.time(cpus, runs)?,
        }))
    };
    for step in C_ORDER {
        match step {
            CStep::Create(kind) => results.measured.push(creation(kind, &mut progress)?),
            CStep::PingPong(p) => match ping_pong(p, &mut progress)? {
                Ok(m) => results.measured.push(m),
                Err(why) => results.skipped.push(why),
            },
        }
    }
    // One line for perf as a whole: a perf that cannot run one mode cannot run the other.
    let loops = runs * BATCH;
    for mode in Perf::ALL {
        progress(Step::Perf(mode));
        match mode.time(loops, PERF_RUNS) {
            Ok(samples) => results.measured.push(Measured {
                id: mode.id(),
                what: mode.how(loops),
                samples,
            }),
            Err(why) => {
                results.skipped.push(format!("{LAB}/perf/*: {why}"));
                break;
            }
        }
    }
    Ok(results)
}
