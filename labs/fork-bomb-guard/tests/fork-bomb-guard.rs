//! What the fork-bomb page claims: the unguarded program never exceeds its cap, the guarded
//! one starts exactly N workers, fork() in a loop of 3 makes exactly 8 processes, and no demo
//! leaves a process behind: not when it finishes, not at its deadline, not when the harness
//! is interrupted or killed.
//!
//! The cgroup demo, where this machine lets the lab make a cgroup (root and a pids
//! controller), stops at `pids.max`: exactly that many processes, all alive at once, the
//! kernel refusing the next forks with `EAGAIN`, and the cgroup gone afterwards, also after
//! SIGINT or SIGTERM mid-run. Where it cannot, the lab says why in one line and exits 0.
//!
//! Every test runs the lab binary (the harness must be a process whose only children are the
//! tree) and holds the fork lock, so that /proc scans for our descendants see only its tree.

#![cfg(target_os = "linux")]

use fork_bomb_guard::cgroup::{self, PidsCgroup};
use fork_bomb_guard::harness::members_of_group;
use kit::Report;
use kit::testing::{fork_lock, live_descendants, readable_report};
use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Gid, Pid, Uid};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous bound for things that take well under a second (never a timing assertion:
/// only a way not to hang forever if something is broken).
const PATIENCE: Duration = Duration::from_secs(30);

const BIN: &str = env!("CARGO_BIN_EXE_fork-bomb-guard");

fn lab() -> Command {
    let mut command = Command::new(BIN);
    // If this test thread dies, the harness dies too, and with it (PR_SET_PDEATHSIG, set in
    // every process of the tree) the whole tree.
    // SAFETY: the closure makes one system call between fork and exec.
    unsafe {
        command.pre_exec(|| Ok(prctl::set_pdeathsig(Signal::SIGKILL)?));
    }
    command
}

/// The process group the harness announced on stderr.
fn pgid_in(stderr: &str) -> Pid {
    let after = stderr
        .split("process group ")
        .nth(1)
        .unwrap_or_else(|| panic!("no process group in {stderr:?}"));
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    Pid::from_raw(digits.parse().unwrap())
}

/// Nothing of the tree is left: no process in its group, no descendant of this test.
fn assert_nothing_left(pgid: Pid) {
    assert_eq!(members_of_group(pgid), [], "members of group {pgid} left");
    assert_eq!(live_descendants(), [], "descendants left");
}

struct Run {
    report: Report,
    pgids: Vec<Pid>,
}

impl Run {
    fn count(&self, demo: &str, what: &str) -> u32 {
        let id = format!("fork-bomb-guard/{demo}/{what}");
        let record = self.report.get(&id).unwrap_or_else(|| panic!("no {id}"));
        record.median as u32
    }

    fn generations(&self, demo: &str) -> Vec<u32> {
        (0..)
            .map_while(|g| {
                let id = format!("fork-bomb-guard/{demo}/generation-{g}");
                self.report.get(&id).map(|r| r.median as u32)
            })
            .collect()
    }
}

/// Runs the lab with `--json` and these flags; checks it exited 0 and left nothing.
fn run_lab(args: &[&str]) -> Run {
    let out = lab().arg("--json").args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let pgids: Vec<Pid> = stderr
        .lines()
        .filter(|line| line.contains("process group"))
        .map(pgid_in)
        .collect();
    for &pgid in &pgids {
        assert_nothing_left(pgid);
    }
    Run { report, pgids }
}

#[test]
fn unguarded_stops_exactly_at_its_cap_and_leaves_nothing() {
    let _lock = fork_lock();
    for (cap, workers) in [(1u32, 2u32), (5, 2), (32, 2), (40, 3), (64, 8)] {
        let (cap_arg, workers_arg) = (cap.to_string(), workers.to_string());
        let run = run_lab(&[
            "--demo",
            "unguarded",
            "--cap",
            &cap_arg,
            "--workers",
            &workers_arg,
            "--startup-ms",
            "10",
            "--work-ms",
            "0",
        ]);
        assert_eq!(run.pgids.len(), 1);
        // The unguarded program never stops by itself: the budget always runs out.
        assert_eq!(run.count("unguarded", "started"), cap, "cap {cap}");
        assert!(run.count("unguarded", "refused") >= 1);
        assert_eq!(run.count("unguarded", "timed-out"), 0);
        assert_eq!(run.count("unguarded", "left-behind"), 0);
        let generations = run.generations("unguarded");
        assert_eq!(generations.iter().sum::<u32>(), cap);
        assert_eq!(generations[0], 1);
        for (g, &n) in generations.iter().enumerate() {
            assert!(
                n <= workers.pow(g as u32),
                "generation {g}: {n} > {workers}^{g}"
            );
        }
    }
}

#[test]
fn guarded_starts_exactly_n_workers() {
    let _lock = fork_lock();
    for workers in [1u32, 2, 5, 8] {
        let workers_arg = workers.to_string();
        let run = run_lab(&[
            "--demo",
            "guarded",
            "--workers",
            &workers_arg,
            "--startup-ms",
            "0",
        ]);
        assert_eq!(run.generations("guarded"), [1, workers]);
        assert_eq!(run.count("guarded", "started"), workers + 1);
        assert_eq!(run.count("guarded", "refused"), 0);
        assert_eq!(run.count("guarded", "left-behind"), 0);
    }
}

#[test]
fn guarded_with_too_small_a_cap_stops_at_the_cap() {
    let _lock = fork_lock();
    let run = run_lab(&["--demo", "guarded", "--workers", "5", "--cap", "3"]);
    assert_eq!(run.generations("guarded"), [1, 2]);
    assert_eq!(run.count("guarded", "refused"), 1);
}

#[test]
fn fork_in_a_loop_of_3_makes_8_processes() {
    let _lock = fork_lock();
    let run = run_lab(&["--demo", "fork-loop"]);
    // The first process, then 1, 2 and 4 new ones from the three iterations: 8 in all.
    assert_eq!(run.generations("fork-loop"), [1, 1, 2, 4]);
    assert_eq!(run.count("fork-loop", "started"), 8);
    assert_eq!(run.count("fork-loop", "refused"), 0);
}

#[test]
fn fork_loop_doubles_per_iteration_and_is_capped() {
    let _lock = fork_lock();
    let run = run_lab(&["--demo", "fork-loop", "--loops", "5"]);
    assert_eq!(run.generations("fork-loop"), [1, 1, 2, 4, 8, 16]);
    // 256 processes without the cap; 20 with it.
    let capped = run_lab(&["--demo", "fork-loop", "--loops", "8", "--cap", "20"]);
    assert_eq!(capped.count("fork-loop", "started"), 20);
    assert!(capped.count("fork-loop", "refused") >= 1);
}

#[test]
fn all_demos_by_default() {
    let _lock = fork_lock();
    let run = run_lab(&["--startup-ms", "10", "--work-ms", "10"]);
    assert_eq!(run.pgids.len(), 3 + usize::from(cgroup_available()));
    assert_eq!(run.count("unguarded", "started"), 32);
    assert_eq!(run.count("guarded", "started"), 3);
    assert_eq!(run.count("fork-loop", "started"), 8);
}

#[test]
fn the_deadline_kills_the_tree_mid_run() {
    let _lock = fork_lock();
    let run = run_lab(&[
        "--demo",
        "unguarded",
        "--cap",
        "16",
        "--startup-ms",
        "0",
        "--work-ms",
        "60000",
        "--timeout-ms",
        "1000",
    ]);
    assert_eq!(run.count("unguarded", "timed-out"), 1);
    assert!(run.count("unguarded", "started") <= 16);
    assert_eq!(run.count("unguarded", "left-behind"), 0);
}

/// The flags of an unguarded tree whose processes live a minute (and the harness as long):
/// still all there when a test signals it. The caller adds `--cap`.
const LONG_TREE: [&str; 8] = [
    "--demo",
    "unguarded",
    "--startup-ms",
    "0",
    "--work-ms",
    "60000",
    "--timeout-ms",
    "60000",
];

/// Starts the lab with `args` and its stderr piped, and returns it, that stderr (kept open:
/// the harness reports on it) and the first line the harness wrote there, which names the
/// group (and the cgroup) it made.
fn start_harness(args: &[&str]) -> (Child, BufReader<ChildStderr>, String) {
    let mut harness = lab()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(harness.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    (harness, stderr, line)
}

/// Waits, for at most [`PATIENCE`], until the group `pgid` has `count` members.
fn wait_for_members(pgid: Pid, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    while members_of_group(pgid).len() < count {
        assert!(
            Instant::now() < deadline,
            "the tree never reached {count} processes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a long-lived unguarded tree of `cap` processes and waits until all of them exist.
/// Returns the harness, its stderr (kept open: the harness reports on it) and the group.
fn start_long_tree(cap: u32) -> (Child, BufReader<ChildStderr>, Pid) {
    let cap_arg = cap.to_string();
    let args: Vec<&str> = LONG_TREE
        .iter()
        .copied()
        .chain(["--cap", &cap_arg])
        .collect();
    let (harness, stderr, line) = start_harness(&args);
    let pgid = pgid_in(&line);
    wait_for_members(pgid, cap as usize);
    assert_eq!(members_of_group(pgid).len(), cap as usize);
    (harness, stderr, pgid)
}

#[test]
fn ctrl_c_or_sigterm_kills_and_reaps_the_tree() {
    let _lock = fork_lock();
    for (signal, status) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let (mut harness, mut stderr, pgid) = start_long_tree(12);
        kill(Pid::from_raw(harness.id() as i32), signal).unwrap();
        assert_eq!(harness.wait().unwrap().code(), Some(status), "{signal}");
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        assert!(
            rest.contains(&format!("{signal}: killed process group {pgid}")),
            "{rest}"
        );
        assert_nothing_left(pgid);
    }
}

#[test]
fn killing_the_harness_outright_still_takes_the_tree_down() {
    let _lock = fork_lock();
    // SIGKILL gives the harness no chance to clean up. Every process of the tree dies with
    // its parent (PR_SET_PDEATHSIG); the orphans come to this test process, a subreaper from
    // now on, so that we can reap them instead of leaving them to init. Only this test's
    // processes can reach us: every test here holds the fork lock while it has children.
    prctl::set_child_subreaper(true).unwrap();
    let (mut harness, _stderr, pgid) = start_long_tree(12);
    kill(Pid::from_raw(harness.id() as i32), Signal::SIGKILL).unwrap();
    assert_eq!(
        harness.wait().unwrap().signal(),
        Some(Signal::SIGKILL as i32)
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(5)),
            Ok(_) => {}
            Err(Errno::ECHILD) => break,
            Err(e) => panic!("waitpid: {e}"),
        }
        assert!(
            Instant::now() < deadline,
            "the tree did not die with the harness"
        );
    }
    assert_nothing_left(pgid);
}

#[test]
fn a_copy_without_a_real_budget_refuses_to_run() {
    let _lock = fork_lock();
    let attempts: [&[(&str, &str)]; 3] = [
        &[("FORK_BOMB_GUARD_PROGRAM", "unguarded")],
        &[
            ("FORK_BOMB_GUARD_PROGRAM", "unguarded"),
            ("FORK_BOMB_GUARD_WORKERS", "2"),
            ("FORK_BOMB_GUARD_BUDGET_FD", "0"),
            ("FORK_BOMB_GUARD_STARTED_FD", "1"),
        ],
        &[
            ("FORK_BOMB_GUARD_PROGRAM", "unguarded"),
            ("FORK_BOMB_GUARD_WORKERS", "2"),
            ("FORK_BOMB_GUARD_BUDGET_FD", "99"),
            ("FORK_BOMB_GUARD_STARTED_FD", "98"),
        ],
    ];
    for env in attempts {
        let out = lab()
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{env:?}");
        assert_eq!(live_descendants(), []);
    }
}

/// Checks that a copy started by hand ([`start_copy_by_hand`]) refuses to run: exit status 1,
/// a stderr that names `reason`, and no process left behind.
fn assert_copy_refuses(
    generation: &str,
    tokens: usize,
    deadline: Option<Duration>,
    own_group: bool,
    reason: &str,
) {
    let (code, stderr) = start_copy_by_hand(generation, tokens, deadline, own_group);
    assert_eq!(
        code,
        Some(1),
        "generation {generation}, deadline {deadline:?}: {stderr}"
    );
    assert!(stderr.contains(reason), "{stderr}");
    assert_eq!(live_descendants(), []);
}

/// A copy of the binary started by hand with a tree's environment, as if it were part of a
/// tree: `tokens` in its budget, `deadline` (monotonic ns) as its deadline, in a process
/// group of its own when `own_group`. Returns its exit status and stderr. Should the copy
/// wrongly run, it is still caged here: its group is killed and reaped after PATIENCE.
fn start_copy_by_hand(
    generation: &str,
    tokens: usize,
    deadline: Option<Duration>,
    own_group: bool,
) -> (Option<i32>, String) {
    use nix::fcntl::OFlag;
    use std::os::fd::AsRawFd;
    let (budget, filler) = nix::unistd::pipe2(OFlag::empty()).unwrap();
    let (_messages, started) = nix::unistd::pipe2(OFlag::empty()).unwrap();
    let mut written = 0;
    while written < tokens {
        written += nix::unistd::write(&filler, &vec![b'T'; tokens - written]).unwrap();
    }
    drop(filler);
    let mut command = lab();
    command
        .env("FORK_BOMB_GUARD_PROGRAM", "unguarded")
        .env("FORK_BOMB_GUARD_WORKERS", "1")
        .env("FORK_BOMB_GUARD_BUDGET_FD", budget.as_raw_fd().to_string())
        .env(
            "FORK_BOMB_GUARD_STARTED_FD",
            started.as_raw_fd().to_string(),
        )
        .env("FORK_BOMB_GUARD_GENERATION", generation)
        .env("FORK_BOMB_GUARD_STARTUP_MS", "0")
        .env("FORK_BOMB_GUARD_WORK_MS", "0")
        .env_remove("FORK_BOMB_GUARD_DEADLINE_NS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(deadline) = deadline {
        command.env(
            "FORK_BOMB_GUARD_DEADLINE_NS",
            deadline.as_nanos().to_string(),
        );
    }
    // Always a group apart from this test's, to cage it. Not the copy's own: a group led by
    // another program (`sleep`, standing in for a shell or `cargo` that leads a job).
    let mut leader = (!own_group).then(|| {
        Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn()
            .unwrap()
    });
    let pgid = leader.as_ref().map_or(0, |leader| leader.id() as i32);
    command.process_group(pgid);
    let mut copy = command.spawn().unwrap();
    let pgid = Pid::from_raw(if own_group { copy.id() as i32 } else { pgid });
    let until = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = copy.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = nix::sys::signal::killpg(pgid, Signal::SIGKILL);
            break copy.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    if let Some(leader) = &mut leader {
        leader.kill().unwrap();
        leader.wait().unwrap();
    }
    let mut stderr = String::new();
    copy.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

/// The monotonic clock now (the clock of the tree's deadline).
fn now() -> Duration {
    fork_bomb_guard::monotonic_now().unwrap()
}

#[test]
fn a_copy_refuses_a_budget_above_the_hard_maximum() {
    let _lock = fork_lock();
    let deadline = Some(now() + Duration::from_secs(10));
    let over = fork_bomb_guard::MAX_CAP as usize + 1;
    assert_copy_refuses("0", over, deadline, true, "more than the hard maximum");
    // The same copy with a budget at the maximum is accepted (and runs its one worker).
    let (code, stderr) = start_copy_by_hand("0", over - 1, deadline, true);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(live_descendants(), []);
}

#[test]
fn a_copy_refuses_to_run_without_a_near_deadline() {
    let _lock = fork_lock();
    for deadline in [
        None,
        Some(now() - Duration::from_millis(1)),
        Some(now() + fork_bomb_guard::MAX_TIMEOUT + Duration::from_secs(5)),
    ] {
        assert_copy_refuses("0", 4, deadline, true, "FORK_BOMB_GUARD_DEADLINE_NS");
    }
}

#[test]
fn a_copy_refuses_to_run_outside_the_trees_own_group() {
    let _lock = fork_lock();
    let deadline = Some(now() + Duration::from_secs(10));
    // Generation 0 that does not lead its group; a later generation whose group leader is
    // not a copy of the lab (here: this test binary).
    for generation in ["0", "1"] {
        assert_copy_refuses(generation, 4, deadline, false, "process group");
    }
}

/// Whether this process may make a pids cgroup (as the lab would): tried for real, and
/// removed again at once.
fn cgroup_available() -> bool {
    matches!(PidsCgroup::create(1), Ok(Ok(_)))
}

/// The cgroup directory the harness announced on stderr.
fn cgroup_dir_in(stderr: &str) -> PathBuf {
    let after = stderr
        .split(", cgroup ")
        .nth(1)
        .unwrap_or_else(|| panic!("no cgroup in {stderr:?}"));
    PathBuf::from(after.split(" (pids.max").next().unwrap())
}

/// No cgroup of a lab that has ended is left: every `fork-bomb-guard-PID-N` directory
/// under ours belongs to a live process.
fn assert_no_cgroup_of_a_dead_lab() {
    let Ok(parent) = cgroup::our_pids_cgroup() else {
        return;
    };
    for entry in std::fs::read_dir(&parent).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix("fork-bomb-guard-") {
            let pid = rest.split('-').next().unwrap();
            assert!(
                Path::new(&format!("/proc/{pid}")).exists(),
                "{} left behind",
                entry.path().display()
            );
        }
    }
}

/// Runs the cgroup demo alone with these flags and checks the skip: exit status 0, and
/// one line on stderr that says why.
fn assert_cgroup_skipped(command: &mut Command) {
    let out = command.args(["--demo", "cgroup"]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("fork-bomb-guard: cgroup: skipped: "),
        "{stderr}"
    );
    assert_eq!(live_descendants(), []);
}

#[test]
fn the_cgroup_demo_stops_forks_at_pids_max() {
    let _lock = fork_lock();
    if !cgroup_available() {
        assert_cgroup_skipped(&mut lab());
        return;
    }
    for (pids_max, cap) in [(1u32, 32u32), (4, 32), (8, 32), (16, 32), (20, 32), (5, 6)] {
        let (max_arg, cap_arg) = (pids_max.to_string(), cap.to_string());
        let out = lab()
            .args(["--json", "--demo", "cgroup", "--pids-max", &max_arg])
            .args(["--cap", &cap_arg])
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let run = Run {
            report: serde_json::from_slice(&out.stdout).unwrap(),
            pgids: vec![pgid_in(&stderr)],
        };
        assert_nothing_left(run.pgids[0]);
        let dir = cgroup_dir_in(&stderr);
        assert!(!dir.exists(), "{} left behind", dir.display());
        assert_eq!(run.count("cgroup", "cgroup-left"), 0);
        let at = format!("pids.max {pids_max}, cap {cap}");
        // The kernel let exactly pids.max processes exist, every one alive at once (each
        // stays until the harness has looked), and refused the rest: never the budget
        // alone, which holds more tokens than pids.max.
        assert_eq!(run.count("cgroup", "pids-max"), pids_max, "{at}");
        assert_eq!(run.count("cgroup", "started"), pids_max, "{at}");
        assert_eq!(run.count("cgroup", "alive-at-once"), pids_max, "{at}");
        assert_eq!(run.count("cgroup", "pids-current"), pids_max, "{at}");
        if run.report.get("fork-bomb-guard/cgroup/pids-peak").is_some() {
            assert_eq!(run.count("cgroup", "pids-peak"), pids_max, "{at}");
        }
        let failed = run.count("cgroup", "fork-failed");
        assert!(failed >= 1, "{at}: no fork refused");
        assert!(failed <= pids_max, "{at}: {failed} refusals");
        // The kernel's own count of refused forks agrees with the tree's.
        assert_eq!(run.count("cgroup", "events-max"), failed, "{at}");
        if 2 * pids_max <= cap {
            // Enough tokens for every process's last, refused fork: each one was refused
            // by the kernel exactly once, and never by the budget.
            assert_eq!(failed, pids_max, "{at}");
            assert_eq!(run.count("cgroup", "refused"), 0, "{at}");
            assert_eq!(run.count("cgroup", "tokens"), 2 * pids_max, "{at}");
        }
        assert_eq!(run.count("cgroup", "timed-out"), 0, "{at}");
        assert_eq!(run.count("cgroup", "left-behind"), 0, "{at}");
    }
    assert_no_cgroup_of_a_dead_lab();
}

#[test]
fn the_cgroup_demo_skips_in_one_line_where_it_may_not_make_a_cgroup() {
    let _lock = fork_lock();
    if !Uid::current().is_root() {
        // Not root: the ordinary run is the one that cannot (unless a delegated v2 subtree
        // lets this user, in which case the demo runs and the other test covers it).
        if !cgroup_available() {
            assert_cgroup_skipped(&mut lab());
        }
        return;
    }
    // Root: run the lab as the unprivileged user `nobody`, who may not write the cgroup
    // hierarchy.
    let mut command = lab();
    // SAFETY: setgroups, setgid and setuid are plain system calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setgroups(&[])?;
            nix::unistd::setgid(Gid::from_raw(65534))?;
            Ok(nix::unistd::setuid(Uid::from_raw(65534))?)
        });
    }
    assert_cgroup_skipped(&mut command);
}

/// The cgroup demo with a tree that settles at pids.max and is then held for a minute: still
/// all there when a signal comes.
const HELD_CGROUP_DEMO: &[&str] = &[
    "--demo",
    "cgroup",
    "--pids-max",
    "6",
    "--work-ms",
    "60000",
    "--timeout-ms",
    "60000",
];

#[test]
fn ctrl_c_or_sigterm_mid_run_removes_the_cgroup() {
    let _lock = fork_lock();
    if !cgroup_available() {
        return; // the skip is tested above
    }
    for (signal, status) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let (mut harness, mut stderr, line) = start_harness(HELD_CGROUP_DEMO);
        let (pgid, dir) = (pgid_in(&line), cgroup_dir_in(&line));
        wait_for_members(pgid, 6);
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap();
        assert_eq!(procs.lines().count(), 6, "{procs}");
        kill(Pid::from_raw(harness.id() as i32), signal).unwrap();
        assert_eq!(harness.wait().unwrap().code(), Some(status), "{signal}");
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        assert!(
            rest.contains(&format!("removed cgroup {}", dir.display())),
            "{rest}"
        );
        assert!(
            !dir.exists(),
            "{} left behind after {signal}",
            dir.display()
        );
        assert_nothing_left(pgid);
    }
    // The kit's own check of the same run, then: no cgroup of the (dead) lab left.
    kit::testing::assert_clean_interrupt(BIN, HELD_CGROUP_DEMO, Signal::SIGINT, |below| {
        below.len() >= 6
    });
    assert_no_cgroup_of_a_dead_lab();
}

kit::cli_contract! {
    bin: BIN,
    // Refused before any fork: no tree, so no need for lab()'s parent-death signal.
    refused: [
        &["--cap", "257"],
        &["--cap", "0"],
        &["--workers", "9"],
        &["--loops", "9"],
        &["--timeout-ms", "50"],
        &["--demo", "bomb"],
        &["--pids-max", "0"],
        &["--pids-max", "129"],
        &["--demo", "cgroup", "--cap", "8"],
        &["--frobnicate"],
    ],
    help_mentions: ["--cap", "fork-loop", "--pids-max", "cgroup"],
    quick_run: ["--demo", "fork-loop"],
    // The kit's check, on top of the harness's own report above: exit 128 + the signal,
    // nothing of the tree alive, nothing unreaped. A tree of 12 that lives a minute is still
    // there when the signal comes.
    busy_run: LONG_TREE.into_iter().chain(["--cap", "12"]).collect::<Vec<_>>(),
    busy_ready: |below| below.len() >= 12,
}

#[test]
fn the_readable_report_opens_with_the_machine_and_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(BIN, &["--demo", "fork-loop"]);
    assert!(text.contains("process group"), "{text}");
}
