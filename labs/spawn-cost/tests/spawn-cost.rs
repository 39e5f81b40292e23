//! What the spawn-cost page claims: every kind runs and yields one sample per round, every
//! task body ran in every round, every child is reaped with the exact status it exited
//! with, a bigger parent's memory is resident in ordinary pages, and the CLI behaves.

#![cfg(target_os = "linux")]

use kit::testing::{
    fork_lock, json_report, live_children, live_descendants, readable_report, record_ids, run_ok,
};
use kit::{Children, Summary};
use nix::sys::signal::{SigSet, SigmaskHow};
use nix::sys::wait::WaitStatus;
use nix::unistd::getpid;
use spawn_cost::task::measure_tasks;
use spawn_cost::{
    ChildStack, Kind, PARENT_KINDS, Program, Settings, TRUE_PROGRAM, WARM_UP_ROUNDS,
    fork_exec_once, fork_once, measure, measure_in_fresh_process, posix_spawn_once, pthread_once,
    std_command_once, touched_memory, vfork_once,
};
use std::path::Path;

const EXE: &str = env!("CARGO_BIN_EXE_spawn-cost");

#[test]
fn every_kind_returns_one_sample_per_round_and_reaps_its_children() {
    let _lock = fork_lock();
    for kind in Kind::ALL {
        let samples = measure(kind, 7, 0).unwrap();
        assert_eq!(samples.len(), 7, "{}", kind.name());
        assert!(live_children().is_empty(), "{} left a child", kind.name());
    }
}

#[test]
fn every_round_of_the_task_kind_runs_its_task() {
    // The spawned task counts itself: a round timed without its task having run would be
    // a cheap lie.
    let rounds = measure_tasks(30).unwrap();
    assert_eq!(rounds.samples.len(), 30);
    assert_eq!(rounds.ran, 30 + WARM_UP_ROUNDS);
}

#[test]
fn a_forked_childs_exit_status_comes_back_exactly() {
    let _lock = fork_lock();
    let mut children = Children::new();
    for status in [0, 1, 42, 255] {
        let (pid, waited) = fork_once(&mut children, status).unwrap();
        assert_eq!(waited, WaitStatus::Exited(pid, status));
    }
    assert!(children.is_empty());
}

#[test]
fn a_vforked_childs_exit_status_comes_back_exactly_and_the_signal_mask_is_restored() {
    let _lock = fork_lock();
    let mut children = Children::new();
    let mut stack = ChildStack::new();
    let mask_before = SigSet::thread_get_mask().unwrap();
    for status in [0, 1, 42, 255] {
        let (pid, waited) = vfork_once(&mut children, &mut stack, status).unwrap();
        // A process of its own (not a thread of ours), reaped with the status it exited with.
        assert_ne!(pid, getpid());
        assert_eq!(waited, WaitStatus::Exited(pid, i32::from(status)));
    }
    assert!(children.is_empty());
    assert!(live_children().is_empty());
    // Every signal was blocked only around the clone.
    let mask_after = SigSet::thread_get_mask().unwrap();
    for signal in nix::sys::signal::Signal::iterator() {
        assert_eq!(
            mask_after.contains(signal),
            mask_before.contains(signal),
            "{signal}"
        );
    }
}

#[test]
fn a_signal_blocked_before_a_vfork_is_still_blocked_after_it() {
    let _lock = fork_lock();
    let mut children = Children::new();
    let mut stack = ChildStack::new();
    let mut usr1 = SigSet::empty();
    usr1.add(nix::sys::signal::SIGUSR1);
    let before = usr1.thread_swap_mask(SigmaskHow::SIG_BLOCK).unwrap();
    let (pid, waited) = vfork_once(&mut children, &mut stack, 0).unwrap();
    assert_eq!(waited, WaitStatus::Exited(pid, 0));
    let during = SigSet::thread_get_mask().unwrap();
    before.thread_set_mask().unwrap();
    assert!(during.contains(nix::sys::signal::SIGUSR1));
    assert!(!during.contains(nix::sys::signal::SIGUSR2));
}

#[test]
fn a_bare_pthread_runs_its_routine_and_is_joined() {
    // pthread_once checks that the joined thread returned what its routine was given.
    for _ in 0..100 {
        pthread_once().unwrap();
    }
}

#[test]
fn an_execd_programs_exit_status_comes_back_exactly() {
    let _lock = fork_lock();
    let mut children = Children::new();
    let truth = Program::new(TRUE_PROGRAM).unwrap();
    let falsehood = Program::new("/bin/false").unwrap();
    let missing = Program::new("/nonexistent/program").unwrap();

    let (pid, status) = fork_exec_once(&mut children, &truth).unwrap();
    assert_eq!(status, WaitStatus::Exited(pid, 0));
    let (pid, status) = fork_exec_once(&mut children, &falsehood).unwrap();
    assert_eq!(status, WaitStatus::Exited(pid, 1));
    // execv fails in the child, which then exits 127 as a shell would.
    let (pid, status) = fork_exec_once(&mut children, &missing).unwrap();
    assert_eq!(status, WaitStatus::Exited(pid, 127));

    let (pid, status) = posix_spawn_once(&mut children, &truth).unwrap();
    assert_eq!(status, WaitStatus::Exited(pid, 0));
    let (pid, status) = posix_spawn_once(&mut children, &falsehood).unwrap();
    assert_eq!(status, WaitStatus::Exited(pid, 1));

    assert_eq!(std_command_once(&falsehood).unwrap().code(), Some(1));
    assert!(children.is_empty());
}

#[test]
fn the_plan_measures_every_kind_then_the_parent_kinds_per_size() {
    let settings = Settings {
        rounds: 10,
        parent_mib: vec![16, 64],
        parent_rounds: 2,
    };
    let plan = settings.plan();
    assert_eq!(plan.len(), Kind::ALL.len() + 2 * PARENT_KINDS.len());
    assert!(
        plan[..Kind::ALL.len()]
            .iter()
            .all(|&(_, mib, rounds)| mib == 0 && rounds == 10)
    );
    assert_eq!(plan.last(), Some(&(Kind::PosixSpawn, 64, 2)));
}

#[test]
fn touched_memory_is_resident() {
    // The lock keeps the other tests (which allocate and free) from running meanwhile.
    let _lock = fork_lock();
    let before = resident_kib();
    let ballast = touched_memory(32).unwrap().unwrap();
    let after = resident_kib();
    assert_eq!(ballast.len(), 32 << 20);
    // Every page was written, so (nearly) all 32 MiB are now resident.
    assert!(after - before >= 30 * 1024, "{before} KiB -> {after} KiB");
    assert!(touched_memory(0).unwrap().is_none());
}

#[test]
fn touched_memory_refuses_huge_pages() {
    // What fork copies must not depend on the machine's transparent-huge-page setting: the
    // ballast's mapping carries the no-huge-page advice (`nh` in VmFlags, proc(5)) and holds
    // no anonymous huge page (AnonHugePages), even where the setting is `always`. The lock
    // keeps this mapping from coming and going while another test reads VmRSS.
    let _lock = fork_lock();
    let ballast = touched_memory(8).unwrap().unwrap();
    let address = ballast.as_ptr() as usize;
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mapping = smaps_entry(&smaps, address).expect("the ballast is in /proc/self/smaps");
    let field = |name: &str| {
        mapping
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .unwrap_or_else(|| panic!("no {name} in {mapping}"))
            .trim()
            .to_owned()
    };
    assert_eq!(field("AnonHugePages"), "0 kB", "{mapping}");
    // A kernel built without transparent huge pages refuses the advice, and has none to give.
    if Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
        let flags = field("VmFlags");
        assert!(
            flags.split_whitespace().any(|flag| flag == "nh"),
            "{mapping}"
        );
    }
}

/// The entry of /proc/self/smaps (proc(5)) whose range holds `address`: its header line
/// (`start-end perms …`) and the `Name: value` fields under it.
fn smaps_entry(smaps: &str, address: usize) -> Option<String> {
    let mut lines = smaps.lines().peekable();
    while let Some(header) = lines.next() {
        let fields: Vec<&str> =
            std::iter::from_fn(|| lines.next_if(|line| mapped_range(line).is_none())).collect();
        if mapped_range(header).is_some_and(|range| range.contains(&address)) {
            return Some(format!("{header}\n{}", fields.join("\n")));
        }
    }
    None
}

/// The address range of a header line of /proc/self/smaps; `None` for a field line.
fn mapped_range(line: &str) -> Option<std::ops::Range<usize>> {
    let (start, end) = line.split_whitespace().next()?.split_once('-')?;
    Some(usize::from_str_radix(start, 16).ok()?..usize::from_str_radix(end, 16).ok()?)
}

fn resident_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_fresh_copy_measures_one_kind_and_leaves_nothing_behind() {
    let _lock = fork_lock();
    let summary = measure_in_fresh_process(Path::new(EXE), Kind::Fork, 9, 0).unwrap();
    assert_eq!(summary.samples, 9);
    assert!(summary.low <= summary.median && summary.median <= summary.high);
    let summary = measure_in_fresh_process(Path::new(EXE), Kind::PosixSpawn, 3, 2).unwrap();
    assert_eq!(summary.samples, 3);
    assert!(summary.low <= summary.median && summary.median <= summary.high);
    for kind in [Kind::Task, Kind::Pthread, Kind::Vfork] {
        let summary = measure_in_fresh_process(Path::new(EXE), kind, 5, 0).unwrap();
        assert_eq!(summary.samples, 5, "{}", kind.name());
    }
}

#[test]
fn measure_only_prints_a_summary_with_the_asked_number_of_samples() {
    let _lock = fork_lock();
    let stdout = run_ok(EXE, &["--measure-only", "thread", "--rounds", "4"]);
    let summary: Summary = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary.samples, 4);
}

#[test]
fn json_is_a_report_with_one_record_per_kind() {
    let _lock = fork_lock();
    let report = json_report(
        EXE,
        &[
            "--rounds",
            "3",
            "--parent-mib",
            "1,2",
            "--parent-rounds",
            "2",
        ],
    );
    assert_eq!(report.lab, "spawn-cost");
    let ids = record_ids(&report);
    assert_eq!(
        ids,
        [
            "spawn-cost/task",
            "spawn-cost/thread",
            "spawn-cost/scoped-thread",
            "spawn-cost/pthread",
            "spawn-cost/fork",
            "spawn-cost/vfork",
            "spawn-cost/fork-exec",
            "spawn-cost/posix-spawn",
            "spawn-cost/std-command",
            "spawn-cost/fork-parent-1mib",
            "spawn-cost/fork-exec-parent-1mib",
            "spawn-cost/posix-spawn-parent-1mib",
            "spawn-cost/fork-parent-2mib",
            "spawn-cost/fork-exec-parent-2mib",
            "spawn-cost/posix-spawn-parent-2mib",
        ]
    );
    for record in &report.records {
        assert_eq!(record.unit, "ns");
        let rounds = if record.id.contains("parent") { 2 } else { 3 };
        assert_eq!(record.samples, rounds, "{}", record.id);
        assert!(record.low <= record.median && record.median <= record.high);
    }
}

#[test]
fn the_readable_report_names_the_machine_and_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(
        EXE,
        &["--rounds", "2", "--parent-mib", "1", "--parent-rounds", "1"],
    );
    for kind in Kind::ALL {
        assert!(text.contains(kind.name()), "{} missing", kind.name());
    }
    assert!(text.contains("+1 MiB"));
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--rounds", "0"],
        &["--rounds", "100001"],
        &["--rounds", "many"],
        &["--no-such-flag"],
        &["--measure-only", "teleport"],
        &["--parent", "1"],
        &["--ballast-mib", "1"],
        &["--parent-mib", "0"],
        &["--parent-mib", "4097"],
        &["--parent-mib", "16,x"],
        &["--parent-rounds", "0"],
    ],
    help_mentions: ["posix_spawn", "tokio::spawn", "--rounds"],
    help_hides: ["--measure-only"],
    quick_run: ["--measure-only", "thread", "--rounds", "4"],
    // Enough rounds that the measuring copy is still running when the signal comes.
    busy_run: ["--rounds", "100000"],
}

#[test]
fn too_many_parent_sizes_are_refused_before_anything_runs() {
    let _lock = fork_lock();
    let out = kit::testing::run_lab(EXE, &["--parent-mib", "1,2,3,4,5,6,7,8,9"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("at most 8 sizes"), "{stderr}");
    assert_eq!(live_descendants(), []);
}
