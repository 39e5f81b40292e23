//! Everything the book tool knows about criterion, in one place: the flags `measure` passes to
//! a bench binary, the `--list` output, and the files criterion writes for each benchmark.
//!
//! Those files are criterion's implementation detail, not an interface it promises to keep.
//! No other module reads them, and the tests below are pinned to real output of criterion 0.8
//! committed under `tests/fixtures/criterion/`, so a change of shape fails here, loudly, and
//! not as a silently wrong number in the book. To refresh the fixture after a criterion
//! upgrade: run any bench with `CRITERION_HOME=DIR`, copy `DIR/*/new/{benchmark,estimates,
//! sample}.json` over the fixture, and update the pinned values.
//!
//! Layout, per benchmark: `HOME/<directory_name>/new/benchmark.json` (its id),
//! `…/new/estimates.json` (point estimates with confidence intervals, in nanoseconds for
//! criterion's default wall-clock measurement) and `…/new/sample.json` (the raw samples).

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where `measure` tells criterion (through `CRITERION_HOME`) to write a lab's results:
/// inside criterion's usual folder, apart from interactive `cargo bench` runs, one folder per
/// lab so each run starts empty and a renamed benchmark cannot linger as a stale result.
pub fn home(target_dir: &Path, lab: &str) -> PathBuf {
    target_dir.join("criterion/book-measure").join(lab)
}

/// Arguments for a bench binary to measure (what `cargo bench -- FLAGS` would pass). Quick
/// mode trades precision for time, about a second per benchmark so the whole book measures
/// in a few minutes on 2 cores: short warm-up and measurement, criterion's minimum of 10
/// samples (criterion overruns the measurement time rather than take fewer, so slow
/// operations such as a fork of a large parent need few samples to stay short), and fewer
/// bootstrap resamples for the confidence interval.
pub fn bench_args(quick: bool) -> Vec<&'static str> {
    let mut args = vec!["--bench", "--noplot"];
    if quick {
        args.extend([
            "--warm-up-time",
            "0.25",
            "--measurement-time",
            "0.5",
            "--sample-size",
            "10",
            "--nresamples",
            "5000",
        ]);
    }
    args
}

/// Roughly how long one benchmark takes with [`bench_args`], for the progress bar's ETA:
/// warm-up plus measurement plus analysis (criterion's defaults are 3 s and 5 s).
pub fn seconds_per_benchmark(quick: bool) -> f64 {
    if quick { 1.2 } else { 10.0 }
}

/// Arguments that make a bench binary list its benchmarks instead of running them.
pub const LIST_ARGS: [&str; 4] = ["--bench", "--list", "--format", "terse"];

/// The benchmark ids in `--list` output (lines `ID: benchmark`), in the order they run.
pub fn parse_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.strip_suffix(": benchmark"))
        .map(str::to_owned)
        .collect()
}

/// One benchmark's result, as the book records it: the median time per iteration with its
/// 95 % confidence interval as the spread.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// criterion's full id: `group/function`, or the name given to `bench_function`.
    pub id: String,
    /// Nanoseconds per iteration.
    pub median: f64,
    pub low: f64,
    pub high: f64,
    /// How many samples criterion took (each sample times many iterations).
    pub samples: u64,
}

/// Reads every benchmark under `home`, sorted by id.
pub fn read(home: &Path) -> anyhow::Result<Vec<Estimate>> {
    let mut estimates = Vec::new();
    for dir in result_dirs(home) {
        estimates.push(read_one(&dir).with_context(|| {
            format!(
                "criterion's files in {} are not in the shape this tool reads \
                 (did criterion change? see tools/book/src/criterion.rs)",
                dir.display()
            )
        })?);
    }
    estimates.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(estimates)
}

/// How many benchmarks under `home` have finished (their estimates are written last), for
/// progress while a bench binary runs.
pub fn finished(home: &Path) -> usize {
    result_dirs(home)
        .iter()
        .filter(|dir| dir.join("estimates.json").is_file())
        .count()
}

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: String,
}

#[derive(Deserialize)]
struct EstimatesFile {
    median: PointEstimate,
}

#[derive(Deserialize)]
struct PointEstimate {
    point_estimate: f64,
    confidence_interval: ConfidenceInterval,
}

#[derive(Deserialize)]
struct ConfidenceInterval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct SampleFile {
    iters: Vec<f64>,
}

fn read_one(new_dir: &Path) -> anyhow::Result<Estimate> {
    let benchmark: BenchmarkFile = read_json(&new_dir.join("benchmark.json"))?;
    let estimates: EstimatesFile = read_json(&new_dir.join("estimates.json"))?;
    let sample: SampleFile = read_json(&new_dir.join("sample.json"))?;
    let median = estimates.median;
    Ok(Estimate {
        id: benchmark.full_id,
        median: median.point_estimate,
        low: median.confidence_interval.lower_bound,
        high: median.confidence_interval.upper_bound,
        samples: sample.iters.len() as u64,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Every `new/` folder holding a `benchmark.json` below `home`. Groups nest benchmarks one
/// level deeper than plain `bench_function`s, so the walk is recursive; criterion's other
/// folders (`base/`, `change/`, `report/`) are skipped.
fn result_dirs(home: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                if path.join("benchmark.json").is_file() {
                    found.push(path);
                }
            } else {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion")
    }

    /// Pinned to the fixture's files: if criterion renames a field or moves a file, this
    /// fails before the book shows a wrong number.
    #[test]
    fn reads_criterion_0_8_output() {
        let estimates = read(&fixture()).unwrap();
        assert_eq!(
            estimates,
            [
                Estimate {
                    id: "fixture-group/spawn thread".into(),
                    median: 32247.542613636364,
                    low: 25157.094594594593,
                    high: 50035.21666666667,
                    samples: 100,
                },
                Estimate {
                    id: "fixture/sum".into(),
                    median: 0.8145430252713091,
                    low: 0.8110710815350325,
                    high: 0.8192240314490002,
                    samples: 100,
                },
            ]
        );
        assert_eq!(finished(&fixture()), 2);
    }

    #[test]
    fn a_changed_shape_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("bench/new");
        std::fs::create_dir_all(&new).unwrap();
        for file in ["benchmark.json", "sample.json"] {
            std::fs::copy(fixture().join("fixture_sum/new").join(file), new.join(file)).unwrap();
        }
        std::fs::write(new.join("estimates.json"), r#"{"mean": {}}"#).unwrap();
        let err = format!("{:#}", read(dir.path()).unwrap_err());
        assert!(err.contains("did criterion change?"), "{err}");
        assert!(err.contains("estimates.json"), "{err}");
    }

    /// Real `--list --format terse` output of the fixture's bench binary.
    #[test]
    fn parses_the_benchmark_list() {
        let stdout = "fixture/sum: benchmark\nfixture-group/spawn thread: benchmark\n";
        assert_eq!(
            parse_list(stdout),
            ["fixture/sum", "fixture-group/spawn thread"]
        );
    }

    #[test]
    fn measures_into_a_folder_per_lab() {
        assert_eq!(
            home(Path::new("/repo/target"), "spawn-cost"),
            Path::new("/repo/target/criterion/book-measure/spawn-cost")
        );
        assert!(bench_args(true).contains(&"--measurement-time"));
        assert_eq!(bench_args(false), ["--bench", "--noplot"]);
    }
}
