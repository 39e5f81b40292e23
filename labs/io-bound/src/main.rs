// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    use std::time::Duration;

    /// Fetch K slow resources one after another, with K threads, with K processes, and with K async
    /// tasks on one thread; then serve N clients at once four ways.
    ///
    /// The lab starts its own server on 127.0.0.1 (nothing leaves the machine) that waits
    /// --delay-ms before answering each request. Waiting uses no CPU, so K threads, K processes or
    /// K tasks can all wait at once: they should take about one delay in total, where fetching one
    /// after another takes K delays. What the concurrent modes take beyond one delay is mostly the
    /// cost of creating K threads, forking K processes or spawning K tasks.
    ///
    /// Many connections (--connections, --server): N clients against a server with a thread per
    /// connection, a fixed pool of threads, a process per connection, or async tasks, once for each
    /// N of a list (a sweep, such as 100,1000,10000); the report gives each server's throughput,
    /// latency percentiles, resident memory and threads at each N, so how each grows with N shows.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// How many resources to fetch (K)
        #[arg(long, value_name = "K", default_value_t = 16,
              value_parser = value_parser!(u32).range(1..=256))]
        requests: u32,
        /// How long the server waits before each answer, in milliseconds
        #[arg(long, value_name = "MS", default_value_t = 100,
              value_parser = value_parser!(u64).range(1..=2000))]
        delay_ms: u64,
        #[command(flatten)]
        many: io_bound::connections::Flags,
        #[command(flatten)]
        timeline: kit::cli::TimelineArg,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        if let Some(server_copy) = args.many.serve_if_asked() {
            return server_copy;
        }
        // Many connections: checked against the machine's limits before anything runs.
        let many = args.many.plan(json);
        if many.only {
            if args.timeline.timeline.is_some() {
                kit::cli::usage_error(
                    "--timeline draws the fetches' timelines, which a run with only \
                     --connections or --server does not make",
                );
            }
            return kit::lab::run(json, |progress| io_bound::connections::run(&many, progress));
        }
        kit::lab::run_with_timeline(json, &args.timeline, |progress, timelines| {
            let delay = Duration::from_millis(args.delay_ms);
            let fetched =
                io_bound::report::run(args.requests as usize, delay, timelines, progress)?;
            let connections = io_bound::connections::run(&many, progress)?;
            Ok(io_bound::connections::Both(fetched, connections))
        })
    }
}
