//! Helpers for the labs' tests.
//!
//! Tests run on several threads of one process. Two tests forking at once would wait for,
//! or count, each other's children, so every test that forks holds [`fork_lock`] while its
//! children exist (nix's own test suite does the same).
//!
//! Every lab binary keeps the same command-line contract ([`crate::cli`]): bad flags exit 2
//! with one line on stderr and nothing on stdout, `--help` exits 0, `--json` prints a
//! [`Report`]. [`run_lab`], [`run_ok`], [`assert_usage_error`] (and [`assert_usage_errors`]
//! for a list), [`assert_help`], [`json_report`], [`readable_report`],
//! [`assert_quiet_when_stdout_closed`] and [`assert_clean_interrupts`] run a lab's binary and
//! check that contract once, here, so that each lab's tests keep only what the lab itself
//! claims: its refused flags, the words of its help, its records and sentences.
//! [`cli_contract!`](crate::cli_contract) turns one declaration of those (the refused flags,
//! the help's words, a quick run and a busy one) into the contract's `#[test]` functions,
//! so that a lab's test file states them once instead of repeating the tests.
//!
//! None of them takes the fork lock: the caller holds [`fork_lock`] around them, as around
//! any other child. The lock is not reentrant (a helper locking it under a caller that holds
//! it would hang), and a test usually keeps it across several runs, and ends with the lock's
//! own check that nothing is left, which a lock taken and dropped inside each helper would
//! repeat after every run.

use crate::Report;
use nix::sys::prctl;
use nix::sys::wait::waitpid;
use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static FORK_LOCK: Mutex<()> = Mutex::new(());

/// The process-wide lock held by every test while it has children. A test that failed while
/// holding it poisons it; later tests still run.
///
/// Dropping it checks what every lab promises: the test left no process behind, no child and
/// no child's child, running or zombie. The check runs at the end of the test, before the lock
/// is released, so no other test's children can be counted. A test that failed is not checked
/// again: it has already said why, and a second panic while unwinding would abort the whole
/// test binary.
pub fn fork_lock() -> ForkLock {
    ForkLock {
        _guard: FORK_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    }
}

/// What [`fork_lock`] returns: the lock, released after the leftover check on drop.
#[must_use = "the lock is released, and the test checked, when this is dropped"]
pub struct ForkLock {
    _guard: MutexGuard<'static, ()>,
}

impl Drop for ForkLock {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let left = crate::procfs::live_descendants();
        assert!(
            left.is_empty(),
            "the test left processes behind (pids {left:?}): every child must be waited for"
        );
    }
}

/// The signal and pid types the helpers take, and `kill` to clean up after a failed check,
/// for labs that do not depend on nix.
pub use nix::sys::signal::{Signal, kill};
pub use nix::unistd::Pid;

pub use crate::procfs::{
    ProcStat, children_of, descendants_of, live_children, live_descendants, stat_of,
};

/// Runs a lab's binary (`env!("CARGO_BIN_EXE_<lab>")`) with `args` and waits for it, with
/// its stdout and stderr captured. Hold [`fork_lock`] while calling it.
pub fn run_lab(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("could not run {bin} {args:?}: {err}"))
}

/// Runs the lab like [`run_lab`], checks that it exited 0 (its stderr in the failure
/// message), and returns its stdout: the readable report.
pub fn run_ok(bin: &str, args: &[&str]) -> String {
    let out = run_lab(bin, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|err| panic!("{args:?}: stdout: {err}"))
}

/// Runs the lab like [`run_ok`] and checks the two parts every readable report has
/// ([`crate::lab::write_heading`], [`crate::lab::write_observations`]): the opening, a title
/// that starts with the lab's name, `Machine: …` and a blank line, and a `What to observe:`
/// section. Returns the report, for what the lab itself claims in it.
pub fn readable_report(bin: &str, args: &[&str]) -> String {
    let text = run_ok(bin, args);
    let name = std::path::Path::new(bin)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opening: Vec<&str> = text.lines().take(3).collect();
    assert!(
        matches!(&opening[..], [title, machine, ""]
            if title.starts_with(&format!("{name}: ")) && machine.starts_with("Machine: ")),
        "{args:?}: the report does not open with `{name}: …`, `Machine: …` and a blank line:\n{text}"
    );
    assert!(
        text.contains("What to observe:"),
        "{args:?}: no What to observe:\n{text}"
    );
    text
}

/// Runs the lab with `--json` and then `args`, checks that it exited 0, and parses its stdout
/// as a [`Report`].
pub fn json_report(bin: &str, args: &[&str]) -> Report {
    let args: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
    let stdout = run_ok(bin, &args);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("{args:?}: not a report ({err}):\n{stdout}"))
}

/// [`json_report`], checked to be `lab`'s report.
pub fn lab_report(bin: &str, lab: &str, args: &[&str]) -> Report {
    let report = json_report(bin, args);
    assert_eq!(report.lab, lab, "{args:?}: the report of another lab");
    report
}

/// The ids of `report`'s records, in order.
pub fn record_ids(report: &Report) -> Vec<&str> {
    report.records.iter().map(|r| r.id.as_str()).collect()
}

/// The median of `report`'s record `id`; a missing record fails the test, naming the id.
pub fn median(report: &Report, id: &str) -> f64 {
    report
        .get(id)
        .unwrap_or_else(|| panic!("no record {id}"))
        .median
}

/// Checks that each `(id, value)` is a record of `report` whose median is exactly `value`
/// (counts and flags: nothing measured by a clock).
pub fn assert_medians(report: &Report, expected: &[(&str, f64)]) {
    for &(id, value) in expected {
        assert_eq!(median(report, id), value, "{id}");
    }
}

/// Checks that `text` (a readable report) contains every one of `expected`, and names the
/// first one missing with the whole text.
pub fn assert_mentions(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
}

/// Checks that the lab refuses `args` as [`crate::cli`] promises: exit status 2, exactly one
/// line on stderr, nothing on stdout. The failure message names `args`.
pub fn assert_usage_error(bin: &str, args: &[&str]) {
    let out = run_lab(bin, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: stdout {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// [`assert_usage_error`] for each of `cases`: every one is refused with status 2, one line
/// on stderr and nothing on stdout.
pub fn assert_usage_errors(bin: &str, cases: &[&[&str]]) {
    for args in cases {
        assert_usage_error(bin, args);
    }
}

/// Runs the lab with `args` and its standard output a pipe nobody reads (as after
/// `| head -1`), and checks that it ends quietly: status 0, no panic on stderr, and no
/// child left behind. The caller holds [`fork_lock`].
pub fn assert_quiet_when_stdout_closed(bin: &str, args: &[&str]) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert_eq!(live_descendants(), [], "{args:?}: children left behind");
}

/// Runs the lab with `--help`, checks that it exited 0 and that the help mentions every word
/// of `must_mention`, and returns the help (for what a lab checks beyond that, such as an
/// internal flag staying hidden).
pub fn assert_help(bin: &str, must_mention: &[&str]) -> String {
    let help = run_ok(bin, &["--help"]);
    for word in must_mention {
        assert!(help.contains(word), "{word} missing from --help:\n{help}");
    }
    help
}

/// How long [`assert_clean_interrupt`] waits for each step: only a hang reaches it.
const HANG: Duration = Duration::from_secs(120);

/// Starts the lab with `args`, waits until it has a child (and until `ready` accepts its
/// descendants, e.g. "a python3 is among them"), sends `signal` to the lab alone (not its
/// process group, as `kill PID` or an IDE's stop button do), and checks the
/// promise of [`crate::interrupt`]:
///
/// - the lab exits with status 128 + the signal (130 for SIGINT, 143 for SIGTERM);
/// - no process that was below it is still alive;
/// - it left no zombie: every child it had was reaped by the lab itself.
///
/// To see what the lab leaves, the test process is a child subreaper (prctl(2),
/// `PR_SET_CHILD_SUBREAPER`) for the duration: an orphan of the lab is re-parented to the
/// test, not to init, so a zombie or a survivor shows up among [`live_children`]. The helper
/// reaps everything it finds, so nothing is left behind even when the check fails.
/// Grandchildren that die with their parent (`PR_SET_PDEATHSIG`) also arrive here as
/// zombies; those are expected and only reaped. The caller holds [`fork_lock`].
pub fn assert_clean_interrupt(
    bin: &str,
    args: &[&str],
    signal: Signal,
    ready: impl Fn(&[Pid]) -> bool,
) {
    let subreaper = Subreaper::become_one();
    let mut command = Command::new(bin);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // A signal that whoever started the tests ignores (`nohup` ignores SIGHUP) stays ignored
    // across fork and execve (signal(7)), and the lab then rightly keeps ignoring it
    // ([`crate::interrupt::install`]): start the lab with the default action for the signal
    // under test, as a shell at a terminal would.
    let number = signal as libc::c_int;
    // SAFETY: between fork and exec the closure only calls signal(2), which is
    // async-signal-safe (signal-safety(7)), and allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            libc::signal(number, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut lab = LabProcess(Some(
        command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {bin}: {err}")),
    ));
    let pid = lab.pid();
    let started = Instant::now();
    let before = loop {
        let below = descendants_of(pid);
        if !below.is_empty() && ready(&below) {
            break below;
        }
        if let Some(status) = lab.child().try_wait().expect("try_wait") {
            panic!("{args:?}: the lab ended ({status}) before it had the children asked for");
        }
        assert!(started.elapsed() < HANG, "{args:?}: no child appeared");
        std::thread::sleep(Duration::from_millis(5));
    };
    let direct = children_of(pid);
    kill(pid, signal).expect("signal the lab");
    let status = lab.wait_with_deadline();
    let mut stderr = String::new();
    if let Some(mut pipe) = lab.child().stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    lab.0 = None;
    let (zombies, alive) = reap_orphans(&direct);
    drop(subreaper);
    assert_eq!(
        alive,
        [],
        "{args:?}: processes outlived the lab after {signal} (before: {before:?})"
    );
    assert_eq!(
        zombies,
        [],
        "{args:?}: the lab left these children unreaped"
    );
    assert_eq!(
        status.code(),
        Some(128 + signal as i32),
        "{args:?}: {signal} should end the lab with {}: {status}; stderr: {stderr}",
        128 + signal as i32
    );
}

/// The signals that stop a lab in practice: SIGTERM (`kill PID` or an IDE's stop button to
/// the lab alone, `timeout` to its whole process group) and SIGINT (Ctrl-C to the group, or
/// `kill -INT PID` to the lab alone).
pub const STOP_SIGNALS: [Signal; 2] = [Signal::SIGTERM, Signal::SIGINT];

/// [`assert_clean_interrupt`] once for each of [`STOP_SIGNALS`], with the same `args` and
/// `ready`: the lab exits with 143, then with 130, each time leaving no process and no
/// zombie behind. The caller holds [`fork_lock`].
pub fn assert_clean_interrupts(bin: &str, args: &[&str], ready: impl Fn(&[Pid]) -> bool) {
    for signal in STOP_SIGNALS {
        assert_clean_interrupt(bin, args, signal, &ready);
    }
}

/// The command-line contract tests of one lab, from one declaration: the `#[test]` functions
/// that every lab would otherwise write out by hand, each holding [`fork_lock`] while it runs
/// the binary. Invoke it once at the top level of the lab's test file.
///
/// The fields come in this order; `bin`, `refused` and `help_mentions` are required, the
/// others optional, and each one that is given adds its checks:
///
/// | Field | Generated test | What it checks |
/// |---|---|---|
/// | `bin` | (all) | the lab's binary, `env!("CARGO_BIN_EXE_<lab>")` or a `const` holding it |
/// | `refused: [&[…], …]` | `bad_flags_exit_2_with_one_line` | [`assert_usage_errors`] on every case |
/// | `help_mentions: […]` | `help_exits_0` | [`assert_help`] with these words |
/// | `help_hides: […]` | `help_exits_0` | none of these (internal flags) is in the help |
/// | `quick_run: args` | `a_closed_stdout_ends_the_lab_quietly` | [`assert_quiet_when_stdout_closed`] |
/// | `busy_run: args` | `a_signal_to_the_lab_alone_kills_and_reaps_every_child` | [`assert_clean_interrupts`] |
/// | `busy_ready: \|pids\| …` | (the signal test) | when to send the signal; by default, as soon as the lab has a child |
///
/// `quick_run` and `busy_run` are any expression whose value is a list of `&str` (an array,
/// a `const` slice, a `Vec`). `quick_run` must end quickly with status 0 and no panic on
/// stderr; `busy_run` must keep children alive until the signal comes, and `busy_ready`
/// (given only with `busy_run`) is passed on to [`assert_clean_interrupts`]. A lab without
/// such a run leaves the field out, and a check that does not fit these shapes (a signal
/// test that needs `python3`, say) stays a test of its own beside the invocation.
///
/// ```
/// # // A stand-in for the variable Cargo sets only for a package's own tests.
/// # macro_rules! env { ($name:literal) => { "/usr/local/bin/race" } }
/// // labs/race/tests/race.rs
/// kit::cli_contract! {
///     bin: env!("CARGO_BIN_EXE_race"),
///     refused: [&["--workers", "1"], &["--mode", "threads"], &["--frobnicate"]],
///     help_mentions: ["--mode", "threads-racy"],
///     quick_run: ["--increments", "100"],
///     // Enough increments that the workers are still counting when the signal comes.
///     busy_run: ["--mode", "processes-racy", "--workers", "4", "--increments", "1000000"],
///     busy_ready: |below| below.len() >= 4,
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! cli_contract {
    (
        bin: $bin:expr,
        refused: [$($refused:expr),* $(,)?],
        help_mentions: [$($word:expr),* $(,)?]
        $(, help_hides: [$($hidden:expr),* $(,)?])?
        $(, quick_run: $quick:expr)?
        $(, busy_run: $busy:expr $(, busy_ready: $ready:expr)?)?
        $(,)?
    ) => {
        #[test]
        fn bad_flags_exit_2_with_one_line() {
            let _lock = $crate::testing::fork_lock();
            $crate::testing::assert_usage_errors($bin, &[$($refused),*]);
        }

        #[test]
        fn help_exits_0() {
            let _lock = $crate::testing::fork_lock();
            let help = $crate::testing::assert_help($bin, &[$($word),*]);
            let hidden: &[&str] = &[$($($hidden),*)?];
            for flag in hidden {
                assert!(!help.contains(flag), "{flag} is internal but --help shows it:\n{help}");
            }
        }

        $(
            #[test]
            fn a_closed_stdout_ends_the_lab_quietly() {
                let _lock = $crate::testing::fork_lock();
                let args = $quick;
                $crate::testing::assert_quiet_when_stdout_closed(
                    $bin,
                    ::core::convert::AsRef::<[&str]>::as_ref(&args),
                );
            }
        )?

        $(
            #[test]
            fn a_signal_to_the_lab_alone_kills_and_reaps_every_child() {
                let _lock = $crate::testing::fork_lock();
                let args = $busy;
                $crate::testing::assert_clean_interrupts(
                    $bin,
                    ::core::convert::AsRef::<[&str]>::as_ref(&args),
                    $crate::cli_contract!(@ready $($ready)?),
                );
            }
        )?
    };
    // The signal test's readiness: the lab's own, or any descendant at all.
    (@ready) => {
        |_: &[$crate::testing::Pid]| true
    };
    (@ready $ready:expr) => {
        $ready
    };
}

/// Reaps every child of the test process (the lab's orphans, re-parented to the subreaper)
/// until none is left. Returns the zombies that were the lab's own children (`direct`: the
/// lab should have reaped them) and the processes still alive when the deadline came (which
/// are then killed and reaped too).
fn reap_orphans(direct: &[Pid]) -> (Vec<Pid>, Vec<Pid>) {
    let mut zombies = Vec::new();
    let started = Instant::now();
    loop {
        let left = live_children();
        if left.is_empty() {
            return (zombies, Vec::new());
        }
        let mut alive = Vec::new();
        for pid in left {
            let zombie = stat_of(pid.as_raw()).is_some_and(|s| s.state == 'Z');
            if zombie {
                let _ = waitpid(pid, None);
                if direct.contains(&pid) {
                    zombies.push(pid);
                }
            } else {
                alive.push(pid);
            }
        }
        if !alive.is_empty() && started.elapsed() > Duration::from_secs(10) {
            for &pid in &alive {
                let _ = kill(pid, Signal::SIGKILL);
                let _ = waitpid(pid, None);
            }
            return (zombies, alive);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// This process as a child subreaper until dropped.
struct Subreaper;

impl Subreaper {
    fn become_one() -> Self {
        prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
        Subreaper
    }
}

impl Drop for Subreaper {
    fn drop(&mut self) {
        let _ = prctl::set_child_subreaper(false);
    }
}

/// The lab under test; killed and reaped if the test fails before it has ended.
struct LabProcess(Option<Child>);

impl LabProcess {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("the lab")
    }

    fn pid(&mut self) -> Pid {
        Pid::from_raw(self.child().id() as i32)
    }

    /// Waits for the lab; a lab still running after [`HANG`] fails the test.
    fn wait_with_deadline(&mut self) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child().try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                started.elapsed() < HANG,
                "the lab did not end after the signal"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
            // Whatever it left is ours now (subreaper): reap it too.
            let _ = reap_orphans(&[]);
        }
    }
}

/// One timeline as a lab's `--timeline FILE` drew it: its title (the timeline's id) and, per
/// lane in order, the lane's name and how many span rectangles its group holds.
#[derive(Debug)]
pub struct DrawnTimeline {
    pub title: String,
    pub lanes: Vec<(String, usize)>,
}

/// Runs `bin` with `args` and `--timeline` into a temporary folder, expects it to succeed, and
/// reads the file back: checks it is one well-formed standalone SVG document (an XML
/// declaration, one root, every tag closed, real colours instead of the page's
/// `currentColor`), and returns the lab's terminal output and each timeline drawn, in order.
/// The timelines every lab with the flag shares are tested this one way.
pub fn timeline_document(bin: &str, args: &[&str]) -> (String, Vec<DrawnTimeline>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("out.svg");
    let file = path.to_str().expect("a UTF-8 temporary path");
    let text = run_ok(bin, &[args, &["--timeline", file]].concat());
    let svg = std::fs::read_to_string(&path).expect("--timeline wrote its file");
    assert_well_formed(&svg);
    assert!(!svg.contains("currentColor"), "standalone colours");
    assert!(svg.contains("fill=\"#ffffff\""), "a white background");
    let drawn = svg
        .split("<svg x=")
        .skip(1)
        .map(|figure| {
            let title = between(figure, "<title>", "</title>").to_owned();
            let lanes = figure
                .split("<g class=\"lane\" data-lane=\"")
                .skip(1)
                .map(|lane| {
                    let name = &lane[..lane.find('"').expect("a closed attribute")];
                    let spans = &lane[..lane.find("</g>").expect("a closed lane group")];
                    (name.to_owned(), spans.matches("<rect").count())
                })
                .collect();
            DrawnTimeline { title, lanes }
        })
        .collect();
    (text, drawn)
}

/// The text between the first `open` and the next `close` in `text`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).map(|i| i + open.len()).expect(open);
    &text[start..start + text[start..].find(close).expect(close)]
}

/// Asserts `xml` is a well-formed SVG document in the subset the figures crate writes: an XML
/// declaration, then one `<svg>` root; tags nest and close, attribute quotes balance, text
/// holds no bare `>` or `&`. (No XML parser is in the build for this one check.)
pub fn assert_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("an XML declaration first");
    let mut open: Vec<&str> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        assert!(!text.contains('>'), "a bare > in {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity)
                    || entity.starts_with("&#"),
                "a bare & in {text:?}"
            );
        }
        let end = start + rest[start..].find('>').expect("an unclosed tag");
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "a tag inside a tag: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop(),
                Some(name.trim()),
                "</{name}> closes nothing open"
            );
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().expect("a tag name"));
        }
        rest = &rest[end + 1..];
    }
    assert!(rest.trim().is_empty(), "text after the root: {rest:?}");
    assert!(open.is_empty(), "never closed: {open:?}");
    assert_eq!(body.matches("<svg xmlns=").count(), 1, "one root element");
    assert!(body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
}

/// Asserts that `--timeline` into a folder that does not exist is a usage error (one line,
/// exit 2) before the lab runs, and leaves no file: `args` should make a run long enough that
/// running it first would show.
pub fn assert_unwritable_timeline_refused(bin: &str, args: &[&str]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let missing = dir.path().join("no such folder").join("out.svg");
    let path = missing.to_str().expect("a UTF-8 temporary path");
    assert_usage_error(bin, &[args, &["--timeline", path]].concat());
    assert!(!missing.exists());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fork_lock_fails_a_test_that_leaves_a_child_behind() {
        let lock = fork_lock();
        let mut child = Command::new("/bin/true").spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        // Not waited for: a zombie once it exits, and still ours.
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(lock)));
        let message = failed.expect_err("the lock's check passed with a child left");
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.contains(&format!("{pid}")), "{message}");
        // The failed check poisoned the lock; it is taken again all the same, and passes
        // once the child is reaped.
        let _lock = fork_lock();
        child.wait().unwrap();
    }

    #[test]
    fn a_usage_error_is_status_2_one_line_and_no_stdout() {
        let _lock = fork_lock();
        assert_usage_error("/bin/sh", &["-c", "echo 'x: bad flag' >&2; exit 2"]);
    }

    #[test]
    #[should_panic(expected = "Some(0)")]
    fn every_case_of_assert_usage_errors_is_checked() {
        let _lock = fork_lock();
        assert_usage_errors(
            "/bin/sh",
            &[&["-c", "echo 'x: bad' >&2; exit 2"], &["-c", "exit 0"]],
        );
    }

    #[test]
    #[should_panic(expected = "stdout")]
    fn a_usage_error_that_prints_on_stdout_fails() {
        let _lock = fork_lock();
        assert_usage_error("/bin/sh", &["-c", "echo usage; echo 'x: bad' >&2; exit 2"]);
    }

    #[test]
    #[should_panic(expected = "Some(3)")]
    fn run_ok_names_the_failure() {
        let _lock = fork_lock();
        run_ok("/bin/sh", &["-c", "exit 3"]);
    }

    /// The macro's tests, run against a shell that keeps the contract: its usage error is one
    /// line and status 2, its `--help` exits 0, and on SIGTERM or SIGINT it kills and reaps
    /// its child and exits 128 + the signal. POSIX `wait` returns at once when a trapped
    /// signal arrives, and the trap runs (sh(1p), "wait"); `$!` is the background child.
    mod cli_contract_of_a_shell {
        crate::cli_contract! {
            bin: "/bin/bash",
            refused: [&["-c", "echo 'bash: bad flag' >&2; exit 2"]],
            help_mentions: ["--help", "GNU"],
            help_hides: ["--frobnicate"],
            quick_run: ["-c", "exit 0"],
            busy_run: [
                "-c",
                "trap 'kill $!; wait $!; exit 143' TERM; trap 'kill $!; wait $!; exit 130' INT; \
                 sleep 60 & wait $!",
            ],
            busy_ready: |below| below.len() == 1,
        }
    }

    #[test]
    fn run_ok_returns_stdout() {
        let _lock = fork_lock();
        assert_eq!(run_ok("/bin/sh", &["-c", "echo hello"]), "hello\n");
    }
}
