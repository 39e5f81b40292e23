use clap::Parser;
use join::{DemoRun, Ending, ZombieRun, run_demo, zombie_then_reap};
use kit::table::Table;
use kit::{Machine, Record, Report};
use std::process::ExitCode;
use std::time::Duration;

/// Threads not joined lose their work; children not waited for become zombies.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Mistake 2: work that nobody waits for.\n\n\
        Runs three small programs, each in its own process: main spawns --workers threads that \
        each work --work-ms and then print a line. The first main returns without joining, the \
        second joins every JoinHandle, the third spawns inside std::thread::scope. The lab \
        shows which lines never appeared.\n\n\
        Then it forks a child that exits at once and does not wait for it: /proc/PID/stat shows \
        the child in state Z (zombie) until waitpid reaps it, after which /proc/PID is gone."
)]
struct Args {
    /// Worker threads each demo spawns.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    workers: u32,
    /// How long each worker works (sleeps) before printing its line, in milliseconds.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    work_ms: u64,
    /// How long to leave the zombie unreaped once it is seen, in milliseconds (time to look
    /// at it with ps).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    hold_ms: u64,
    /// Print the results as a JSON report instead of the readable report.
    #[arg(long)]
    json: bool,
    /// Internal: run one demo's main and exit (the lab re-executes itself with this).
    #[arg(long, hide = true, value_enum)]
    demo: Option<Ending>,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    let workers = args.workers as usize;
    let work = Duration::from_millis(args.work_ms);
    if let Some(ending) = args.demo {
        // We are the re-executed child: run the demo's main, then return from ours.
        join::demo_main(ending, workers, work);
        return ExitCode::SUCCESS;
    }
    kit::cli::run(|| {
        let exe = std::env::current_exe()?;
        let demos = Ending::ALL
            .iter()
            .map(|&ending| run_demo(&exe, ending, workers, work))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let zombie = zombie_then_reap(Duration::from_millis(args.hold_ms))?;
        if args.json {
            println!("{}", report(&demos, &zombie).to_json());
        } else {
            print_readable(&args, &demos, &zombie);
        }
        Ok(())
    })
}

fn report(demos: &[DemoRun], zombie: &ZombieRun) -> Report {
    let mut report = Report::new("join");
    for demo in demos {
        report.push(Record::count(
            format!("join/{}/lines-lost", demo.ending.name()),
            format!(
                "worker lines that never appeared ({})",
                describe(demo.ending)
            ),
            "lines",
            demo.missing.len() as f64,
        ));
    }
    report.push(Record::count(
        "join/zombie/seen",
        "child seen in state Z before waitpid (1 = yes)",
        "processes",
        f64::from(u8::from(zombie.state_before_wait == 'Z')),
    ));
    report.push(Record::count(
        "join/zombie/left-after-wait",
        "child still in /proc after waitpid (0 = reaped)",
        "processes",
        f64::from(u8::from(zombie.proc_entry_after_wait)),
    ));
    report
}

fn describe(ending: Ending) -> &'static str {
    match ending {
        Ending::Unjoined => "returns without joining",
        Ending::Joined => "joins every JoinHandle",
        Ending::Scoped => "spawns in std::thread::scope",
    }
}

fn print_readable(args: &Args, demos: &[DemoRun], zombie: &ZombieRun) {
    println!("join: threads not joined, children not reaped");
    println!("Machine: {}", Machine::detect().summary());
    println!();
    println!(
        "Each demo is a process whose main spawns {} workers; each works {} ms, then prints",
        args.workers, args.work_ms
    );
    println!("\"worker N: done\". Then main ends in one of three ways.");
    println!();
    let mut table = Table::new(["main …", "lines expected", "printed", "lost"]);
    for demo in demos {
        table.row([
            describe(demo.ending).to_owned(),
            demo.workers.to_string(),
            demo.finished.len().to_string(),
            demo.missing.len().to_string(),
        ]);
    }
    print!("{table}");
    let unjoined = &demos[0];
    println!();
    println!("Everything the unjoined demo printed:");
    for line in &unjoined.lines {
        println!("  | {line}");
    }

    let pid = zombie.pid;
    println!();
    println!("A child that exits at once, with a parent that waits for it only later (pid {pid}):");
    println!(
        "  before waitpid: /proc/{pid}/stat shows state {} (zombie)",
        zombie.state_before_wait
    );
    println!("  waitpid:        {:?}", zombie.status);
    if zombie.proc_entry_after_wait {
        println!("  after waitpid:  /proc/{pid} still exists");
    } else {
        println!("  after waitpid:  /proc/{pid} no longer exists");
    }

    let (joined, scoped) = (&demos[1], &demos[2]);
    println!();
    println!(
        "What to observe: main returned without joining and {} of {} worker lines were lost;",
        unjoined.missing.len(),
        unjoined.workers
    );
    println!(
        "joining printed {} of {}, the scope {} of {}. Unjoined threads are not stopped politely:",
        joined.finished.len(),
        joined.workers,
        scoped.finished.len(),
        scoped.workers
    );
    println!("the process exits under them, and whatever they had not finished is lost.");
    println!(
        "The zombie had already exited: state {} means only its exit status was left, waiting in",
        zombie.state_before_wait
    );
    println!("the process table for waitpid. Once reaped, the entry was gone.");
}
