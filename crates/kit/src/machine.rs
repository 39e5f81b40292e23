//! What a result was measured on. Every report carries one, and every record in it was
//! measured on that machine, because a number without its machine means little: fork's
//! cost depends on the kernel, a speed-up on the core count. The labs also ask how much
//! room the machine has left: memory and processes.

// The type and its `detect` are portable and live in the `schema` crate, which the book tool
// uses without the kit; what stays here reads Linux's /proc and cgroup files for the labs.
pub use schema::machine::Machine;
use std::path::Path;

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
    use super::pids_left;
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
    fn reads_the_memory_and_process_room_of_this_machine() {
        assert!(super::mem_available_bytes().unwrap() > 0);
        assert!(super::processes_left().is_some_and(|left| left > 0));
    }
}
