//! One way to act on changed files: `cargo book serve` rebuilds the book and
//! `cargo book exercises --watch` checks the exercises again. Both watch folders with notify,
//! ignore mere reads, and let a burst of events settle (an editor's save is often several)
//! before acting once.

use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Changes arriving within this window after the first one cause one action, not many.
pub const SETTLE: Duration = Duration::from_millis(300);

/// Watches `paths` (those that exist, recursively) and calls `act` once per settled burst of
/// changes to a file `relevant` accepts, until `act` fails or the watcher stops.
pub fn on_change(
    paths: &[PathBuf],
    relevant: impl Fn(&Path) -> bool + Send + 'static,
    act: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    on_change_while(paths, relevant, &AtomicBool::new(true), act)
}

/// [`on_change`] that also returns, within [`SETTLE`], once `running` is false: a test runs
/// `cargo book serve`'s loop on a thread of its own and must be able to end it.
pub fn on_change_while(
    paths: &[PathBuf],
    relevant: impl Fn(&Path) -> bool + Send + 'static,
    running: &AtomicBool,
    mut act: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (changed_tx, changed) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
            && event.paths.iter().any(|p| relevant(p))
        {
            let _ = changed_tx.send(());
        }
    })?;
    for path in paths.iter().filter(|p| p.exists()) {
        watcher.watch(path, RecursiveMode::Recursive)?;
    }
    // The flag is looked at between waits: a change would wake a plain `recv`, a stop would not.
    while running.load(Ordering::SeqCst) {
        match changed.recv_timeout(SETTLE) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
        std::thread::sleep(SETTLE);
        while changed.try_recv().is_ok() {}
        act()?;
    }
    Ok(())
}
