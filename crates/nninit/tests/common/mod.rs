//! Shared test helpers: seeded streams and statistical asserts with stated false-positive rates.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure
#![allow(dead_code)]

use nninit::RngStream;
use rand::SeedableRng;

/// A fixed-seed stream; cases are seeded by their table index.
pub fn stream(seed: u64) -> RngStream<rand::rngs::StdRng> {
    RngStream(rand::rngs::StdRng::seed_from_u64(seed))
}

/// z for the mean/variance bands: 6 sigma, two-sided false-positive rate about 2e-9 per check.
pub const Z: f64 = 6.0;

pub fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// Asserts |mean - mu| <= Z·sigma/sqrt(n) and |s² - sigma²| <= Z·sqrt((mu4 - sigma⁴)/n), where
/// `kurtosis` = mu4/sigma⁴ of the distribution (9/5 uniform, 3 normal).
pub fn assert_moments(label: &str, xs: &[f64], mu: f64, sigma: f64, kurtosis: f64) {
    let n = xs.len() as f64;
    let (m, v) = mean_var(xs);
    let mean_band = Z * sigma / n.sqrt();
    assert!(
        (m - mu).abs() <= mean_band,
        "{label}: mean {m} vs {mu} (band {mean_band})"
    );
    let s4 = sigma.powi(4);
    let var_band = Z * ((kurtosis * s4 - s4) / n).sqrt();
    assert!(
        (v - sigma * sigma).abs() <= var_band,
        "{label}: variance {v} vs {} (band {var_band})",
        sigma * sigma
    );
}

/// Kolmogorov–Smirnov statistic of `xs` against `cdf`.
pub fn ks_statistic(xs: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in s.iter().enumerate() {
        let f = cdf(x);
        d = d
            .max((f - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - f).abs());
    }
    d
}

/// KS critical value at alpha = 0.001: D_n < 1.95/sqrt(n).
pub fn assert_ks(label: &str, xs: &[f64], cdf: impl Fn(f64) -> f64) {
    let d = ks_statistic(xs, cdf);
    let crit = 1.95 / (xs.len() as f64).sqrt();
    assert!(d < crit, "{label}: KS D = {d} >= {crit} (alpha 0.001)");
}

pub fn normal_cdf(mean: f64, std: f64) -> impl Fn(f64) -> f64 {
    move |x| 0.5 * (1.0 + libm_erf((x - mean) / (std * std::f64::consts::SQRT_2)))
}

pub fn libm_erf(x: f64) -> f64 {
    libm::erf(x)
}

pub fn to_f64<T: nninit::Element>(xs: &[T]) -> Vec<f64> {
    xs.iter().map(|x| x.to_f64()).collect()
}
