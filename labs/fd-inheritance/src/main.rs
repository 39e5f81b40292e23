// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use fd_inheritance::{probe_main, worker_main};
    use kit::cli::LabArgs;
    use std::os::fd::RawFd;
    use std::process::ExitCode;

    /// Interview gotcha: what does a child inherit?
    ///
    /// Two pipes, both opened the way Rust's standard library opens everything: close-on-exec
    /// (O_CLOEXEC). On the second the lab clears the flag with fcntl. A forked child can use both
    /// write ends, which it never opened. A program executed by a child (this lab again, with a
    /// hidden flag) lists its /proc/self/fd and writes through what it has: only the pipe without
    /// close-on-exec survived exec.
    ///
    /// Then a pre-fork server: one listening TCP socket on 127.0.0.1 (a free port), --workers
    /// worker processes (this lab again, the socket inherited, its number in an environment
    /// variable), each accepting on it from --threads threads. A client sends --requests requests;
    /// every answer names the worker pid and thread that served it. The workers are stopped and
    /// reaped at the end, and the port is checked to be free again.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Worker processes of the pre-fork server.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=16))]
        workers: u32,
        /// Accepting threads in each worker.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
        threads: u32,
        /// Requests the client sends, one connection each.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        requests: u32,
        /// Internal: be the exec'd program that reports which of these descriptors it has.
        #[arg(long, hide = true, value_delimiter = ',')]
        probe_fds: Option<Vec<RawFd>>,
        /// Internal: be a worker of the pre-fork server.
        #[arg(long, hide = true)]
        worker: bool,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        if let Some(fds) = &args.probe_fds {
            return kit::cli::run(|| probe_main(fds));
        }
        if args.worker {
            return kit::cli::run(|| worker_main(args.threads as usize));
        }
        let (workers, threads) = (args.workers as usize, args.threads as usize);
        kit::lab::run(json, |progress| {
            fd_inheritance::report::run(workers, threads, args.requests as usize, progress)
        })
    }
}
