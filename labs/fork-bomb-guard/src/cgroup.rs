//! A child cgroup of our own with a small `pids.max`: a limit that binds root.
//!
//! `RLIMIT_NPROC` is not enforced for the host's root (kernel/fork.c, `copy_process`), but
//! the pids controller is: "fork() and clone() will return -EAGAIN if the creation of a new
//! process would cause a cgroup policy to be violated" (the kernel's
//! Documentation/admin-guide/cgroup-v1/pids.rst; the same controller in
//! Documentation/admin-guide/cgroup-v2.rst, "PID"). fork(2) lists it under `EAGAIN`: "the
//! PID limit (pids.max) imposed by the cgroup "process number" (PIDs) controller was
//! reached".
//!
//! [`PidsCgroup::create`] finds the pids controller of this process's cgroup: v1's `pids`
//! hierarchy (a `cgroup` mount with the `pids` option), or the v2 unified hierarchy when
//! `pids` is in our cgroup's `cgroup.subtree_control` (cgroup-v2.rst, "Enabling and
//! Disabling": only then do our cgroup's children get a `pids.max`). It makes a child
//! cgroup with a unique name (`fork-bomb-guard-PID-N`) and writes `pids.max`. Where it
//! cannot (no pids controller, not allowed, read-only), it says why in one line:
//! [`Unavailable`].
//!
//! The guard removes the directory when dropped: `rmdir(2)` succeeds once no live process
//! is left in it (cgroup-v2.rst, "Processes": a cgroup "associated only with zombie
//! processes is considered empty"), so the harness drops it after killing and reaping the
//! tree. The harness catches SIGINT, SIGTERM and SIGHUP itself (it only notes the signal,
//! then unwinds normally), so the guard's `Drop` runs on those paths too, as on an error
//! or a panic. Only SIGKILL skips it: the next [`PidsCgroup::create`] removes the empty
//! cgroups that dead labs left ([`remove_stale`]).

use anyhow::Context;
use nix::errno::Errno;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The prefix of our cgroups' names; the lab's pid and a counter follow.
const PREFIX: &str = "fork-bomb-guard-";

/// Why the lab cannot make a cgroup here, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A child cgroup of ours, removed on drop.
#[derive(Debug)]
pub struct PidsCgroup {
    dir: PathBuf,
    /// `DIR/cgroup.procs` as a C string, made before any fork: a forked child writes `0`
    /// to it to move itself in (cgroups(7): "Writing the value 0 to a cgroup.procs file
    /// causes the writing process to be moved to the corresponding cgroup").
    procs: CString,
    pids_max: u32,
}

impl PidsCgroup {
    /// Makes a cgroup under ours with `pids.max` = `pids_max`.
    ///
    /// `Ok(Err(Unavailable))` when this machine does not let us (the one-line reason); an
    /// error when it should have and something failed (the cgroup, if made, is removed
    /// again).
    pub fn create(pids_max: u32) -> anyhow::Result<Result<PidsCgroup, Unavailable>> {
        let parent = match our_pids_cgroup() {
            Ok(parent) => parent,
            Err(unavailable) => return Ok(Err(unavailable)),
        };
        remove_stale(&parent);
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let dir = parent.join(name);
        if let Err(err) = std::fs::create_dir(&dir) {
            let why = match err.raw_os_error().map(Errno::from_raw) {
                Some(Errno::EACCES | Errno::EPERM) => {
                    format!(
                        "not allowed to create a cgroup in {} (run as root)",
                        parent.display()
                    )
                }
                Some(Errno::EROFS) => format!("{} is read-only", parent.display()),
                _ => format!("cannot create a cgroup in {}: {err}", parent.display()),
            };
            return Ok(Err(Unavailable(why)));
        }
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes())
            .expect("a path from /proc has no NUL");
        let cgroup = PidsCgroup {
            dir,
            procs,
            pids_max,
        };
        // From here on, an error drops `cgroup`, which removes the directory.
        std::fs::write(cgroup.dir.join("pids.max"), pids_max.to_string())
            .with_context(|| format!("writing {}/pids.max", cgroup.dir.display()))?;
        Ok(Ok(cgroup))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pids_max(&self) -> u32 {
        self.pids_max
    }

    /// The path a forked child opens to move itself in (see [`join`]).
    pub fn procs_path(&self) -> &CString {
        &self.procs
    }

    /// `pids.current`: the tasks (processes and threads) in the cgroup now.
    pub fn current(&self) -> Option<u32> {
        self.number("pids.current")
    }

    /// `pids.peak`: the most tasks it ever held (cgroup-v2.rst: "The maximum value that
    /// the number of processes in the cgroup and its descendants has ever reached"). Newer
    /// kernels only: `None` where the file does not exist.
    pub fn peak(&self) -> Option<u32> {
        self.number("pids.peak")
    }

    /// `pids.events`' `max` counter: "Number of times fork failed because limit was hit"
    /// (pids.rst).
    pub fn events_max(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.dir.join("pids.events")).ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("max "))
            .and_then(|n| n.trim().parse().ok())
    }

    /// The processes in the cgroup now (`cgroup.procs`, one pid per line).
    pub fn processes(&self) -> Option<usize> {
        let text = std::fs::read_to_string(self.dir.join("cgroup.procs")).ok()?;
        Some(text.lines().filter(|line| !line.trim().is_empty()).count())
    }

    fn number(&self, file: &str) -> Option<u32> {
        std::fs::read_to_string(self.dir.join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        remove(&self.dir);
    }
}

/// Removes a cgroup directory. `EBUSY` means a process is still in it: one the caller has
/// just killed may take a moment to be released, so it tries again, a bounded number of
/// times (never a wait for something that cannot happen: after that it gives up).
fn remove(dir: &Path) {
    for _ in 0..500 {
        // `remove_dir` is rmdir(2) (library/std/src/sys/pal/unix/fs.rs).
        match std::fs::remove_dir(dir).map_err(|e| e.raw_os_error().map(Errno::from_raw)) {
            Err(Some(Errno::EBUSY | Errno::EINTR)) => {
                std::thread::sleep(Duration::from_millis(2));
            }
            _ => return,
        }
    }
}

/// Removes the empty cgroups that labs killed by SIGKILL left behind: ours by name, whose
/// lab (the pid in the name) is gone. `rmdir` refuses a cgroup with a live process in it,
/// so this can never pull one from under a running tree.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// Moves the calling process into the cgroup whose `cgroup.procs` is `procs`, by writing
/// `0` to it. Async-signal-safe (open, write, close: signal-safety(7)), for a forked child.
pub fn join(procs: &CString) -> bool {
    // SAFETY: `procs` is a NUL-terminated path; open, write and close are plain system
    // calls on it and on a two-byte buffer that lives on this frame.
    unsafe {
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return false;
        }
        let written = libc::write(fd, b"0\n".as_ptr().cast(), 2);
        libc::close(fd);
        written == 2
    }
}

/// The directory of this process's cgroup in a hierarchy with the pids controller, from
/// `/proc/self/cgroup` and `/proc/self/mountinfo`.
pub fn our_pids_cgroup() -> Result<PathBuf, Unavailable> {
    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|e| Unavailable(format!("cannot read {path}: {e}")))
    };
    find_pids_cgroup(
        &read("/proc/self/cgroup")?,
        &read("/proc/self/mountinfo")?,
        |dir| std::fs::read_to_string(dir.join("cgroup.subtree_control")).ok(),
    )
}

/// [`our_pids_cgroup`] on the files' texts; `subtree_control` reads a v2 cgroup's
/// `cgroup.subtree_control`.
///
/// A `/proc/self/cgroup` line is `ID:CONTROLLERS:PATH` (cgroups(7)): v1's pids line names
/// `pids`, v2's is `0::PATH`. A mountinfo line's fields 4 and 5 are the mount's root within
/// the hierarchy and its mount point; after ` - ` come the type and the super options
/// (proc(5)), which name `pids` for v1's pids hierarchy.
pub fn find_pids_cgroup(
    proc_self_cgroup: &str,
    mountinfo: &str,
    subtree_control: impl Fn(&Path) -> Option<String>,
) -> Result<PathBuf, Unavailable> {
    let mounts: Vec<(String, String, String, String)> = mountinfo
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let fields: Vec<&str> = left.split(' ').collect();
            let after: Vec<&str> = right.split(' ').collect();
            Some((
                fields.get(3)?.to_string(),
                fields.get(4)?.to_string(),
                after.first()?.to_string(),
                after.get(2)?.to_string(),
            ))
        })
        .collect();
    let under = |mount_root: &str, mount_point: &str, path: &str| {
        // A cgroup namespace or a bind mount may show only part of the hierarchy.
        let relative = path
            .strip_prefix(mount_root)
            .unwrap_or(path)
            .trim_start_matches('/');
        match relative {
            "" => PathBuf::from(mount_point),
            relative => Path::new(mount_point).join(relative),
        }
    };
    let mut v2_path = None;
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if controllers.split(',').any(|c| c == "pids") {
            let mount = mounts.iter().find(|(_, _, kind, options)| {
                kind == "cgroup" && options.split(',').any(|o| o == "pids")
            });
            return match mount {
                Some((root, point, _, _)) => Ok(under(root, point, path)),
                None => Err(Unavailable(
                    "the pids hierarchy (cgroup v1) is not mounted".to_owned(),
                )),
            };
        }
        if id == "0" && controllers.is_empty() {
            v2_path = Some(path.to_owned());
        }
    }
    let Some(path) = v2_path else {
        return Err(Unavailable(
            "no pids controller in /proc/self/cgroup".to_owned(),
        ));
    };
    let Some((root, point, _, _)) = mounts.iter().find(|(_, _, kind, _)| kind == "cgroup2") else {
        return Err(Unavailable("cgroup v2 is not mounted".to_owned()));
    };
    let dir = under(root, point, &path);
    match subtree_control(&dir) {
        Some(enabled) if enabled.split_whitespace().any(|c| c == "pids") => Ok(dir),
        _ => Err(Unavailable(format!(
            "pids is not enabled in {}/cgroup.subtree_control",
            dir.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn finds_v1_pids_hierarchy() {
        let found = find_pids_cgroup("8:pids:/a/b\n4:memory:/m\n0::/\n", MOUNTS, |_| None);
        assert_eq!(found, Ok(PathBuf::from("/sys/fs/cgroup/pids/a/b")));
        let root = find_pids_cgroup("8:pids:/\n", MOUNTS, |_| None);
        assert_eq!(root, Ok(PathBuf::from("/sys/fs/cgroup/pids")));
    }

    #[test]
    fn v2_needs_pids_in_subtree_control() {
        let mounts = "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let enabled = |_: &Path| Some("cpu memory pids\n".to_owned());
        assert_eq!(
            find_pids_cgroup("0::/user.slice/x\n", mounts, enabled),
            Ok(PathBuf::from("/sys/fs/cgroup/user.slice/x"))
        );
        let disabled = find_pids_cgroup("0::/x\n", mounts, |_| Some("memory\n".to_owned()));
        assert!(disabled.unwrap_err().0.contains("subtree_control"));
    }

    #[test]
    fn says_why_when_there_is_no_pids_controller() {
        let err = find_pids_cgroup("4:memory:/m\n", MOUNTS, |_| None).unwrap_err();
        assert!(err.0.contains("no pids controller"), "{err}");
        let unmounted = find_pids_cgroup("8:pids:/\n", "", |_| None).unwrap_err();
        assert!(unmounted.0.contains("not mounted"), "{unmounted}");
    }
}
