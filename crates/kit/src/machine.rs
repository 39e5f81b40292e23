//! What a result was measured on. Every report carries one, and every record in it was
//! measured on that machine, because a number without its machine means little: fork's
//! cost depends on the kernel, a speed-up on the core count.

use serde::{Deserialize, Serialize};
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

#[cfg(test)]
mod tests {
    use super::Machine;

    #[test]
    fn describes_this_machine() {
        let machine = Machine::detect();
        assert!(machine.cores >= 1);
        assert!(machine.memory_bytes > 0);
        assert!(machine.kernel.starts_with("Linux"));
        assert!(machine.rustc.starts_with("rustc "));
        assert!(machine.summary().contains("cores"));
    }
}
