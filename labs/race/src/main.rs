#[cfg(target_os = "linux")]
use kit::cli::LabArgs;
#[cfg(target_os = "linux")]
use race::report::{Selection, mode_parser};
#[cfg(target_os = "linux")]
use std::process::ExitCode;

/// Several workers add one to a shared counter; count the updates that get lost.
#[cfg(target_os = "linux")]
#[derive(clap::Args, Debug)]
#[command(
    about,
    long_about = "Several workers (threads or processes) each add one to a shared counter many \
times. The racy modes load the counter, yield, and store what they loaded plus one: updates \
are lost, even though every access is atomic (a race condition, not a data race). The fixed \
modes (fetch_add, a Mutex, per-worker counters summed at the end) are exact. Workers start \
together and yield inside the read-modify-write, so the race shows on any machine, even with \
a single core."
)]
struct Args {
    /// Workers (threads or child processes) per mode.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
    workers: u32,

    /// Increments each worker makes.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    increments: u64,

    /// Which mode to run: `all`, or one mode's name.
    #[arg(long, default_value = "all", value_parser = mode_parser())]
    mode: Selection,
}

#[cfg(target_os = "linux")]
fn main() -> ExitCode {
    let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
    kit::lab::run(json, |progress| {
        race::report::run(args.mode, args.workers, args.increments, progress)
    })
}

/// Off Linux the lab is not compiled (it needs Linux's own interfaces): one line says so.
#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    kit::cli::linux_only(env!("CARGO_PKG_NAME"))
}
