//! How the lab talks: the run (three modes, then the thread limit), the `--json` records
//! and the readable report (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::{
    LimitDemo, Usage, checksum_sequential, measure, pool, process_per_task, record_timelines,
    run_limit_demo, thread_per_task, threads_max,
};
use kit::lab::{Outcome, Progress, write_heading};
use kit::table::{Table, bytes, nanos, times};
use kit::timeline::Timeline;
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write;

/// The flags of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tasks: u64,
    pub process_tasks: u64,
    /// Pool threads; `None`: one per core.
    pub workers: Option<usize>,
    pub max_live: usize,
    /// Tasks in each timeline run; `None`: no timelines (a run without `--json` or `--timeline`).
    pub timeline_tasks: Option<u64>,
}

/// One mode's outcome, for the table and the JSON report.
pub struct ModeRun {
    pub id: &'static str,
    pub name: String,
    pub tasks: u64,
    pub checksum_ok: bool,
    pub peak_processes: usize,
    pub usage: Usage,
}

/// What the lab measured: the three modes and the thread-limit demo.
pub struct TooManyRun {
    pub workers: usize,
    pub max_live: usize,
    pub modes: [ModeRun; 3],
    pub limit: LimitDemo,
    /// The oversubscription timelines under their ids ([`crate::Crowd::timeline_id`]), recorded
    /// after everything else; empty without `--json` or `--timeline`.
    pub timelines: Vec<(String, Timeline)>,
}

/// The whole lab: a thread per task, a pool, a process per task, then the limit demo in a
/// re-executed copy.
pub fn run(settings: &Settings, progress: &Progress) -> anyhow::Result<TooManyRun> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = settings.workers.unwrap_or(cores);
    check_process_room(settings.process_tasks, settings.max_live)?;
    let max_live = settings.max_live;
    let expected = checksum_sequential(settings.tasks);

    progress.show(format_args!(
        "running {} tasks, a thread each",
        settings.tasks
    ));
    let (sum, usage) = measure(|| thread_per_task(settings.tasks, max_live))?;
    let per_thread = ModeRun {
        id: "thread-per-task",
        name: "thread per task".into(),
        tasks: settings.tasks,
        checksum_ok: sum? == expected,
        peak_processes: 0,
        usage,
    };

    progress.show(format_args!(
        "running {} tasks on a pool of {workers} threads",
        settings.tasks
    ));
    let (run, usage) = measure(|| pool(settings.tasks, workers))?;
    let run = run?;
    let pooled = ModeRun {
        id: "pool",
        name: format!("pool of {} threads", run.tasks_per_worker.len()),
        tasks: settings.tasks,
        checksum_ok: run.checksum == expected,
        peak_processes: 0,
        usage,
    };

    progress.show(format_args!(
        "running {} tasks, a process each",
        settings.process_tasks
    ));
    let (run, usage) = measure(|| process_per_task(settings.process_tasks, max_live))?;
    let run = run?;
    let per_process = ModeRun {
        id: "process-per-task",
        name: "process per task".into(),
        tasks: settings.process_tasks,
        checksum_ok: run.checksum == checksum_sequential(settings.process_tasks),
        peak_processes: run.peak_live,
        usage,
    };

    progress.show(format_args!(
        "creating threads until the system refuses one"
    ));
    let limit = run_limit_demo(&std::env::current_exe()?)?;

    // Last, so the spans cost the measured modes nothing.
    let timelines = match settings.timeline_tasks {
        Some(tasks) => {
            progress.show(format_args!(
                "timelines: {tasks} tasks on one thread per CPU, then on many more threads"
            ));
            record_timelines(tasks)?
        }
        None => Vec::new(),
    };

    Ok(TooManyRun {
        workers,
        max_live,
        modes: [per_thread, pooled, per_process],
        limit,
        timelines,
    })
}

impl Outcome for TooManyRun {
    fn report(&self) -> Report {
        let mut report = report_of(&self.modes, &self.limit);
        report.timelines = self.timelines.clone();
        report
    }

    fn render(&self, machine: &Machine) -> String {
        render_text(self, machine)
    }

    fn check(&self) -> anyhow::Result<()> {
        if let Some(bad) = self.modes.iter().find(|m| !m.checksum_ok) {
            anyhow::bail!(
                "{}: the checksum does not match the sequential one",
                bad.name
            );
        }
        Ok(())
    }
}

fn per_task_nanos(mode: &ModeRun) -> f64 {
    mode.usage.wall.as_nanos() as f64 / mode.tasks as f64
}

fn report_of(modes: &[ModeRun], limit: &LimitDemo) -> Report {
    let mut report = Report::new("too-many-threads");
    for mode in modes {
        let id = |what: &str| format!("too-many-threads/{}/{what}", mode.id);
        let usage = &mode.usage;
        report.push(Record::count(
            id("wall"),
            format!("wall time for {} tasks, {}", mode.tasks, mode.name),
            Unit::Nanoseconds,
            usage.wall.as_nanos() as f64,
        ));
        report.push(Record::count(
            id("per-task"),
            format!("wall time per task, {}", mode.name),
            Unit::Nanoseconds,
            per_task_nanos(mode),
        ));
        report.push(Record::count(
            id("peak-threads"),
            format!("most extra threads seen at once, {}", mode.name),
            Unit::Count(Noun::Threads),
            usage.peak_extra_threads as f64,
        ));
        report.push(Record::count(
            id("peak-processes"),
            format!("most child processes alive at once, {}", mode.name),
            Unit::Count(Noun::Processes),
            mode.peak_processes as f64,
        ));
        report.push(Record::count(
            id("vm-hwm"),
            format!("peak resident memory of the lab (VmHWM), {}", mode.name),
            Unit::Bytes,
            usage.peak_rss as f64,
        ));
        report.push(Record::flag(
            id("checksum-ok"),
            format!("every task ran: checksum matches (1 = yes), {}", mode.name),
            mode.checksum_ok,
        ));
    }
    report.push(Record::count(
        "too-many-threads/limit/created",
        "threads created under a capped address space before one was refused",
        Unit::Count(Noun::Threads),
        limit.created as f64,
    ));
    report.push(Record::flag(
        "too-many-threads/limit/refused",
        "a thread creation was refused and reported as an error (1 = yes)",
        limit.refusal.is_some(),
    ));
    report
}

fn render_text(run: &TooManyRun, machine: &Machine) -> String {
    let (workers, modes, limit) = (run.workers, &run.modes, &run.limit);
    let mut out = String::new();
    write_heading(
        &mut out,
        "too-many-threads: a thread per task, a pool, a process per task",
        machine,
    );
    let _ = writeln!(
        out,
        "Each task mixes a number {} times: a little CPU work, much less than creating a thread.\n\
         The per-task modes keep at most {} threads or processes alive at once; the pool has {workers}.\n",
        crate::TASK_ROUNDS,
        run.max_live
    );
    let mut table = Table::new([
        "mode",
        "tasks",
        "wall time",
        "per task",
        "peak threads",
        "peak processes",
        "VmHWM",
        "VmRSS after",
        "checksum",
    ]);
    for mode in modes {
        let usage = &mode.usage;
        table.row([
            mode.name.clone(),
            mode.tasks.to_string(),
            nanos(usage.wall.as_nanos() as f64),
            nanos(per_task_nanos(mode)),
            usage.peak_extra_threads.to_string(),
            mode.peak_processes.to_string(),
            bytes(usage.peak_rss as f64),
            bytes(usage.rss_after as f64),
            if mode.checksum_ok { "ok" } else { "WRONG" }.to_owned(),
        ]);
    }
    let _ = write!(out, "{table}");
    let _ = writeln!(
        out,
        "(peak threads: beyond those running before the mode, sampled every millisecond)"
    );

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Running out of threads, in a child process with a capped address space:"
    );
    for line in &limit.lines {
        let _ = writeln!(out, "  | {line}");
    }
    if let Some(max) = threads_max() {
        let _ = writeln!(
            out,
            "  (the system-wide limit, /proc/sys/kernel/threads-max, is {max} threads)"
        );
    }

    let [per_thread, pooled, per_process] = modes;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "What to observe: per task, a new thread cost {} the pool's time on this run, and a new",
        times(per_task_nanos(per_thread) / per_task_nanos(pooled))
    );
    let _ = writeln!(
        out,
        "process {}; the pool reused its {workers} threads for all {} tasks.",
        times(per_task_nanos(per_process) / per_task_nanos(pooled)),
        pooled.tasks
    );
    let _ = writeln!(
        out,
        "Peak resident memory (VmHWM): {} with a thread per task, {} with the pool.",
        bytes(per_thread.usage.peak_rss as f64),
        bytes(pooled.usage.peak_rss as f64)
    );
    let _ = writeln!(
        out,
        "The children's memory is their own: the lab's VmHWM does not count it."
    );
    let _ = match &limit.refusal {
        Some(_) => writeln!(
            out,
            "After {} threads the next creation failed; Builder::spawn returned the error as a value.",
            limit.created
        ),
        None => writeln!(
            out,
            "The capped child created every thread it tried; no limit was reached."
        ),
    };
    out
}

/// Refuses a process-per-task run that would start more processes at once than this machine
/// lets us (the cgroup's `pids.max`, which binds root too, and the kernel's `threads-max`),
/// keeping half of what is left for everything else, before any process is started.
fn check_process_room(process_tasks: u64, max_live: usize) -> anyhow::Result<()> {
    process_room(process_tasks, max_live, kit::machine::processes_left())
}

/// [`check_process_room`] with the room given: `left` processes, or `None` if no limit could
/// be read.
fn process_room(process_tasks: u64, max_live: usize, left: Option<u64>) -> anyhow::Result<()> {
    let at_once = process_tasks.min(max_live as u64);
    if let Some(left) = left {
        anyhow::ensure!(
            at_once <= left / 2,
            "up to {at_once} processes at once (--max-live, --process-tasks) is more than half \
             of the {left} this machine still allows (cgroup pids.max, kernel threads-max): \
             pass a smaller --max-live"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::process_room;

    #[test]
    fn refuses_more_processes_at_once_than_half_the_room() {
        assert!(process_room(5_000, 5_000, Some(9_999)).is_err());
        assert!(
            process_room(5_000, 64, Some(200)).is_ok(),
            "64 at once fit in 200"
        );
        assert!(
            process_room(50, 5_000, Some(100)).is_ok(),
            "only 50 tasks: 50 at once"
        );
        assert!(
            process_room(5_000, 5_000, None).is_ok(),
            "no limit readable"
        );
        let err = process_room(300, 300, Some(500)).unwrap_err().to_string();
        assert!(err.contains("up to 300 processes at once"), "{err}");
        assert!(err.contains("of the 500"), "{err}");
        assert!(err.contains("--max-live"), "{err}");
    }
}
