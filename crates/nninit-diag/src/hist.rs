//! Fixed-bin histograms of layer outputs and gradients (the makemore-style charts of the HTML
//! report): [`BINS`] equal bins over `[lo, hi]`, the data's finite min and max rounded
//! outwards to 1, 2, 2.5 or 5 × 10^k (the rule of the Python package's `nninit._stats`, so
//! the CLI's and Python's reports bin alike). Values are binned one by one in `f64`, so the
//! histogram of a union of batches binned over the same range is the sum of theirs.

use serde::Serialize;

/// Bins per histogram.
pub const BINS: usize = 60;

/// Counts of values in equal bins over `[lo, hi]` (JSON `{lo, hi, counts, nonfinite}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Left edge of the first bin.
    pub lo: f64,
    /// Right edge of the last bin.
    pub hi: f64,
    /// Values per bin (`hi` itself falls in the last bin).
    pub counts: Vec<u64>,
    /// Values that are NaN or infinite (not in any bin).
    pub nonfinite: u64,
}

/// The smallest of `{1, 2, 2.5, 5} × 10^k` that is `>= x` (`x > 0`, finite).
pub fn nice_up(x: f64) -> f64 {
    let e = x.log10().floor();
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let v = m * 10f64.powf(e);
        if v >= x * (1.0 - 1e-12) {
            return v;
        }
    }
    10f64.powf(e + 1.0)
}

/// `[lo, hi]` rounded outwards to nice numbers; a constant range widened by its magnitude
/// (or by 1 around 0); no finite values: `[-1, 1]`.
pub fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return (-1.0, 1.0);
    }
    let (lo, hi) = if lo == hi {
        let w = if lo == 0.0 { 1.0 } else { lo.abs() };
        (lo - w, hi + w)
    } else {
        (lo, hi)
    };
    let r_lo = if lo >= 0.0 { 0.0 } else { -nice_up(-lo) };
    let r_hi = if hi <= 0.0 { 0.0 } else { nice_up(hi) };
    (r_lo, r_hi)
}

/// One layer output's histograms (the HTML report's makemore-style charts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerHistograms {
    /// The output's values over the batch.
    pub hist: Histogram,
    /// Its gradient `∂L/∂h` (with a backward pass).
    pub grad_hist: Option<Histogram>,
}

impl Histogram {
    /// The histogram of `values` over their own nice range.
    pub fn of<F: Copy + Into<f64>>(values: &[F]) -> Histogram {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in values {
            let v: f64 = v.into();
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let (lo, hi) = nice_range(lo, hi);
        Histogram::over(values, lo, hi)
    }

    /// The histogram of `values` over `[lo, hi]` (`lo < hi`); values outside go to the end
    /// bins.
    pub fn over<F: Copy + Into<f64>>(values: &[F], lo: f64, hi: f64) -> Histogram {
        let mut counts = vec![0u64; BINS];
        let mut nonfinite = 0;
        let scale = BINS as f64 / (hi - lo);
        for &v in values {
            let v: f64 = v.into();
            if !v.is_finite() {
                nonfinite += 1;
                continue;
            }
            let b = ((v - lo) * scale).floor().clamp(0.0, (BINS - 1) as f64) as usize;
            counts[b] += 1;
        }
        Histogram {
            lo,
            hi,
            counts,
            nonfinite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_up(0.3), 0.5);
        assert_eq!(nice_up(1.0), 1.0);
        assert_eq!(nice_up(2.2), 2.5);
        assert_eq!(nice_up(7.0), 10.0);
        assert_eq!(nice_range(0.0, 0.7), (0.0, 1.0));
        assert_eq!(nice_range(-0.03, 0.12), (-0.05, 0.2));
        assert_eq!(nice_range(0.0, 0.0), (-1.0, 1.0));
        assert_eq!(nice_range(f64::INFINITY, f64::NEG_INFINITY), (-1.0, 1.0));
    }

    #[test]
    fn counts_and_merge() {
        let v: Vec<f32> = vec![-1.0, -0.5, 0.0, 0.0, 0.25, 0.999, 1.0, f32::NAN];
        let h = Histogram::of(&v);
        assert_eq!((h.lo, h.hi), (-1.0, 1.0));
        assert_eq!(h.counts.iter().sum::<u64>(), 7);
        assert_eq!(h.nonfinite, 1);
        assert_eq!(h.counts[0], 1); // -1.0
        assert_eq!(h.counts[BINS - 1], 2); // 0.999 and the right edge 1.0
        assert_eq!(h.counts[BINS / 2], 2); // the zeros
                                           // the histogram of a union is the sum over the same range
        let (a, b) = v.split_at(3);
        let (ha, hb) = (Histogram::over(a, -1.0, 1.0), Histogram::over(b, -1.0, 1.0));
        let sum: Vec<u64> = ha
            .counts
            .iter()
            .zip(&hb.counts)
            .map(|(x, y)| x + y)
            .collect();
        assert_eq!(sum, h.counts);
    }
}
