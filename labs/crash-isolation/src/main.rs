// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use crash_isolation::{Crash, main_crash_main, thread_crash_main};
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    use std::time::Duration;

    /// Interview gotcha: what happens to the process when a thread panics?
    ///
    /// 1. In this process, a worker thread panics while holding a Mutex: the process keeps running,
    ///    join returns Err with the panic payload, and the Mutex is poisoned (lock() returns Err;
    ///    PoisonError::into_inner still reaches the half-updated data).
    ///
    /// 2. In a child process (the lab re-executes itself), one thread panics, raises SIGSEGV, or
    ///    calls std::process::abort(), while a witness thread waits --witness-ms and then prints a
    ///    line. After a panic the line appears; after SIGSEGV or SIGABRT the whole child is dead,
    ///    witness included.
    ///
    /// 3. A single-threaded child process crashes (SIGSEGV, then SIGABRT): waitpid names the signal
    ///    and the parent carries on.
    ///
    /// 4. In a child process, the main thread itself panics, raises SIGSEGV, or aborts, while a
    ///    witness thread waits: every case ends the whole child, but a panic in main ends it with
    ///    exit status 101, not by a signal (the Rust runtime catches it).
    ///
    /// Every crashing process turns core dumps off first, so no core file is left behind.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// How long the witness thread waits, once it has let the crasher go, before printing its
        /// line, in milliseconds (with a very short wait it can print before the crash lands)
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        witness_ms: u64,
        /// Internal: be the child in which one thread crashes (the lab re-executes itself).
        #[arg(long, hide = true, value_enum)]
        crash_in_thread: Option<Crash>,
        /// Internal: be the child whose main thread crashes (the lab re-executes itself).
        #[arg(long, hide = true, value_enum, conflicts_with = "crash_in_thread")]
        crash_in_main: Option<Crash>,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let witness_wait = Duration::from_millis(args.witness_ms);
        if let Some(how) = args.crash_in_thread {
            // We are the re-executed child: crash one thread, and see who survives. If the lab is
            // killed meanwhile, this child goes with it instead of waiting out its witness
            // (PR_SET_PDEATHSIG, prctl(2)); the window before this call is a few instructions.
            let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
            return kit::cli::run(|| thread_crash_main(how, witness_wait));
        }
        if let Some(how) = args.crash_in_main {
            // The same, for a crash on the main thread. A panic unwinds out of `main` past
            // `kit::cli::run`, which catches only errors, into the Rust runtime.
            let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
            return kit::cli::run(|| main_crash_main(how, witness_wait));
        }
        kit::lab::run(json, |progress| {
            crash_isolation::report::run(witness_wait, progress)
        })
    }
}
