use clap::Parser;
use fd_inheritance::{
    AfterExec, AfterFork, ExecRun, PreforkRun, fd_target, inherit_across_exec, inherit_across_fork,
    prefork_server, probe_main, worker_main,
};
use kit::table::Table;
use kit::{Machine, Record, Report};
use nix::sys::wait::WaitStatus;
use std::os::fd::RawFd;
use std::process::ExitCode;

/// What a child inherits: open descriptors across fork, only inheritable ones across exec.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Interview gotcha: what does a child inherit?\n\n\
        Two pipes, both opened the way Rust's standard library opens everything: close-on-exec \
        (O_CLOEXEC). On the second the lab clears the flag with fcntl. A forked child can use \
        both write ends, which it never opened. A program executed by a child (this lab again, \
        with a hidden flag) lists its /proc/self/fd and writes through what it has: only the \
        pipe without close-on-exec survived exec.\n\n\
        Then a pre-fork server: one listening TCP socket on 127.0.0.1 (a free port), --workers \
        worker processes (this lab again, the socket inherited, its number in an environment \
        variable), each accepting on it from --threads threads. A client sends --requests \
        requests; every answer names the worker pid and thread that served it. The workers \
        are stopped and reaped at the end, and the port is checked to be free again."
)]
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
    /// Print the results as a JSON report instead of the readable report.
    #[arg(long)]
    json: bool,
    /// Internal: be the exec'd program that reports which of these descriptors it has.
    #[arg(long, hide = true, value_delimiter = ',')]
    probe_fds: Option<Vec<RawFd>>,
    /// Internal: be a worker of the pre-fork server.
    #[arg(long, hide = true)]
    worker: bool,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    if let Some(fds) = &args.probe_fds {
        return kit::cli::run(|| probe_main(fds));
    }
    if args.worker {
        return kit::cli::run(|| worker_main(args.threads as usize));
    }
    kit::cli::run(|| {
        let exe = std::env::current_exe()?;
        let fork = inherit_across_fork()?;
        let exec = inherit_across_exec(&exe)?;
        let server = prefork_server(
            &exe,
            args.workers as usize,
            args.threads as usize,
            args.requests as usize,
        )?;
        if args.json {
            println!("{}", report(&fork, &exec, &server).to_json());
        } else {
            print_readable(&fork, &exec, &server);
        }
        Ok(())
    })
}

/// The two pipes, in the order the lab makes them.
const KINDS: [&str; 2] = ["std-default", "cloexec-cleared"];

fn flag(value: bool) -> f64 {
    f64::from(u8::from(value))
}

fn clean_exits(server: &PreforkRun) -> usize {
    server
        .statuses
        .iter()
        .filter(|(pid, status)| *status == WaitStatus::Exited(*pid, 0))
        .count()
}

fn report(fork: &[AfterFork], exec: &ExecRun, server: &PreforkRun) -> Report {
    let mut report = Report::new("fd-inheritance");
    for (kind, seen) in KINDS.iter().zip(fork) {
        report.push(Record::count(
            format!("fd-inheritance/fork/{kind}/usable"),
            format!("a forked child could use the {kind} pipe it inherited (1 = yes)"),
            "flag",
            flag(seen.close_on_exec_in_child.is_some()),
        ));
    }
    for (kind, seen) in KINDS.iter().zip(&exec.fds) {
        report.push(Record::count(
            format!("fd-inheritance/exec/{kind}/present"),
            format!("an exec'd program had the {kind} pipe and wrote through it (1 = yes)"),
            "flag",
            flag(seen.listed && seen.usable_in_program),
        ));
    }
    report.push(Record::count(
        "fd-inheritance/prefork/answered",
        "requests the pre-fork server answered",
        "requests",
        server.answers.len() as f64,
    ));
    report.push(Record::count(
        "fd-inheritance/prefork/workers-that-answered",
        "worker processes that answered at least one request",
        "processes",
        server
            .distribution()
            .values()
            .filter(|t| t.iter().sum::<usize>() > 0)
            .count() as f64,
    ));
    report.push(Record::count(
        "fd-inheritance/prefork/clean-exits",
        "workers that exited with status 0",
        "processes",
        clean_exits(server) as f64,
    ));
    report.push(Record::count(
        "fd-inheritance/prefork/port-freed",
        "the port could be bound again after the workers exited (1 = yes)",
        "flag",
        flag(server.port_freed),
    ));
    report
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn describe(kind: &str) -> &'static str {
    if kind == KINDS[0] {
        "as std opened it"
    } else {
        "FD_CLOEXEC cleared"
    }
}

/// Where a descriptor the exec'd program had came from.
fn origin(fd: RawFd, target: &str, exec: &ExecRun) -> &'static str {
    match fd {
        0 => "stdin (Command::output gives /dev/null)",
        1 => "stdout (a pipe to the lab)",
        2 => "stderr (a pipe to the lab)",
        _ if exec
            .fds
            .iter()
            .any(|f| f.parent.fd == fd && f.parent.target == target) =>
        {
            "our pipe, FD_CLOEXEC cleared"
        }
        _ if fd_target(fd).is_ok_and(|t| t == target) => {
            "inheritable in the lab too: from whatever started the lab"
        }
        _ => "",
    }
}

fn print_readable(fork: &[AfterFork], exec: &ExecRun, server: &PreforkRun) {
    println!("fd-inheritance: what a child inherits");
    println!("Machine: {}", Machine::detect().summary());
    println!();
    println!(
        "1. Two pipes, both opened by std (close-on-exec); on the second the flag is cleared."
    );
    println!("   A forked child uses both write ends, which it never opened:");
    let mut table = Table::new([
        "pipe",
        "fd",
        "close-on-exec in parent",
        "child could write",
        "flag in child",
    ]);
    for (kind, seen) in KINDS.iter().zip(fork) {
        table.row([
            describe(kind).to_owned(),
            seen.parent.fd.to_string(),
            yes_no(seen.parent.close_on_exec).to_owned(),
            yes_no(seen.close_on_exec_in_child.is_some()).to_owned(),
            match seen.close_on_exec_in_child {
                Some(true) => "close-on-exec",
                Some(false) => "inheritable",
                None => "-",
            }
            .to_owned(),
        ]);
    }
    print!("{table}");

    println!();
    println!("   A child that execs a program (this lab, --probe-fds), with two fresh pipes:");
    let mut table = Table::new([
        "pipe",
        "fd",
        "close-on-exec in parent",
        "in its /proc/self/fd",
        "it wrote through it",
    ]);
    for (kind, seen) in KINDS.iter().zip(&exec.fds) {
        let AfterExec {
            parent,
            listed,
            usable_in_program,
        } = seen;
        table.row([
            describe(kind).to_owned(),
            parent.fd.to_string(),
            yes_no(parent.close_on_exec).to_owned(),
            yes_no(*listed).to_owned(),
            yes_no(*usable_in_program).to_owned(),
        ]);
    }
    print!("{table}");
    println!("   The program's whole /proc/self/fd:");
    for (fd, target) in &exec.listing {
        println!(
            "     fd {fd:>3} -> {target:<16} {}",
            origin(*fd, target, exec)
        );
    }

    println!();
    println!(
        "2. Pre-fork server on {}: {} worker processes x {} threads accept on one inherited socket.",
        server.addr,
        server.workers.len(),
        server.threads
    );
    let mut header = vec!["worker pid".to_owned(), "answered".to_owned()];
    header.extend((0..server.threads).map(|t| format!("thread {t}")));
    header.push("exit".to_owned());
    let mut table = Table::new(header);
    let distribution = server.distribution();
    for (pid, status) in &server.statuses {
        let threads = &distribution[&pid.as_raw()];
        let mut row = vec![pid.to_string(), threads.iter().sum::<usize>().to_string()];
        row.extend(threads.iter().map(|n| n.to_string()));
        row.push(match status {
            WaitStatus::Exited(_, code) => format!("status {code}"),
            other => format!("{other:?}"),
        });
        table.row(row);
    }
    print!("{table}");
    println!(
        "   Requests answered: {} of {}. Port {} free again after the workers exited: {}.",
        server.answers.len(),
        server.requests,
        server.addr.port(),
        yes_no(server.port_freed)
    );

    let (plain, cleared) = (&exec.fds[0], &exec.fds[1]);
    let busy = distribution
        .values()
        .filter(|t| t.iter().sum::<usize>() > 0)
        .count();
    println!();
    println!(
        "What to observe: after fork the child used both descriptors ({} of 2), close-on-exec or not:",
        fork.iter()
            .filter(|f| f.close_on_exec_in_child.is_some())
            .count()
    );
    println!(
        "the flag does nothing until exec. After exec the close-on-exec pipe was {}, the cleared",
        if plain.listed { "still there" } else { "gone" }
    );
    println!(
        "one {}: Rust passes a descriptor to a program it runs only when asked to.",
        if cleared.listed && cleared.usable_in_program {
            "there and usable"
        } else {
            "missing"
        }
    );
    println!(
        "The server's {} workers share one socket they inherited; {} of them answered this time",
        server.workers.len(),
        busy
    );
    println!(
        "(which one the kernel wakes is up to it), and {} of {} exited cleanly when their stdin closed.",
        clean_exits(server),
        server.workers.len()
    );
}
