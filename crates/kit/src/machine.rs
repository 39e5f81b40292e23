//! What a result was measured on. Every report carries one, and every record in it was
//! measured on that machine, because a number without its machine means little: fork's
//! cost depends on the kernel, a speed-up on the core count.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// CPUs this process may run on (`std::thread::available_parallelism`).
    pub cores: usize,
    /// `MemTotal` from /proc/meminfo, in bytes.
    pub memory_bytes: u64,
    /// Kernel name and release, as `uname -sr` prints them.
    pub kernel: String,
    /// The compiler that built the lab, as `rustc --version` prints it.
    pub rustc: String,
    /// When the description was taken, RFC 3339 in UTC.
    pub date: String,
}

impl Machine {
    /// Describes the machine this process runs on. Fields that cannot be read say "unknown".
    pub fn detect() -> Self {
        Self {
            cpu_model: cpu_model().unwrap_or_else(|| "unknown CPU".into()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: mem_total_bytes().unwrap_or(0),
            kernel: kernel().unwrap_or_else(|| "unknown kernel".into()),
            rustc: env!("KIT_RUSTC_VERSION").to_owned(),
            date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        }
    }

    /// One line for a report header, e.g. `Intel Xeon …, 2 cores, 23.4 GiB, Linux 6.1.0, rustc 1.95.0`.
    pub fn summary(&self) -> String {
        let gib = self.memory_bytes as f64 / (1u64 << 30) as f64;
        let rustc = self.rustc.split(' ').take(2).collect::<Vec<_>>().join(" ");
        format!(
            "{}, {} cores, {gib:.1} GiB, {}, {rustc}",
            self.cpu_model, self.cores, self.kernel
        )
    }
}

fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn mem_total_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn kernel() -> Option<String> {
    let uts = nix::sys::utsname::uname().ok()?;
    Some(format!(
        "{} {}",
        uts.sysname().to_string_lossy(),
        uts.release().to_string_lossy()
    ))
}

/// `MemAvailable` from `/proc/meminfo` (proc(5)): how much memory can be used without
/// swapping, in bytes. Labs that make big parents check their sizes against it.
pub fn mem_available_bytes() -> anyhow::Result<u64> {
    use anyhow::Context;
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    let kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .context("/proc/meminfo has no MemAvailable")?
        .split_whitespace()
        .next()
        .context("empty MemAvailable")?
        .parse()?;
    Ok(kib * 1024)
}

/// How many more processes this machine lets us start, by the tightest limit we can read:
/// the pids controller of our cgroup and of every cgroup above it (`pids.max` less
/// `pids.current`, which binds root too; cgroup v2's unified hierarchy, or v1's `pids`
/// hierarchy where that is what is mounted), and the kernel's `threads-max` less the tasks
/// that exist now (`/proc/loadavg`'s fourth field, "running/total"). `None` if none can be
/// read.
pub fn processes_left() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let cgroup_left =
        read("/proc/self/cgroup").and_then(|text| pids_left(Path::new("/sys/fs/cgroup"), &text));
    let kernel_left = (|| {
        let max: u64 = read("/proc/sys/kernel/threads-max")?.trim().parse().ok()?;
        let loadavg = read("/proc/loadavg")?;
        let total: u64 = loadavg
            .split_whitespace()
            .nth(3)?
            .split('/')
            .nth(1)?
            .parse()
            .ok()?;
        Some(max.saturating_sub(total))
    })();
    match (cgroup_left, kernel_left) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The room the pids controller leaves, from `/proc/self/cgroup`'s text and the cgroup mount
/// (`root`): for our cgroup and each one above it that sets a number in `pids.max` (`max`
/// means no limit at that level), `pids.max` less `pids.current`; the smallest wins, since a
/// fork must fit every level. cgroup v2's line is `0::/path` (files under `root`), v1's pids
/// line `N:pids:/path` (files under `root/pids`). See cgroups(7) and the kernel's
/// Documentation/admin-guide/cgroup-v1/pids.rst.
fn pids_left(root: &Path, proc_self_cgroup: &str) -> Option<u64> {
    let (mount, path) = proc_self_cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        match controllers {
            "" => Some((root.to_path_buf(), path)),
            list if list.split(',').any(|c| c == "pids") => Some((root.join("pids"), path)),
            _ => None,
        }
    })?;
    let mut dir = mount.join(path.trim_start_matches('/'));
    let mut left: Option<u64> = None;
    loop {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        if let (Some(max), Some(current)) = (read("pids.max"), read("pids.current"))
            && let (Ok(max), Ok(current)) =
                (max.trim().parse::<u64>(), current.trim().parse::<u64>())
        {
            let here = max.saturating_sub(current);
            left = Some(left.map_or(here, |l| l.min(here)));
        }
        if dir == mount || !dir.pop() || !dir.starts_with(&mount) {
            return left;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Machine, pids_left};
    use std::path::Path;

    /// A cgroup tree in a temporary folder: `(relative dir, pids.max, pids.current)`.
    fn tree(levels: &[(&str, &str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("temp dir");
        for (dir, max, current) in levels {
            let dir = root.path().join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("pids.max"), format!("{max}\n")).unwrap();
            std::fs::write(dir.join("pids.current"), format!("{current}\n")).unwrap();
        }
        root
    }

    #[test]
    fn pids_room_is_the_tightest_level_in_v2_and_v1() {
        let v2 = tree(&[
            ("a", "100", "10"),
            ("a/b", "max", "3"),
            ("a/b/c", "500", "2"),
        ]);
        assert_eq!(
            pids_left(v2.path(), "0::/a/b/c\n"),
            Some(90),
            "the parent binds"
        );
        let v1 = tree(&[("pids/x", "40", "5")]);
        let text = "9:name=systemd:/\n8:pids:/x\n4:memory:/m\n";
        assert_eq!(pids_left(v1.path(), text), Some(35));
        let unlimited = tree(&[("u", "max", "7")]);
        assert_eq!(pids_left(unlimited.path(), "0::/u\n"), None);
        assert_eq!(pids_left(Path::new("/nonexistent"), "0::/\n"), None);
        assert_eq!(
            pids_left(v1.path(), "4:memory:/m\n"),
            None,
            "no pids controller"
        );
    }

    #[test]
    fn describes_this_machine() {
        let machine = Machine::detect();
        assert!(machine.cores >= 1);
        assert!(machine.memory_bytes > 0);
        assert!(machine.kernel.starts_with("Linux"));
        assert!(machine.rustc.starts_with("rustc "));
        assert!(machine.summary().contains("cores"));
    }

    #[test]
    fn reads_the_memory_and_process_room_of_this_machine() {
        assert!(super::mem_available_bytes().unwrap() > 0);
        assert!(super::processes_left().is_some_and(|left| left > 0));
    }
}
