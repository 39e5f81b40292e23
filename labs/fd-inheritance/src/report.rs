//! How the lab talks: the run (fork, exec, the pre-fork server), the `--json` records and
//! the readable report (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::{
    AfterExec, AfterFork, ExecRun, PreforkRun, fd_target, inherit_across_exec, inherit_across_fork,
    prefork_server,
};
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::Table;
use kit::{Machine, Noun, Record, Report, Unit};
use nix::sys::wait::WaitStatus;
use std::fmt::Write;
use std::os::fd::RawFd;

/// What the lab saw: a forked child's view of two pipes, an exec'd program's view, and the
/// pre-fork server.
pub struct FdRun {
    pub fork: Vec<AfterFork>,
    pub exec: ExecRun,
    pub server: PreforkRun,
}

/// The whole lab: two pipes across fork, then across exec (this program again with
/// `--probe-fds`), then a pre-fork server of `workers` processes × `threads` threads
/// answering `requests` requests.
pub fn run(
    workers: usize,
    threads: usize,
    requests: usize,
    progress: &Progress,
) -> anyhow::Result<FdRun> {
    let exe = std::env::current_exe()?;
    progress.show("across fork");
    let fork = inherit_across_fork()?;
    progress.show("across exec");
    let exec = inherit_across_exec(&exe)?;
    progress.show("pre-fork server");
    let server = prefork_server(&exe, workers, threads, requests)?;
    Ok(FdRun { fork, exec, server })
}

impl Outcome for FdRun {
    fn report(&self) -> Report {
        report_of(&self.fork, &self.exec, &self.server)
    }

    fn render(&self, machine: &Machine) -> String {
        render_text(&self.fork, &self.exec, &self.server, machine)
    }
}

/// The two pipes, in the order the lab makes them.
const KINDS: [&str; 2] = ["std-default", "cloexec-cleared"];

fn clean_exits(server: &PreforkRun) -> usize {
    server
        .statuses
        .iter()
        .filter(|(pid, status)| *status == WaitStatus::Exited(*pid, 0))
        .count()
}

fn report_of(fork: &[AfterFork], exec: &ExecRun, server: &PreforkRun) -> Report {
    let mut report = Report::new("fd-inheritance");
    for (kind, seen) in KINDS.iter().zip(fork) {
        report.push(Record::flag(
            format!("fd-inheritance/fork/{kind}/usable"),
            format!("a forked child could use the {kind} pipe it inherited (1 = yes)"),
            seen.close_on_exec_in_child.is_some(),
        ));
    }
    for (kind, seen) in KINDS.iter().zip(&exec.fds) {
        report.push(Record::flag(
            format!("fd-inheritance/exec/{kind}/present"),
            format!("an exec'd program had the {kind} pipe and wrote through it (1 = yes)"),
            seen.listed && seen.usable_in_program,
        ));
    }
    report.push(Record::count(
        "fd-inheritance/prefork/answered",
        "requests the pre-fork server answered",
        Unit::Count(Noun::Requests),
        server.answers.len() as f64,
    ));
    report.push(Record::count(
        "fd-inheritance/prefork/workers-that-answered",
        "worker processes that answered at least one request",
        Unit::Count(Noun::Processes),
        server
            .distribution()
            .values()
            .filter(|t| t.iter().sum::<usize>() > 0)
            .count() as f64,
    ));
    report.push(Record::count(
        "fd-inheritance/prefork/clean-exits",
        "workers that exited with status 0",
        Unit::Count(Noun::Processes),
        clean_exits(server) as f64,
    ));
    report.push(Record::flag(
        "fd-inheritance/prefork/port-freed",
        "the port could be bound again after the workers exited (1 = yes)",
        server.port_freed,
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

fn render_text(
    fork: &[AfterFork],
    exec: &ExecRun,
    server: &PreforkRun,
    machine: &Machine,
) -> String {
    let mut out = String::new();
    write_heading(&mut out, "fd-inheritance: what a child inherits", machine);
    let _ = writeln!(
        out,
        "1. Two pipes, both opened by std (close-on-exec); on the second the flag is cleared."
    );
    let _ = writeln!(
        out,
        "   A forked child uses both write ends, which it never opened:"
    );
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
    let _ = write!(out, "{table}");

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "   A child that execs a program (this lab, --probe-fds), with two fresh pipes:"
    );
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
    let _ = write!(out, "{table}");
    let _ = writeln!(out, "   The program's whole /proc/self/fd:");
    for (fd, target) in &exec.listing {
        let _ = writeln!(
            out,
            "     fd {fd:>3} -> {target:<16} {}",
            origin(*fd, target, exec)
        );
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "2. Pre-fork server on {}: {} worker processes × {} threads accept on one inherited socket.",
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
    let _ = write!(out, "{table}");
    let _ = writeln!(
        out,
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
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "What to observe: after fork the child used both descriptors ({} of 2), close-on-exec or not:",
        fork.iter()
            .filter(|f| f.close_on_exec_in_child.is_some())
            .count()
    );
    let _ = writeln!(
        out,
        "the flag does nothing until exec. After exec the close-on-exec pipe was {}, the cleared",
        if plain.listed { "still there" } else { "gone" }
    );
    let _ = writeln!(
        out,
        "one {}: Rust passes a descriptor to a program it runs only when asked to.",
        if cleared.listed && cleared.usable_in_program {
            "there and usable"
        } else {
            "missing"
        }
    );
    let _ = writeln!(
        out,
        "The server's {} workers share one socket they inherited; {} of them answered this time\n\
         (which one the kernel wakes is up to it), and {} of {} exited cleanly when their stdin closed.",
        server.workers.len(),
        busy,
        clean_exits(server),
        server.workers.len()
    );
    out
}
