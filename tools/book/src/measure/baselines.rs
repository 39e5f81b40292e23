//! The labs' figures beside their independent baselines, measured in the same run.
//!
//! The baselines crate (`baselines/`) times the bare primitives in a small C program and with
//! `perf bench sched pipe`. [`PAIRS`] says which lab figure each baseline measures
//! independently. After a `cargo book measure` run, [`compare`] sets each lab figure beside
//! its baseline from the same results folder and [`warn`] names every pair more than
//! [`TOLERANCE`] apart; the check ([`check`]) asks that some page show every pair's ratio
//! with `{{#ratio LAB BASELINE}}`, so the book says how far a figure is from the bare call
//! instead of hiding it.

use crate::results::{ResultSet, factor, quantity};
use crate::source::{Problem, pages};
use std::path::Path;

/// A lab figure and the baseline that measures the same thing without the lab's language or
/// harness, with what the two time in words.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub lab: &'static str,
    pub baseline: &'static str,
    pub what: &'static str,
}

/// Every lab figure with an independent baseline.
pub const PAIRS: [Pair; 11] = [
    Pair {
        lab: "spawn-cost/thread",
        baseline: "baseline/c/pthread",
        what: "std::thread::spawn + join vs pthread_create + pthread_join",
    },
    Pair {
        lab: "spawn-cost/pthread",
        baseline: "baseline/c/pthread",
        what: "pthread_create + pthread_join from Rust vs from C",
    },
    Pair {
        lab: "spawn-cost/fork",
        baseline: "baseline/c/fork",
        what: "fork + _exit + waitpid from Rust vs from C",
    },
    Pair {
        lab: "spawn-cost/vfork",
        baseline: "baseline/c/vfork",
        what: "a child that borrows the parent's memory, from Rust vs C's vfork",
    },
    Pair {
        lab: "spawn-cost/posix-spawn",
        baseline: "baseline/c/posix-spawn",
        what: "posix_spawn of /bin/true + waitpid from Rust vs from C",
    },
    Pair {
        lab: "context-switch/pipe-threads/same-cpu",
        baseline: "baseline/c/pipe-threads-same-cpu",
        what: "a pipe round trip between two threads on one CPU, Rust vs C",
    },
    Pair {
        lab: "context-switch/pipe-processes/same-cpu",
        baseline: "baseline/c/pipe-processes-same-cpu",
        what: "a pipe round trip between two processes on one CPU, Rust vs C",
    },
    Pair {
        lab: "context-switch/pipe-threads/across-cpus",
        baseline: "baseline/c/pipe-threads-two-cpus",
        what: "a pipe round trip between two threads on two CPUs, Rust vs C",
    },
    Pair {
        lab: "context-switch/pipe-processes/across-cpus",
        baseline: "baseline/c/pipe-processes-two-cpus",
        what: "a pipe round trip between two processes on two CPUs, Rust vs C",
    },
    Pair {
        lab: "context-switch/pipe-processes/across-cpus",
        baseline: "baseline/perf/pipe-processes",
        what: "a pipe round trip between two processes, the lab (pinned to two CPUs) vs perf \
               bench sched pipe (not pinned: on an idle two-CPU machine its two processes run \
               on different CPUs)",
    },
    Pair {
        lab: "context-switch/pipe-threads/across-cpus",
        baseline: "baseline/perf/pipe-threads",
        what: "a pipe round trip between two threads, the lab (pinned to two CPUs) vs perf \
               bench sched pipe -T (not pinned)",
    },
];

/// How far apart a lab figure and its baseline may be before `measure` says so.
pub const TOLERANCE: f64 = 0.10;

/// A pair found in one results folder.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub pair: Pair,
    pub lab: f64,
    pub baseline: f64,
}

impl Comparison {
    /// The lab's figure over the baseline's: 1.43 means the lab took 43 % longer.
    pub fn ratio(&self) -> f64 {
        self.lab / self.baseline
    }

    pub fn within_tolerance(&self) -> bool {
        (self.ratio() - 1.0).abs() <= TOLERANCE
    }

    /// One line: both figures, the ratio, and whether it is within [`TOLERANCE`].
    pub fn line(&self, results: &ResultSet) -> String {
        let show = |id: &str, value: f64| {
            let unit = results
                .get(id)
                .map_or(schema::Unit::Nanoseconds, |m| m.record.unit);
            quantity(value, unit)
        };
        let verdict = if self.within_tolerance() {
            "within 10%".to_owned()
        } else {
            format!(
                "more than {:.0}% apart: the page shows and explains the difference",
                TOLERANCE * 100.0
            )
        };
        format!(
            "{} ({}) is {} {} ({}), {verdict}",
            self.pair.lab,
            show(self.pair.lab, self.lab),
            factor(self.ratio()),
            self.pair.baseline,
            show(self.pair.baseline, self.baseline),
        )
    }
}

/// Every pair of [`PAIRS`] with both figures in `results` (one folder: one run).
pub fn compare(results: &ResultSet) -> Vec<Comparison> {
    PAIRS
        .iter()
        .filter_map(|pair| {
            let lab = results.get(pair.lab)?.record.median;
            let baseline = results.get(pair.baseline)?.record.median;
            (baseline > 0.0).then_some(Comparison {
                pair: *pair,
                lab,
                baseline,
            })
        })
        .collect()
}

/// The lines `measure` prints after a run: every pair it can compare, those beyond
/// [`TOLERANCE`] marked.
pub fn warn(results: &ResultSet) -> Vec<String> {
    compare(results)
        .iter()
        .map(|c| {
            let mark = if c.within_tolerance() { "  " } else { "! " };
            format!("{mark}{}", c.line(results))
        })
        .collect()
}

/// For every pair whose two figures are in the reference results: some page shows their
/// ratio with `{{#ratio LAB BASELINE}}` (the problem points at the reference results file
/// of the lab).
pub fn check(root: &Path, reference: &ResultSet) -> Vec<Problem> {
    let pages = pages(root);
    compare(reference)
        .into_iter()
        .filter(|c| {
            let directive = format!("{{{{#ratio {} {}}}}}", c.pair.lab, c.pair.baseline);
            !pages.iter().any(|page| page.text.contains(&directive))
        })
        .map(|c| {
            let lab = c.pair.lab.split('/').next().unwrap_or(c.pair.lab);
            Problem::new(
                &Path::new(crate::results::REFERENCE_DIR).join(format!("{lab}.json")),
                1,
                format!(
                    "no page shows `{}` beside its baseline `{}` ({}): add \
                     `{{{{#ratio {} {}}}}}` where the page gives the lab's figure, and explain \
                     the difference if it is more than {:.0}% ({} on the reference machine)",
                    c.pair.lab,
                    c.pair.baseline,
                    c.pair.what,
                    c.pair.lab,
                    c.pair.baseline,
                    TOLERANCE * 100.0,
                    factor(c.ratio()),
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use schema::{Record, Report, Summary};

    fn results(records: &[(&str, f64)]) -> (tempfile::TempDir, ResultSet) {
        let dir = tempfile::tempdir().expect("temp dir");
        for lab in ["spawn-cost", "baseline"] {
            let mut report = Report::new(lab);
            for (id, median) in records.iter().filter(|(id, _)| id.starts_with(lab)) {
                report.push(Record::nanos(*id, "x", Summary::single(*median)));
            }
            crate::results::write_report(dir.path(), &report).expect("write");
        }
        let set = ResultSet::load(dir.path()).expect("load");
        (dir, set)
    }

    #[test]
    fn compares_the_pairs_present_and_marks_those_apart() {
        let (_dir, set) = results(&[
            ("spawn-cost/thread", 28_000.0),
            ("spawn-cost/fork", 105_000.0),
            ("baseline/c/pthread", 20_000.0),
            ("baseline/c/fork", 100_000.0),
        ]);
        let found = compare(&set);
        let ids: Vec<&str> = found.iter().map(|c| c.pair.lab).collect();
        assert_eq!(ids, ["spawn-cost/thread", "spawn-cost/fork"]);
        assert!(!found[0].within_tolerance(), "1.4× is beyond 10%");
        assert!(found[1].within_tolerance(), "1.05× is within 10%");
        let lines = warn(&set);
        assert!(
            lines[0]
                .starts_with("! spawn-cost/thread (28.0 µs) is 1.4× baseline/c/pthread (20.0 µs)"),
            "{lines:?}"
        );
        assert!(lines[0].contains("explains the difference"), "{lines:?}");
        assert!(lines[1].starts_with("  spawn-cost/fork"), "{lines:?}");
        assert!(lines[1].ends_with("within 10%"), "{lines:?}");
    }

    #[test]
    fn the_check_asks_a_page_to_show_each_pair_measured() {
        let (dir, set) = results(&[
            ("spawn-cost/thread", 28_000.0),
            ("baseline/c/pthread", 20_000.0),
            ("spawn-cost/fork", 105_000.0),
        ]);
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(
            root.join("src/a.md"),
            "# A\n\nA thread took {{#value spawn-cost/thread}}.\n",
        )
        .unwrap();
        let problems = check(root, &set);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let message = &problems[0].message;
        assert!(
            message.contains("{{#ratio spawn-cost/thread baseline/c/pthread}}"),
            "{message}"
        );
        assert!(
            message.contains("1.4× on the reference machine"),
            "{message}"
        );
        assert_eq!(
            problems[0].file,
            Path::new("results/reference/spawn-cost.json")
        );
        std::fs::write(
            root.join("src/a.md"),
            "# A\n\n{{#ratio spawn-cost/thread baseline/c/pthread}} a bare pthread_create.\n",
        )
        .unwrap();
        assert!(check(root, &set).is_empty(), "shown: no problem");
    }

    #[test]
    fn every_pair_names_a_lab_record_and_a_baseline_record() {
        for pair in PAIRS {
            assert!(!pair.lab.starts_with("baseline/"), "{pair:?}");
            assert!(pair.baseline.starts_with("baseline/"), "{pair:?}");
        }
    }
}
