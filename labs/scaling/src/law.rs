//! The two laws the measurements are compared with, and the fit of the serial fraction.
//!
//! - **Amdahl** (G. M. Amdahl, "Validity of the single processor approach to achieving large
//!   scale computing capabilities", AFIPS Spring Joint Computer Conference, 1967): a fixed
//!   job whose fraction s must run on one processor takes s + (1 − s)/W of its one-processor
//!   time on W processors, so the speed-up is 1 / (s + (1 − s)/W), never more than 1/s.
//! - **Gustafson** (J. L. Gustafson, "Reevaluating Amdahl's law", Communications of the ACM
//!   31(5), 1988): people do not keep the job fixed; they give more processors more work.
//!   If the parallel part grows with W while the serial part stays, the W-processor run takes
//!   as long as the one-processor run did, and did s + (1 − s)·W times the work: the *scaled*
//!   speed-up, which keeps growing with W.
//!
//! Both count processors. The lab's W counts workers: past the core count the extra workers
//! share cores, and neither law applies to them.

// ANCHOR: laws
/// Amdahl's speed-up of a fixed job with serial fraction `s` on `workers` processors.
pub fn amdahl(s: f64, workers: f64) -> f64 {
    1.0 / (s + (1.0 - s) / workers)
}

/// Gustafson's scaled speed-up: the work done in the same time, relative to one processor,
/// when the parallel part grows with the `workers` processors.
pub fn gustafson(s: f64, workers: f64) -> f64 {
    s + (1.0 - s) * workers
}
// ANCHOR_END: laws

// ANCHOR: fit
/// The serial fraction that best explains measured speed-ups `(W, S)`, by least squares on
/// Amdahl's law rearranged as a line: 1/S = s + (1 − s)·(1/W). With y = 1/S and x = 1/W,
/// y − x = s·(1 − x), a line through the origin with slope s, whose least-squares slope is
/// Σ(1 − x)(y − x) / Σ(1 − x)². The line passes through (1, 1) whatever s is (one worker is
/// the baseline: S = 1), so s is the only parameter and a W = 1 point adds nothing.
/// `None` without a point at W > 1; clamped to 0..=1, the fractions that mean something.
pub fn fit_serial_fraction(points: &[(f64, f64)]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for &(workers, speedup) in points {
        let (x, y) = (1.0 / workers, 1.0 / speedup);
        num += (1.0 - x) * (y - x);
        den += (1.0 - x) * (1.0 - x);
    }
    (den > 0.0).then(|| (num / den).clamp(0.0, 1.0))
}
// ANCHOR_END: fit

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact Amdahl data for a known s: the fit gives s back.
    #[test]
    fn the_fit_recovers_the_serial_fraction_of_exact_amdahl_data() {
        for s in [0.0, 0.05, 0.1, 0.25, 0.5, 0.9] {
            let points: Vec<(f64, f64)> = (1..=16)
                .map(|w| (f64::from(w), amdahl(s, f64::from(w))))
                .collect();
            let fitted = fit_serial_fraction(&points).unwrap();
            assert!((fitted - s).abs() < 1e-12, "s = {s}: fitted {fitted}");
        }
    }

    /// Noisy data (every speed-up off by up to ±3 %): the fit still lands near s.
    #[test]
    fn the_fit_lands_near_the_serial_fraction_of_noisy_data() {
        let s = 0.2;
        let noise = [1.03, 0.97, 1.02, 0.98, 1.01, 0.99, 1.03];
        let points: Vec<(f64, f64)> = (2..=8)
            .zip(noise)
            .map(|(w, n)| (f64::from(w), amdahl(s, f64::from(w)) * n))
            .collect();
        let fitted = fit_serial_fraction(&points).unwrap();
        assert!((fitted - s).abs() < 0.03, "fitted {fitted}");
    }

    #[test]
    fn no_point_past_one_worker_means_no_fit_and_nonsense_is_clamped() {
        assert_eq!(fit_serial_fraction(&[]), None);
        assert_eq!(fit_serial_fraction(&[(1.0, 1.0)]), None);
        // Faster than W: superlinear (caches), which no serial fraction explains.
        assert_eq!(fit_serial_fraction(&[(2.0, 2.5)]), Some(0.0));
        // Slower with two workers than with one.
        assert_eq!(fit_serial_fraction(&[(2.0, 0.4)]), Some(1.0));
    }

    #[test]
    fn the_laws_at_their_limits() {
        assert_eq!(amdahl(0.0, 8.0), 8.0);
        assert_eq!(amdahl(1.0, 8.0), 1.0);
        assert!((amdahl(0.1, 1e12) - 10.0).abs() < 1e-9, "capped at 1/s");
        assert_eq!(gustafson(0.1, 1.0), 1.0);
        assert!((gustafson(0.1, 10.0) - 9.1).abs() < 1e-12);
    }
}
