//! Measured results on disk, and how a result is written in the book.
//!
//! `cargo book measure` writes one [`schema::Report`] per lab to `results/local/<lab>.json` (the
//! reader's machine, git-ignored) or, with `--reference`, to `results/reference/<lab>.json`
//! (committed: the numbers every reader sees). Each folder is loaded into one [`ResultSet`],
//! an index from record id to the record and the machine it was measured on. Folders are
//! found relative to the book root, so a test can build a book with results of its own.

use anyhow::Context;
use schema::timeline::Timeline;
use schema::{Machine, Record, Report, Unit};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Committed results from the reference machine, relative to the book root.
pub const REFERENCE_DIR: &str = "results/reference";
/// The reader's own results (`cargo book measure`), relative to the book root; git-ignored.
pub const LOCAL_DIR: &str = "results/local";

/// One record and the machine it was measured on.
#[derive(Debug, Clone, Copy)]
pub struct Measured<'a> {
    pub record: &'a Record,
    pub machine: &'a Machine,
}

/// Every record of one results folder, in file order and then in each report's order (the
/// order the lab measured them in, which is the order a table should show).
#[derive(Debug, Default)]
pub struct ResultSet {
    reports: Vec<Report>,
    /// Record id → (index in `reports`, index in that report's records).
    index: BTreeMap<String, (usize, usize)>,
}

impl ResultSet {
    /// Loads every `*.json` report in `dir`. A missing folder is an empty set (nobody has
    /// measured yet); a file that is not a report, or an id found in two files, is an error
    /// naming the file, because the book would otherwise show one of them silently.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut set = Self::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(set);
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        let mut origin: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let report: Report = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a lab report", path.display()))?;
            let report_index = set.reports.len();
            for (record_index, record) in report.records.iter().enumerate() {
                if let Some(first) = origin.insert(record.id.clone(), path.clone()) {
                    anyhow::bail!(
                        "result id `{}` is in both {} and {}",
                        record.id,
                        first.display(),
                        path.display()
                    );
                }
                set.index
                    .insert(record.id.clone(), (report_index, record_index));
            }
            set.reports.push(report);
        }
        Ok(set)
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The record with exactly this id.
    pub fn get(&self, id: &str) -> Option<Measured<'_>> {
        let &(report, record) = self.index.get(id)?;
        let report = &self.reports[report];
        Some(Measured {
            record: &report.records[record],
            machine: &report.machine,
        })
    }

    /// Every record under `prefix` (see [`under_prefix`]), in measuring order.
    pub fn under(&self, prefix: &str) -> Vec<Measured<'_>> {
        self.reports
            .iter()
            .flat_map(|report| {
                report.records.iter().map(move |record| Measured {
                    record,
                    machine: &report.machine,
                })
            })
            .filter(|m| under_prefix(&m.record.id, prefix))
            .collect()
    }

    /// The timeline recorded under exactly this id (a report's `timelines`), and the machine
    /// it was recorded on.
    pub fn timeline(&self, id: &str) -> Option<(&Timeline, &Machine)> {
        self.reports
            .iter()
            .find_map(|report| report.timeline(id).map(|t| (t, &report.machine)))
    }

    /// The machines of every report, most recent description of each machine only.
    pub fn machines(&self) -> Vec<&Machine> {
        distinct_machines(self.reports.iter().map(|r| &r.machine))
    }
}

/// Whether `id` is `prefix` itself or lies below it. Ids are paths (`spawn-cost/thread`), so
/// `spawn-cost` and `spawn-cost/` both mean the whole lab, and `spawn` means nothing in it:
/// a prefix never matches half a name.
pub fn under_prefix(id: &str, prefix: &str) -> bool {
    let Some(rest) = id.strip_prefix(prefix) else {
        return false;
    };
    rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/')
}

/// Machines with the same [`Machine::summary`] are one machine measured at different times;
/// keeps the latest description of each, in order of first appearance.
pub fn distinct_machines<'a>(machines: impl IntoIterator<Item = &'a Machine>) -> Vec<&'a Machine> {
    let mut kept: Vec<&Machine> = Vec::new();
    for machine in machines {
        match kept.iter_mut().find(|m| m.summary() == machine.summary()) {
            // RFC 3339 dates in UTC sort as text.
            Some(old) if old.date < machine.date => *old = machine,
            Some(_) => {}
            None => kept.push(machine),
        }
    }
    kept
}

/// The reference results and the reader's own, for a book rooted at `root`.
#[derive(Debug, Default)]
pub struct Results {
    pub reference: ResultSet,
    pub local: ResultSet,
}

impl Results {
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            reference: ResultSet::load(&root.join(REFERENCE_DIR))?,
            local: ResultSet::load(&root.join(LOCAL_DIR))?,
        })
    }
}

/// Writes a report as `dir/<lab>.json`, pretty-printed so a diff of the committed reference
/// results is readable. Returns the path written.
pub fn write_report(dir: &Path, report: &Report) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.json", report.lab));
    let mut json = report.to_json();
    json.push('\n');
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// A measured value as the book writes it: durations in the unit that keeps them readable
/// (`12.4 µs`), bytes in binary units, factors as `3.2×`, flags as `yes`/`no`, other counts
/// with their unit, singular for one (`1,024 updates`, `1 process`: [`Unit::after`]).
pub fn quantity(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Nanoseconds => schema::table::nanos(value),
        Unit::Bytes => schema::table::bytes(value),
        Unit::Factor => factor(value),
        Unit::Percent => format!("{}%", number(value)),
        // Labs record a yes/no outcome as 1 or 0.
        Unit::Flag if value == 1.0 => "yes".into(),
        Unit::Flag if value == 0.0 => "no".into(),
        _ => format!("{} {}", number(value), unit.after(value)),
    }
}

/// A plain number: whole numbers exactly with thousands separators, others with three
/// significant digits (a measurement is not more precise than that).
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let digits = format!("{}", value.abs() as u64);
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if value < 0.0 { "-" } else { "" };
        return format!("{sign}{grouped}");
    }
    let magnitude = value.abs();
    let decimals = match magnitude {
        m if m >= 100.0 => 0,
        m if m >= 10.0 => 1,
        m if m >= 1.0 => 2,
        // Small values keep three significant digits: 0.0123.
        m if m > 0.0 => (2.0 - m.log10().floor()) as usize,
        _ => 0,
    };
    format!("{value:.decimals$}")
}

/// A ratio as `14×` from ten up, `3.2×` below ten, and `0.45×` below one (one decimal would
/// round a real difference away there).
pub fn factor(ratio: f64) -> String {
    if ratio >= 9.95 {
        format!("{ratio:.0}×")
    } else if ratio >= 0.995 {
        format!("{ratio:.1}×")
    } else {
        format!("{ratio:.2}×")
    }
}

/// The day a machine description was taken (`2025-06-01`), from its RFC 3339 date.
pub fn day(machine: &Machine) -> &str {
    machine.date.get(..10).unwrap_or(&machine.date)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use schema::Noun;

    /// A machine for the tests of this folder.
    pub(in crate::results) fn machine(cpu: &str, date: &str) -> Machine {
        Machine {
            cpu_model: cpu.into(),
            cores: 2,
            memory_bytes: 8 << 30,
            kernel: "Linux 6.1.0".into(),
            rustc: "rustc 1.88.0 (6b00bc388 2025-06-23)".into(),
            date: date.into(),
        }
    }

    #[test]
    fn prefixes_match_whole_path_segments() {
        assert!(under_prefix("spawn-cost/thread", "spawn-cost"));
        assert!(under_prefix("spawn-cost/thread", "spawn-cost/"));
        assert!(under_prefix("spawn-cost/thread", "spawn-cost/thread"));
        assert!(under_prefix("spawn-cost/fork/exec", "spawn-cost/fork"));
        assert!(!under_prefix("spawn-cost/thread", "spawn"));
        assert!(!under_prefix("spawn-cost/threads", "spawn-cost/thread"));
        assert!(!under_prefix("spawn-costly/x", "spawn-cost"));
    }

    #[test]
    fn formats_quantities_by_unit() {
        let count = |noun| Unit::Count(noun);
        assert_eq!(quantity(12_400.0, Unit::Nanoseconds), "12.4 µs");
        assert_eq!(quantity(850.0, Unit::Nanoseconds), "850 ns");
        assert_eq!(quantity(1_048_576.0, Unit::Bytes), "1.0 MiB");
        assert_eq!(quantity(1.0, Unit::Bytes), "1 B");
        assert_eq!(quantity(3.24, Unit::Factor), "3.2×");
        assert_eq!(quantity(12.5, Unit::Percent), "12.5%");
        assert_eq!(quantity(1.0, Unit::MibPerSecond), "1 MiB/s");
        assert_eq!(
            quantity(1234567.0, count(Noun::Updates)),
            "1,234,567 updates"
        );
        assert_eq!(quantity(0.0, count(Noun::Updates)), "0 updates");
        assert_eq!(quantity(12.345, count(Noun::Threads)), "12.3 threads");
        assert_eq!(number(-1000.0), "-1,000");
        assert_eq!(number(0.012345), "0.0123");
        assert_eq!(number(1.5), "1.50");
    }

    #[test]
    fn a_count_of_one_takes_the_singular_and_a_flag_reads_yes_or_no() {
        assert_eq!(quantity(1.0, Unit::Count(Noun::Processes)), "1 process");
        assert_eq!(quantity(-1.0, Unit::Count(Noun::Updates)), "-1 update");
        assert_eq!(quantity(1.5, Unit::Count(Noun::Threads)), "1.50 threads");
        assert_eq!(quantity(1.0, Unit::Flag), "yes");
        assert_eq!(quantity(0.0, Unit::Flag), "no");
    }

    #[test]
    fn formats_ratios() {
        assert_eq!(factor(14.2), "14×");
        assert_eq!(factor(9.96), "10×");
        assert_eq!(factor(3.24), "3.2×");
        assert_eq!(factor(1.0), "1.0×");
        assert_eq!(factor(0.454), "0.45×");
    }

    #[test]
    fn keeps_the_latest_description_of_each_machine() {
        let old = machine("CPU A", "2025-01-01T00:00:00Z");
        let new = machine("CPU A", "2025-02-01T00:00:00Z");
        let other = machine("CPU B", "2025-01-15T00:00:00Z");
        let kept = distinct_machines([&old, &other, &new]);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].date, new.date);
        assert_eq!(kept[1].cpu_model, "CPU B");
        assert_eq!(day(&new), "2025-02-01");
    }

    #[test]
    fn loads_a_folder_and_rejects_duplicate_ids() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("results");
        let mut a = Report {
            lab: "a".into(),
            machine: machine("CPU A", "2025-01-01T00:00:00Z"),
            records: vec![
                Record::count("a/two", "second", Unit::Count(Noun::Updates), 2.0),
                Record::count("a/one", "first", Unit::Count(Noun::Updates), 1.0),
            ],
            benchmarks: Vec::new(),
            timelines: Vec::new(),
        };
        write_report(&dir, &a).unwrap();
        let set = ResultSet::load(&dir).unwrap();
        let ids: Vec<&str> = set
            .under("a")
            .iter()
            .map(|m| m.record.id.as_str())
            .collect();
        assert_eq!(ids, ["a/two", "a/one"], "measuring order, not sorted");
        assert_eq!(set.get("a/one").unwrap().record.median, 1.0);
        assert!(set.get("a/three").is_none());

        a.lab = "b".into();
        write_report(&dir, &a).unwrap();
        let err = ResultSet::load(&dir).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("`a/two` is in both"), "{err}");
        assert!(ResultSet::load(&dir).unwrap().is_empty(), "missing folder");
    }
}
