//! What the labs' criterion benches share: their settings and the loop that times only the work.
//!
//! Only with the cargo feature `bench`. The labs enable it from `[dev-dependencies]`, so the
//! bench binaries get it and the lab binaries never link criterion.
//!
//! [`config`] sets a bench's sample size, warm-up and measurement time on the [`Criterion`]
//! itself rather than on a benchmark group. That is what lets command-line flags
//! (`--sample-size`, `--warm-up-time`, `--measurement-time`, which `cargo book measure --quick`
//! passes) still win: `criterion_group!` applies the flags to this `Criterion` after building
//! it (`Criterion::configure_from_args`), whereas a setting made on a `BenchmarkGroup` overrides
//! both (criterion 0.8, `BenchmarkGroup::sample_size` and `PartialBenchmarkConfig::to_complete`).
//!
//! [`timed`] is the body of an `iter_custom` whose iterations each do a whole run and whose
//! result must be checked: only the run is timed, and the check is not.
//!
//! [`bench_main!`](crate::bench_main) is every bench file's tail: the `config`, criterion's
//! group and `main` on Linux, and an empty `main` elsewhere.

use criterion::Criterion;
use std::time::{Duration, Instant};

/// criterion itself, for [`bench_main!`](crate::bench_main)'s expansion.
#[doc(hidden)]
pub use criterion;

/// A bench file's tail: `bench_main!(group_fn: targets, sample_size, warm_up, measurement)`
/// builds the [`config`] with those settings, the `criterion_group!` named `group_fn` over
/// `targets`, and `criterion_main!`, all on Linux only. Off Linux there is nothing to
/// measure, but a bench target without a harness still needs a `main`: an empty one.
#[macro_export]
macro_rules! bench_main {
    ($group:ident: $targets:path, $sample_size:expr, $warm_up:expr, $measurement:expr $(,)?) => {
        #[cfg(target_os = "linux")]
        fn config() -> $crate::bench::criterion::Criterion {
            $crate::bench::config($sample_size, $warm_up, $measurement)
        }

        #[cfg(target_os = "linux")]
        $crate::bench::criterion::criterion_group!(
            name = $group; config = config(); targets = $targets
        );
        #[cfg(target_os = "linux")]
        $crate::bench::criterion::criterion_main!($group);

        #[cfg(not(target_os = "linux"))]
        fn main() {}
    };
}

/// Criterion's defaults with this bench's `sample_size`, `warm_up` and `measurement` times,
/// for `criterion_group!`'s `config =`. Command-line flags still override each of them.
pub fn config(sample_size: usize, warm_up: Duration, measurement: Duration) -> Criterion {
    Criterion::default()
        .sample_size(sample_size)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
}

/// Runs `work` `iters` times and returns the time the runs took, each result handed to
/// `check` (which asserts it was right) outside the timed part, and dropped there too.
///
/// For `b.iter_custom(|iters| timed(iters, || run(…), |r| assert_eq!(r, expected)))`.
pub fn timed<T>(iters: u64, mut work: impl FnMut() -> T, mut check: impl FnMut(T)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let result = work();
        total += start.elapsed();
        check(result);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_runs_the_work_iters_times_and_checks_each_result_in_order() {
        let mut runs = 0_u64;
        let mut checked = Vec::new();
        timed(
            4,
            || {
                runs += 1;
                runs
            },
            |r| checked.push(r),
        );
        assert_eq!(checked, [1, 2, 3, 4]);
    }

    #[test]
    fn timed_zero_iters_runs_nothing() {
        let took = timed(0, || panic!("no run"), |()| panic!("no check"));
        assert_eq!(took, Duration::ZERO);
    }
}
