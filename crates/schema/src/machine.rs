//! What a result was measured on. Every report carries one, and every record in it was
//! measured on that machine, because a number without its machine means little: fork's
//! cost depends on the kernel, a speed-up on the core count.
//!
//! [`Machine::detect`] reads /proc on Linux, where every lab runs; elsewhere it asks
//! `sysctl` and `uname` and leaves what it cannot read "unknown", so this crate (and the
//! book tool that reads results) builds on any OS.

use serde::{Deserialize, Serialize};
#[cfg(target_os = "linux")]
use std::path::Path;
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo (sysctl's `machdep.cpu.brand_string` on macOS).
    pub cpu_model: String,
    /// CPUs this process may run on (`std::thread::available_parallelism`).
    pub cores: usize,
    /// `MemTotal` from /proc/meminfo (sysctl's `hw.memsize` on macOS), in bytes.
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
            rustc: env!("SCHEMA_RUSTC_VERSION").to_owned(),
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

/// `model name` from /proc/cpuinfo (proc(5)).
#[cfg(target_os = "linux")]
fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Without /proc, sysctl(8) names the CPU on macOS (`machdep.cpu.brand_string`); elsewhere
/// the CPU stays unknown.
#[cfg(not(target_os = "linux"))]
fn cpu_model() -> Option<String> {
    command_line("sysctl", &["-n", "machdep.cpu.brand_string"])
}

/// `MemTotal` from /proc/meminfo (proc(5)), in bytes.
#[cfg(target_os = "linux")]
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

/// Without /proc, sysctl(8)'s `hw.memsize` on macOS, in bytes.
#[cfg(not(target_os = "linux"))]
fn mem_total_bytes() -> Option<u64> {
    command_line("sysctl", &["-n", "hw.memsize"])?.parse().ok()
}

/// What `uname -sr` prints. On Linux from the two files proc(5) documents as uname's
/// sysname and release (`/proc/sys/kernel/ostype`, `osrelease`), so no system call wrapper
/// is needed.
#[cfg(target_os = "linux")]
fn kernel() -> Option<String> {
    let read = |name: &str| {
        std::fs::read_to_string(Path::new("/proc/sys/kernel").join(name))
            .ok()
            .map(|text| text.trim().to_owned())
    };
    Some(format!("{} {}", read("ostype")?, read("osrelease")?))
}

/// `uname -sr` where there is a uname (macOS, the BSDs); Windows has none, and gets the name
/// Rust knows it by.
#[cfg(not(target_os = "linux"))]
fn kernel() -> Option<String> {
    command_line("uname", &["-sr"]).or_else(|| Some(std::env::consts::OS.to_owned()))
}

/// The first line a program prints, if it runs and succeeds.
#[cfg(not(target_os = "linux"))]
fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.lines().next()?.trim();
    (out.status.success() && !line.is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::Machine;

    #[test]
    fn describes_this_machine() {
        let machine = Machine::detect();
        assert!(machine.cores >= 1);
        #[cfg(target_os = "linux")]
        {
            assert!(machine.memory_bytes > 0);
            assert!(machine.kernel.starts_with("Linux "), "{}", machine.kernel);
            assert!(!machine.cpu_model.is_empty());
        }
        assert!(machine.rustc.starts_with("rustc "));
        assert!(machine.summary().contains("cores"));
    }
}
