// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use ipc::Settings;
    use ipc::report::BATCH;
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    /// Latency and throughput of a pipe, a Unix socket, shared memory and std's mpsc.
    ///
    /// Latency: one side sends a small message, the other sends it back, --round-trips times.
    /// Throughput: one side streams --messages messages of --message-kib KiB, the other reads them
    /// and checks every byte with a checksum; --runs runs. The pipe, the Unix domain socket
    /// (UnixStream::pair) and the shared-memory ring (a MAP_SHARED mapping with one ring per
    /// direction) connect a parent and a forked child; std::sync::mpsc connects two threads of one
    /// process, the in-process baseline.
    #[derive(clap::Args, Debug)]
    #[command(name = "ipc")]
    struct Args {
        /// Bytes per latency message (at least 8: each message carries its number)
        #[arg(long, value_name = "BYTES", default_value_t = 64,
              value_parser = value_parser!(u32).range(8..=1_048_576))]
        message_bytes: u32,

        /// Timed round trips per transport (rounded up to a whole batch of 100)
        #[arg(long, value_name = "N", default_value_t = 20_000,
              value_parser = value_parser!(u64).range(1..=10_000_000))]
        round_trips: u64,

        /// KiB per streamed message
        #[arg(long, value_name = "KIB", default_value_t = 1024,
              value_parser = value_parser!(u32).range(1..=65_536))]
        message_kib: u32,

        /// Messages per streaming run
        #[arg(long, value_name = "N", default_value_t = 64,
              value_parser = value_parser!(u64).range(1..=1_000_000))]
        messages: u64,

        /// Streaming runs per transport
        #[arg(long, value_name = "N", default_value_t = 10,
              value_parser = value_parser!(u64).range(1..=1000))]
        runs: u64,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let settings = Settings {
            small: args.message_bytes as usize,
            round_trips: args.round_trips,
            batch: BATCH.min(args.round_trips),
            large: args.message_kib as usize * 1024,
            messages: args.messages,
            runs: args.runs,
        };
        kit::lab::run(json, |progress| ipc::report::run(settings, progress))
    }
}
