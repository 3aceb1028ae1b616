//! Statistical quality of the counter-based transforms on 10M draws each: mean and variance
//! in 6-sigma bands, KS against the exact CDF (D < 1.95/√n, alpha 0.001), the tail frequency
//! P(|z| > 4) in a binomial 6-sigma band, hard bounds; and bf16/f16 rounding from f32.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_ks, assert_moments, mean_var, Z};
use half::{bf16, f16};
use nninit::fill;
use nninit::{Element, Par, Sampler, StreamKey};

const N: usize = 10_000_000;

fn draw<T: Element>(s: &Sampler, seed: u64, n: usize) -> Vec<T> {
    let mut v = vec![T::ZERO; n];
    fill::fill(s, StreamKey::new(seed, 1), &mut v, Par::all());
    v
}

fn to_f64<T: Element>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

/// Φ by erfc (accurate in both tails).
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Asserts `count` successes of `n` Bernoulli(p) trials lie within 6 binomial sigmas
/// (two-sided false-positive rate about 2e-9).
fn assert_binomial(label: &str, count: usize, n: usize, p: f64) {
    let (n, c) = (n as f64, count as f64);
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!(
        (c - n * p).abs() <= Z * sd,
        "{label}: {c} vs expected {} (6-sigma band {})",
        n * p,
        Z * sd
    );
}

#[test]
fn uniform_10m() {
    let (lo, hi) = (-1.0, 2.0);
    let xs = to_f64(&draw::<f32>(&Sampler::uniform(lo, hi).unwrap(), 1, N));
    assert!(xs.iter().all(|&x| (lo..hi).contains(&x)));
    let sigma = (hi - lo) / 12f64.sqrt();
    assert_moments("uniform f32", &xs, (lo + hi) / 2.0, sigma, 9.0 / 5.0);
    assert_ks("uniform f32", &xs, |x| {
        ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    });
    // f64 (53-bit) on 1M
    let xs = to_f64(&draw::<f64>(&Sampler::uniform(lo, hi).unwrap(), 2, N / 10));
    assert!(xs.iter().all(|&x| (lo..hi).contains(&x)));
    assert_moments("uniform f64", &xs, (lo + hi) / 2.0, sigma, 9.0 / 5.0);
    assert_ks("uniform f64", &xs, |x| {
        ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    });
}

#[test]
fn normal_10m() {
    let (mean, std) = (0.5, 2.0);
    let xs = to_f64(&draw::<f32>(&Sampler::normal(mean, std).unwrap(), 3, N));
    assert_moments("normal f32", &xs, mean, std, 3.0);
    assert_ks("normal f32", &xs, |x| phi((x - mean) / std));
    let tail = xs
        .iter()
        .filter(|&&x| ((x - mean) / std).abs() > 4.0)
        .count();
    assert_binomial("normal P(|z| > 4)", tail, N, 2.0 * phi(-4.0));
    // odd and even elements (cos and sin halves of Box–Muller) are each N(mean, std²)
    let even: Vec<f64> = xs.iter().step_by(2).copied().collect();
    let odd: Vec<f64> = xs.iter().skip(1).step_by(2).copied().collect();
    assert_moments("normal even (cos)", &even, mean, std, 3.0);
    assert_moments("normal odd (sin)", &odd, mean, std, 3.0);
    // and uncorrelated: |r| <= 6/√n
    let (me, mo) = (mean_var(&even).0, mean_var(&odd).0);
    let cov = even
        .iter()
        .zip(&odd)
        .map(|(a, b)| (a - me) * (b - mo))
        .sum::<f64>()
        / even.len() as f64;
    let r = cov / (std * std);
    assert!(
        r.abs() <= Z / (even.len() as f64).sqrt(),
        "pair correlation {r}"
    );
}

/// Mean, variance and 4th central moment of N(0,1) truncated to [al, be], from the recursion
/// `m_k = (k−1)·m_{k−2} − (be^{k−1}φ(be) − al^{k−1}φ(al)) / Z`.
fn trunc_std_moments(al: f64, be: f64) -> (f64, f64, f64) {
    let z = phi(be) - phi(al);
    let mut m = [1.0, 0.0, 0.0, 0.0, 0.0];
    m[1] = -(pdf(be) - pdf(al)) / z;
    for k in 2..5 {
        m[k] = (k - 1) as f64 * m[k - 2]
            - (be.powi(k as i32 - 1) * pdf(be) - al.powi(k as i32 - 1) * pdf(al)) / z;
    }
    let mu = m[1];
    let var = m[2] - mu * mu;
    let mu4 = m[4] - 4.0 * mu * m[3] + 6.0 * mu * mu * m[2] - 3.0 * mu.powi(4);
    (mu, var, mu4)
}

fn check_trunc(label: &str, mean: f64, std: f64, a: f64, b: f64, seed: u64, n: usize) {
    let s = Sampler::trunc_normal(mean, std, a, b).unwrap();
    let xs = to_f64(&draw::<f32>(&s, seed, n));
    let (fa, fb) = ((a as f32) as f64, (b as f32) as f64);
    assert!(
        xs.iter().all(|&x| (fa..=fb).contains(&x)),
        "{label}: value outside [a, b]"
    );
    let (al, be) = ((a - mean) / std, (b - mean) / std);
    let (mu, var, mu4) = trunc_std_moments(al, be);
    let kurt = mu4 / (var * var);
    assert_moments(label, &xs, mean + std * mu, std * var.sqrt(), kurt);
    let z = phi(be) - phi(al);
    assert_ks(label, &xs, |x| {
        ((phi((x - mean) / std) - phi(al)) / z).clamp(0.0, 1.0)
    });
}

#[test]
fn trunc_normal_10m() {
    check_trunc("trunc_normal [-2, 2]", 0.0, 1.0, -2.0, 2.0, 4, N);
    // asymmetric, scaled
    check_trunc(
        "trunc_normal [-0.05, 0.01]",
        0.01,
        0.02,
        -0.05,
        0.01,
        5,
        N / 10,
    );
    // upper tail (mirrored internally), far enough for AS241's r > 5 branch near b
    check_trunc("trunc_normal [3, 8]", 0.0, 1.0, 3.0, 8.0, 6, N / 10);
    // lower tail
    check_trunc("trunc_normal [-6, -2.5]", 0.0, 1.0, -6.0, -2.5, 7, N / 10);
    // far tail: the window's mass (3e-89) underflows f32, so f32 output must come from the f64
    // kernel (it once came out as all `a`)
    check_trunc("trunc_normal [-21, -20]", 0.0, 1.0, -21.0, -20.0, 8, N / 10);
}

#[test]
fn half_types_round_the_f32_value() {
    let n = 200_000;
    let samplers = [
        Sampler::normal(0.0, 1.0).unwrap(),
        Sampler::trunc_normal(0.0, 0.02, -0.04, 0.04).unwrap(),
        Sampler::uniform(-0.25, 0.25).unwrap(),
    ];
    for (case, s) in samplers.iter().enumerate() {
        let f = draw::<f32>(s, 10 + case as u64, n);
        let b = draw::<bf16>(s, 10 + case as u64, n);
        let h = draw::<f16>(s, 10 + case as u64, n);
        let mut replaced = 0;
        for k in 0..n {
            let (mut wb, mut wh) = (bf16::from_f32(f[k]), f16::from_f32(f[k]));
            if let Sampler::TruncNormal(_) = s {
                // clamped to the bounds ±0.04 rounded inward in each type
                let (bb, hb) = (bf16::from_f32(0.039_794_92), f16::from_f32(0.039_978_027));
                wb = wb.clamp(-bb, bb);
                wh = wh.clamp(-hb, hb);
            }
            if let Sampler::Uniform(u) = s {
                let (low, high) = (u.low(), u.high());
                // a value that rounds up to T(high) is replaced by T(low)
                if wb == bf16::from_f32(high as f32) {
                    assert_eq!(b[k], bf16::from_f32(low as f32));
                    replaced += 1;
                    continue;
                }
                assert_eq!(h[k], wh);
            } else {
                assert_eq!(h[k], wh, "{s:?} f16 at {k}");
            }
            assert_eq!(b[k], wb, "{s:?} bf16 at {k}");
        }
        if let Sampler::Uniform(_) = s {
            // P(round to high) = half a bf16 ulp below 0.25 (ulp 2^-10 in [0.125, 0.25))
            // over the width 0.5: 2^-11 / 0.5 = 2^-10.
            assert_binomial("bf16 uniform replaced", replaced, n, (2f64).powi(-10));
        }
    }
}

#[test]
fn far_tail_windows_are_valid_and_stay_inside() {
    // Φ(−10) ≈ 7.6e-24: representable, so [10, 10.0001] and [−10, −9] are real windows
    // (an erf-based Φ would round both ends to 1 or 0 and call them empty).
    for (a, b) in [(10.0, 10.0001), (-10.0, -9.0), (9.0, 10.0)] {
        let s = Sampler::trunc_normal(0.0, 1.0, a, b).unwrap();
        let xs = to_f64(&draw::<f32>(&s, 8, 10_000));
        let (fa, fb) = ((a as f32) as f64, (b as f32) as f64);
        assert!(xs.iter().all(|&x| (fa..=fb).contains(&x)), "[{a}, {b}]");
        // the density falls by e^{-10·Δ} across the window: most mass near the inner edge
        let inner = if a > 0.0 { a } else { b };
        let near = xs.iter().filter(|&&x| (x - inner).abs() < 0.2).count();
        assert!(near as f64 > 0.8 * xs.len() as f64, "[{a}, {b}]: {near}");
        let mut rs = nninit::RngStream(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1));
        let init = nninit::Init::trunc_normal(0.0, 1.0, a, b);
        let mut w = vec![0f32; 1000];
        init.fill(
            &mut w,
            &nninit::Shape::new(&[1000]).unwrap(),
            nninit::Layout::Torch,
            &mut rs,
        )
        .unwrap();
        assert!(
            w.iter().all(|&x| (fa..=fb).contains(&(x as f64))),
            "std stream [{a}, {b}]"
        );
    }
}

/// The deepest windows f64 resolves (mass ≥ 2e-292, about 36.4 std) are drawn at full
/// precision; before, a mass that was subnormal in f64 rounded `p` to 0 and put a few percent
/// of the draws on the far bound (1e300 for `[38.4, 1e300]`). Deeper windows are refused.
#[test]
fn deepest_tail_windows_are_exact_or_refused() {
    let (mu, var, mu4) = trunc_std_moments(-40.0, -36.0);
    for (a, b, sign) in [
        (-40.0, -36.0, 1.0),
        (36.0, 1e300, -1.0),
        (-1e300, -36.0, 1.0),
    ] {
        let s = Sampler::trunc_normal(0.0, 1.0, a, b).unwrap();
        let f64s = draw::<f64>(&s, 12, 100_000);
        let f32s = to_f64(&draw::<f32>(&s, 13, 100_000));
        let mut rs = nninit::RngStream(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2));
        let mut w = vec![0f64; 100_000];
        nninit::Init::trunc_normal(0.0, 1.0, a, b)
            .fill(
                &mut w,
                &nninit::Shape::new(&[100_000]).unwrap(),
                nninit::Layout::Torch,
                &mut rs,
            )
            .unwrap();
        for (label, xs) in [
            ("philox f64", &f64s),
            ("philox f32", &f32s),
            ("std f64", &w),
        ] {
            // all within [36, 38] std of the mean (the mass beyond 38 is e^-74 of the window's)
            assert!(
                xs.iter()
                    .all(|&x| (36.0 - 1e-5..38.0).contains(&(-sign * x))),
                "{label} [{a}, {b}]: a value outside [36, 38] std"
            );
            let kurt = mu4 / (var * var);
            assert_moments(
                &format!("{label} [{a}, {b}]"),
                xs,
                sign * mu,
                var.sqrt(),
                kurt,
            );
        }
    }
    for (a, b) in [(38.4, 1e300), (38.0, 39.0), (-1e300, -37.0)] {
        let e = Sampler::trunc_normal(0.0, 1.0, a, b)
            .unwrap_err()
            .to_string();
        assert!(e.contains("move [a, b] closer"), "[{a}, {b}]: {e}");
        assert!(nninit::Init::trunc_normal(0.0, 1.0, a, b)
            .validate()
            .is_err());
    }
}

/// trunc_normal values stay inside [a, b] exactly (compared in f64) for every output type,
/// also when a bound is not a value of the type (the clamp uses the bounds rounded inward):
/// bf16/f16 with std 0.02 and bounds ±0.04, f32 with b = 0.5001 (rounds up in f32), a narrow
/// window on the f64 kernel, a far-tail window. A window holding no value of the type gives
/// the type's value nearest its midpoint.
#[test]
fn trunc_normal_stays_inside_the_window_in_every_dtype() {
    fn check<T: Element>(label: &str, mean: f64, std: f64, a: f64, b: f64) {
        let s = Sampler::trunc_normal(mean, std, a, b).unwrap();
        let xs = to_f64(&draw::<T>(&s, 21, 1 << 20));
        let out = xs.iter().filter(|&&x| !(a..=b).contains(&x)).count();
        assert_eq!(out, 0, "{label} [{a}, {b}]: {out} values outside");
    }
    for (mean, std, a, b) in [
        (0.0, 0.02, -0.04, 0.04),
        (0.0, 1.0, 0.5, 0.5001),
        (0.0, 1.0, 13.0, 13.3),
        (0.0, 0.02, -2.0, 2.0),
    ] {
        check::<f32>("f32", mean, std, a, b);
        check::<bf16>("bf16", mean, std, a, b);
        check::<f16>("f16", mean, std, a, b);
        check::<f64>("f64", mean, std, a, b);
    }
    // narrow (f64 kernel for f32 output); holds no bf16/f16 value
    check::<f32>("f32", 0.0, 1.0, 0.3, 0.300_01);
    check::<f64>("f64", 0.0, 1.0, 0.3, 0.300_01);
    // no bf16 value in [0.5001, 0.5002]: all draws are bf16(0.50015) = 0.5
    let s = Sampler::trunc_normal(0.0, 1.0, 0.5001, 0.5002).unwrap();
    let xs = to_f64(&draw::<bf16>(&s, 3, 1000));
    assert!(xs.iter().all(|&x| x == 0.5), "{:?}", &xs[..4]);
}

/// A std so large that ρ·std overflows f32 where ρ·std·cos θ does not (std > f32::MAX/6) uses
/// the f64 arithmetic: every value finite, and the f64 fill's values rounded to f32.
#[test]
fn huge_std_normal_does_not_overflow_spuriously() {
    let s = Sampler::normal(0.0, 6e37).unwrap();
    let n = 1 << 20;
    let x32 = draw::<f32>(&s, 33, n);
    let x64 = draw::<f64>(&s, 33, n);
    assert!(x32.iter().all(|x| x.is_finite()));
    assert!(x32.iter().zip(&x64).all(|(a, b)| *a == *b as f32));
}

/// trunc_normal draws beyond the output type's range overflow to ±∞, as normal's do, instead
/// of piling up at the type's largest value (which hid the overflow from the caller).
#[test]
fn trunc_normal_beyond_the_type_overflows_like_normal() {
    let s = Sampler::trunc_normal(0.0, 1e6, -1e300, 1e300).unwrap();
    let xs = to_f64(&draw::<f16>(&s, 5, 1000));
    let max = f64::from(f16::MAX);
    assert!(xs.iter().all(|x| x.is_infinite() || x.abs() < max));
    // P(|z| > 0.0655) ≈ 0.948 per draw
    assert!(xs.iter().filter(|x| x.is_infinite()).count() > 800);
}
