//! How the lab talks: the run, the `--json` records and the readable report (see
//! `kit::lab`). What the book shows is in `lib.rs`.

use crate::{DemoRun, Ending, ZombieRun, run_demo, zombie_then_reap};
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::Table;
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write;
use std::time::Duration;

/// What the lab saw: the three demos and the zombie.
#[derive(Debug)]
pub struct JoinRun {
    pub workers: usize,
    pub work: Duration,
    pub demos: Vec<DemoRun>,
    pub zombie: ZombieRun,
}

/// The whole lab: each demo in a fresh copy of this program (`--demo`), then the zombie,
/// left unreaped for `hold` once seen.
pub fn run(
    workers: usize,
    work: Duration,
    hold: Duration,
    progress: &Progress,
) -> anyhow::Result<JoinRun> {
    let exe = std::env::current_exe()?;
    let demos = Ending::ALL
        .iter()
        .map(|&ending| {
            progress.show(format_args!("demo: main {}", describe(ending)));
            run_demo(&exe, ending, workers, work)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    progress.show("zombie");
    let zombie = zombie_then_reap(hold)?;
    Ok(JoinRun {
        workers,
        work,
        demos,
        zombie,
    })
}

impl Outcome for JoinRun {
    fn report(&self) -> Report {
        report_of(&self.demos, &self.zombie)
    }

    fn render(&self, machine: &Machine) -> String {
        render_text(self, machine)
    }
}

fn report_of(demos: &[DemoRun], zombie: &ZombieRun) -> Report {
    let mut report = Report::new("join");
    for demo in demos {
        report.push(Record::count(
            format!("join/{}/lines-lost", demo.ending.name()),
            format!(
                "worker lines that never appeared ({})",
                describe(demo.ending)
            ),
            Unit::Count(Noun::Lines),
            demo.missing.len() as f64,
        ));
    }
    report.push(Record::flag(
        "join/zombie/seen",
        "child seen in state Z before waitpid (1 = yes)",
        zombie.state_before_wait == 'Z',
    ));
    report.push(Record::flag(
        "join/zombie/left-after-wait",
        "child still in /proc after waitpid (0 = reaped)",
        zombie.proc_entry_after_wait,
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

fn render_text(run: &JoinRun, machine: &Machine) -> String {
    let (demos, zombie) = (&run.demos, &run.zombie);
    let mut out = String::new();
    write_heading(
        &mut out,
        "join: threads not joined, children not reaped",
        machine,
    );
    let _ = writeln!(
        out,
        "Each demo is a process whose main spawns {} {}; each works {} ms, then prints\n\
         \"worker N: done\". Then main ends in one of three ways.\n",
        run.workers,
        if run.workers == 1 {
            "worker"
        } else {
            "workers"
        },
        run.work.as_millis()
    );
    let mut table = Table::new(["main …", "lines expected", "printed", "lost"]);
    for demo in demos {
        table.row([
            describe(demo.ending).to_owned(),
            demo.workers.to_string(),
            demo.finished.len().to_string(),
            demo.missing.len().to_string(),
        ]);
    }
    let _ = write!(out, "{table}");
    let unjoined = &demos[0];
    let _ = writeln!(out);
    let _ = writeln!(out, "Everything the unjoined demo printed:");
    for line in &unjoined.lines {
        let _ = writeln!(out, "  | {line}");
    }

    let pid = zombie.pid;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "A child that exits at once, with a parent that waits for it only later (pid {pid}):"
    );
    let _ = writeln!(
        out,
        "  before waitpid: /proc/{pid}/stat shows state {} (zombie)",
        zombie.state_before_wait
    );
    let _ = writeln!(out, "  waitpid:        {:?}", zombie.status);
    if zombie.proc_entry_after_wait {
        let _ = writeln!(out, "  after waitpid:  /proc/{pid} still exists");
    } else {
        let _ = writeln!(out, "  after waitpid:  /proc/{pid} no longer exists");
    }

    let (joined, scoped) = (&demos[1], &demos[2]);
    let lost = match (unjoined.missing.len(), unjoined.workers) {
        (0, _) => {
            "none of the worker lines was lost this time (the workers finished first)".to_owned()
        }
        (1, 1) => "its one worker line was lost".to_owned(),
        (1, workers) => format!("1 of {workers} worker lines was lost"),
        (missing, workers) => format!("{missing} of {workers} worker lines were lost"),
    };
    // wait(2), NOTES: a zombie keeps its PID, termination status and resource usage.
    let reaped = if zombie.proc_entry_after_wait {
        format!("Unexpected: /proc/{pid} still existed after waitpid; please report this run.")
    } else {
        "Once reaped, the entry was gone.".to_owned()
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "What to observe: main returned without joining and {lost};\n\
         joining printed {} of {}, the scope {} of {}. Unjoined threads are not stopped politely:\n\
         the process exits under them, and whatever they had not finished is lost.\n\
         The zombie had already exited: state {} means only its entry was left (its PID, exit\n\
         status and resource usage), waiting in the process table for waitpid.\n\
         {reaped}",
        joined.finished.len(),
        joined.workers,
        scoped.finished.len(),
        scoped.workers,
        zombie.state_before_wait
    );
    out
}
