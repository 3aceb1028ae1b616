//! Every scheme's mean/std/bounds against its formula, with fixed seeds and derived bounds
//! (6-sigma bands on mean and variance, KS at alpha = 0.001, hard bounds).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::*;
use half::{bf16, f16};
use nninit::{Element, Init, Layout, Mode, Nonlinearity, Shape};

fn fill_f64(init: &Init, dims: &[usize], layout: Layout, seed: u64) -> Vec<f64> {
    let shape = Shape::new(dims).unwrap();
    let mut w = vec![0f64; shape.numel()];
    init.fill(&mut w, &shape, layout, &mut stream(seed))
        .unwrap();
    w
}

fn fill_t<T: Element>(init: &Init, dims: &[usize], seed: u64) -> Vec<f64> {
    let shape = Shape::new(dims).unwrap();
    let mut w = vec![T::ZERO; shape.numel()];
    init.fill(&mut w, &shape, Layout::Torch, &mut stream(seed))
        .unwrap();
    to_f64(&w)
}

enum Expect {
    Uniform(f64, f64),
    Normal(f64, f64),
}

fn check(label: &str, xs: &[f64], e: &Expect) {
    match *e {
        Expect::Uniform(a, b) => {
            assert!(
                xs.iter().all(|&x| x >= a && x < b),
                "{label}: value outside [{a}, {b})"
            );
            let sigma = (b - a) / 12f64.sqrt();
            assert_moments(label, xs, (a + b) / 2.0, sigma, 9.0 / 5.0);
            assert_ks(label, xs, |x| ((x - a) / (b - a)).clamp(0.0, 1.0));
        }
        Expect::Normal(mu, sigma) => {
            assert_moments(label, xs, mu, sigma, 3.0);
            assert_ks(label, xs, normal_cdf(mu, sigma));
        }
    }
}

#[test]
fn distributions_match_their_formulas() {
    let fi = 256.0f64;
    let fo = 128.0f64;
    let shape = [128usize, 256];
    let s2 = 2f64.sqrt();
    let cases: Vec<(Init, Expect)> = vec![
        (Init::uniform(-0.3, 0.7), Expect::Uniform(-0.3, 0.7)),
        (Init::normal(1.0, 0.5), Expect::Normal(1.0, 0.5)),
        (
            Init::xavier_uniform(1.0),
            Expect::Uniform(-(6.0 / (fi + fo)).sqrt(), (6.0 / (fi + fo)).sqrt()),
        ),
        (
            Init::xavier_normal(2.0),
            Expect::Normal(0.0, 2.0 * (2.0 / (fi + fo)).sqrt()),
        ),
        (
            Init::kaiming_uniform_default(),
            Expect::Uniform(-(6.0 / fi).sqrt(), (6.0 / fi).sqrt()),
        ),
        (
            Init::kaiming_normal(0.0, Mode::FanOut, Nonlinearity::Relu),
            Expect::Normal(0.0, s2 / fo.sqrt()),
        ),
        (
            Init::kaiming_normal(0.2, Mode::FanIn, Nonlinearity::LeakyRelu(0.0)),
            Expect::Normal(0.0, (2.0 / 1.04f64).sqrt() / fi.sqrt()),
        ),
        (
            Init::kaiming_uniform(0.0, Mode::FanIn, Nonlinearity::Tanh),
            Expect::Uniform(
                -(5.0 / 3.0) * (3.0 / fi).sqrt(),
                (5.0 / 3.0) * (3.0 / fi).sqrt(),
            ),
        ),
        (
            Init::lecun_uniform(),
            Expect::Uniform(-(3.0 / fi).sqrt(), (3.0 / fi).sqrt()),
        ),
        (
            Init::variance_scaling(0.5, Mode::FanOut, nninit::Dist::Normal),
            Expect::Normal(0.0, (0.5 / fo).sqrt()),
        ),
        (
            Init::he_uniform(),
            Expect::Uniform(-(6.0 / fi).sqrt(), (6.0 / fi).sqrt()),
        ),
        (
            nninit::layers::linear_weight_init(),
            Expect::Uniform(-1.0 / fi.sqrt(), 1.0 / fi.sqrt()),
        ),
    ];
    for (i, (init, e)) in cases.iter().enumerate() {
        let label = format!("case {i} {init}");
        // f64 samples: the bounds are exact.
        let xs = fill_f64(init, &shape, Layout::Torch, i as u64);
        check(&label, &xs, e);
        // f32 samples: the same moments; bounds after rounding to f32.
        let xs32 = fill_t::<f32>(init, &shape, 1000 + i as u64);
        let e32 = match *e {
            Expect::Uniform(a, b) => {
                Expect::Uniform(a as f32 as f64, (b as f32 as f64).max(a as f32 as f64))
            }
            Expect::Normal(m, s) => Expect::Normal(m, s),
        };
        if let Expect::Uniform(a, b) = e32 {
            assert!(xs32.iter().all(|&x| x >= a && x <= b), "{label} f32 bounds");
            let sigma = (b - a) / 12f64.sqrt();
            assert_moments(&label, &xs32, (a + b) / 2.0, sigma, 9.0 / 5.0);
        } else {
            check(&format!("{label} f32"), &xs32, &e32);
        }
    }
}

#[test]
fn jax_layout_uses_last_two_axes() {
    // (in, out) = (256, 128) in JAX layout: fan_in 256.
    let xs = fill_f64(&Init::he_uniform(), &[256, 128], Layout::Jax, 7);
    let b = (6.0f64 / 256.0).sqrt();
    check("he_uniform jax", &xs, &Expect::Uniform(-b, b));
}

fn trunc_cdf(mean: f64, std: f64, a: f64, b: f64) -> impl Fn(f64) -> f64 {
    let c = normal_cdf(mean, std);
    let (ca, cb) = (c(a), c(b));
    move |x| ((c(x.clamp(a, b)) - ca) / (cb - ca)).clamp(0.0, 1.0)
}

#[test]
fn trunc_normal_both_branches() {
    // (mean, std, a, b): wide window (normal rejection), narrow off-centre ones (uniform
    // proposal: [2, 2.3]; Robert's exponential proposal: [2, 3]), JAX's he_normal (±2
    // std-units), and wide tail windows on either side (exponential proposal; the uniform
    // proposal would accept about once in 10⁹ draws there)
    let cases = [
        (0.0, 1.0, -1.0, 2.0),
        (0.0, 1.0, 2.0, 2.3),
        (0.0, 1.0, 2.0, 3.0),
        (0.1, 0.05, -0.04, 0.04),
        (0.0, 1.0, 3.0, 1e9),
        (1.0, 2.0, -2e9, -5.0),
    ];
    for (i, &(m, s, a, b)) in cases.iter().enumerate() {
        let init = Init::trunc_normal(m, s, a, b);
        let xs = fill_f64(&init, &[400, 500], Layout::Torch, 50 + i as u64);
        assert!(
            xs.iter().all(|&x| x >= a && x <= b),
            "case {i}: outside [a, b]"
        );
        let r = init
            .resolve(&Shape::new(&[2, 2]).unwrap(), Layout::Torch)
            .unwrap();
        let (mu, var) = (r.mean(4), r.variance(4));
        // truncated normals have kurtosis < 3, so 3 gives a conservative variance band.
        assert_moments(&format!("trunc case {i}"), &xs, mu, var.sqrt(), 3.0);
        assert_ks(&format!("trunc case {i}"), &xs, trunc_cdf(m, s, a, b));
        // f32: never outside the bounds rounded to f32.
        let x32 = fill_t::<f32>(&init, &[100, 100], 60 + i as u64);
        assert!(x32
            .iter()
            .all(|&x| x >= a as f32 as f64 && x <= b as f32 as f64));
    }
}

#[test]
fn jax_truncated_aliases_have_the_stated_variance() {
    assert!((nninit::trunc_std_at_2() - 0.879_625_661_034_239_8).abs() < 1e-15);
    let cases = [
        (Init::he_normal(), 2.0f64 / 256.0),
        (Init::lecun_normal(), 1.0 / 256.0),
        (Init::glorot_normal(), 2.0 / (256.0 + 128.0)),
    ];
    for (i, (init, var)) in cases.iter().enumerate() {
        let xs = fill_f64(init, &[128, 256], Layout::Torch, 70 + i as u64);
        let std_param = var.sqrt() / 0.879_625_661_034_239_8;
        assert!(
            xs.iter().all(|x| x.abs() <= 2.0 * std_param),
            "{init}: outside ±2 std"
        );
        assert_moments(&format!("{init}"), &xs, 0.0, var.sqrt(), 3.0);
        assert_ks(
            &format!("{init}"),
            &xs,
            trunc_cdf(0.0, std_param, -2.0 * std_param, 2.0 * std_param),
        );
    }
}

#[test]
fn half_precision_fills() {
    let init = Init::kaiming_uniform_default();
    let b = (6.0f64 / 256.0).sqrt();
    let xb = fill_t::<bf16>(&init, &[128, 256], 80);
    let xh = fill_t::<f16>(&init, &[128, 256], 81);
    for (label, xs) in [("bf16", xb), ("f16", xh)] {
        assert!(
            xs.iter().all(|x| x.abs() <= b * (1.0 + 1.0 / 128.0)),
            "{label} bounds"
        );
        // rounding adds variance of at most (ulp/2)²/3; far inside the band at this size.
        assert_moments(label, &xs, 0.0, b / 3f64.sqrt(), 9.0 / 5.0);
    }
    let xn = fill_t::<bf16>(&Init::normal(0.0, 0.02), &[256, 256], 82);
    assert_moments("bf16 normal", &xn, 0.0, 0.02, 3.0);
}

fn gram_rows(w: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut g = vec![0.0; rows * rows];
    for i in 0..rows {
        for j in 0..rows {
            g[i * rows + j] = (0..cols).map(|k| w[i * cols + k] * w[j * cols + k]).sum();
        }
    }
    g
}

#[test]
fn orthogonal_is_orthogonal() {
    for (i, dims) in [vec![8usize, 5], vec![5, 8], vec![6, 2, 3], vec![64, 64]]
        .iter()
        .enumerate()
    {
        let gain = 1.5;
        let w = fill_f64(
            &Init::Orthogonal { gain },
            dims,
            Layout::Torch,
            90 + i as u64,
        );
        let rows = dims[0];
        let cols = w.len() / rows;
        // rows <= cols: W Wᵀ = gain² I; else Wᵀ W = gain² I.
        let (g, n) = if rows <= cols {
            (gram_rows(&w, rows, cols), rows)
        } else {
            let mut t = vec![0.0; w.len()];
            for r in 0..rows {
                for c in 0..cols {
                    t[c * rows + r] = w[r * cols + c];
                }
            }
            (gram_rows(&t, cols, rows), cols)
        };
        for a in 0..n {
            for b in 0..n {
                let want = if a == b { gain * gain } else { 0.0 };
                assert!(
                    (g[a * n + b] - want).abs() < 1e-12,
                    "{dims:?} gram[{a},{b}]"
                );
            }
        }
    }
}

/// A negative gain (accepted, as PyTorch's `orthogonal_`) flips every entry: the same draws
/// times −|gain|, exactly.
#[test]
fn orthogonal_negative_gain_is_the_mirror_image() {
    for dims in [vec![8usize, 5], vec![5, 8]] {
        let pos = fill_f64(&Init::Orthogonal { gain: 2.0 }, &dims, Layout::Torch, 7);
        let neg = fill_f64(&Init::Orthogonal { gain: -2.0 }, &dims, Layout::Torch, 7);
        assert!(pos.iter().zip(&neg).all(|(p, n)| *n == -*p), "{dims:?}");
    }
}

#[test]
fn eye_dirac_sparse_structure() {
    let e = fill_f64(&Init::Eye, &[3, 5], Layout::Torch, 0);
    for r in 0..3 {
        for c in 0..5 {
            assert_eq!(e[r * 5 + c], if r == c { 1.0 } else { 0.0 });
        }
    }
    // dirac (4, 2, 3, 3), groups 2: out_per_group 2, min(2, 2) = 2 per group.
    let d = fill_f64(&Init::Dirac { groups: 2 }, &[4, 2, 3, 3], Layout::Torch, 0);
    let idx = |o: usize, i: usize, h: usize, w: usize| ((o * 2 + i) * 3 + h) * 3 + w;
    let mut ones = 0;
    for g in 0..2 {
        for dd in 0..2 {
            assert_eq!(d[idx(g * 2 + dd, dd, 1, 1)], 1.0);
            ones += 1;
        }
    }
    assert_eq!(d.iter().filter(|&&x| x == 1.0).count(), ones);
    assert_eq!(d.iter().filter(|&&x| x != 0.0 && x != 1.0).count(), 0);

    let (rows, cols) = (100usize, 300usize);
    let w = fill_f64(
        &Init::Sparse {
            sparsity: 0.25,
            std: 0.05,
        },
        &[rows, cols],
        Layout::Torch,
        3,
    );
    for c in 0..cols {
        let zeros = (0..rows).filter(|&r| w[r * cols + c] == 0.0).count();
        assert_eq!(zeros, 25, "column {c}");
    }
    let nz: Vec<f64> = w.iter().copied().filter(|&x| x != 0.0).collect();
    assert_moments("sparse nonzeros", &nz, 0.0, 0.05, 3.0);
}

#[test]
fn linear_default_std_is_0_0361_not_0_088() {
    let xs = fill_t::<f32>(&nninit::layers::linear_weight_init(), &[128, 256], 42);
    let theory = 1.0 / (3.0f64 * 256.0).sqrt();
    assert!((theory - 0.0361).abs() < 1e-4);
    assert_moments("Linear(256,128).weight", &xs, 0.0, theory, 9.0 / 5.0);
    let (_, v) = mean_var(&xs);
    assert!((v.sqrt() - (2.0f64 / 256.0).sqrt()).abs() > 0.05);
}

#[test]
fn constants() {
    assert!(fill_f64(&Init::Zeros, &[3, 4], Layout::Torch, 0)
        .iter()
        .all(|&x| x == 0.0));
    assert!(fill_f64(&Init::Ones, &[3, 4], Layout::Torch, 0)
        .iter()
        .all(|&x| x == 1.0));
    assert!(fill_f64(&Init::Constant(0.25), &[7], Layout::Torch, 0)
        .iter()
        .all(|&x| x == 0.25));
}

/// Stewart's method keeps QR's first column: the first `max(rows, cols)` draws, normalised
/// (row 0 of a wide or square output, column 0 of a tall one), times gain.
#[test]
fn orthogonal_first_vector_is_the_normalised_first_draws() {
    use nninit::{Sampler, Stream};
    for dims in [[5usize, 8], [8, 8], [8, 5]] {
        let (rows, cols) = (dims[0], dims[1]);
        let m = rows.max(cols);
        let gain = 1.5;
        let w = fill_f64(&Init::Orthogonal { gain }, &dims, Layout::Torch, 11);
        let mut g = vec![0f64; rows * cols];
        stream(11).sample(&Sampler::standard_normal(), &mut g);
        let norm = g[..m].iter().map(|x| x * x).sum::<f64>().sqrt();
        for (i, gi) in g[..m].iter().enumerate() {
            let got = if rows > cols { w[i * cols] } else { w[i] };
            let want = gain * gi / norm;
            assert!(
                (got - want).abs() < 1e-13,
                "{dims:?} element {i}: {got} vs {want}"
            );
        }
    }
}

/// Haar moments. For the first `n` columns of a Haar-random `m × m` orthogonal matrix
/// (`n = min(rows, cols)`, `m = max`): the partial trace `X = Σ_{k<n} Q_kk` has mean 0 and
/// variance `n/m` (diagonal entries are uncorrelated, each of variance `1/m`), and the last
/// diagonal entry `Q_{n-1,n-1}` has `E[Q²] = 1/m`, `E[Q⁴] = 3/(m(m+2))`. A wrong sign rule
/// shifts the mean of X by about `sqrt(n)`; a wrong reflector order changes the last entry's
/// moments. 6-sigma bands over 4000 draws (`X²`'s variance taken as Gaussian's, `2 (n/m)²`).
#[test]
fn orthogonal_is_haar_distributed() {
    let draws = 4000usize;
    for dims in [[6usize, 6], [9, 4], [4, 9]] {
        let (rows, cols) = (dims[0], dims[1]);
        let (m, n) = (rows.max(cols) as f64, rows.min(cols));
        let (mut sx, mut sx2, mut sq2) = (0.0, 0.0, 0.0);
        for seed in 0..draws as u64 {
            let w = fill_f64(
                &Init::Orthogonal { gain: 1.0 },
                &dims,
                Layout::Torch,
                1000 + seed,
            );
            let x: f64 = (0..n).map(|k| w[k * cols + k]).sum();
            let last = w[(n - 1) * cols + (n - 1)];
            sx += x;
            sx2 += x * x;
            sq2 += last * last;
        }
        let d = draws as f64;
        let var_x = n as f64 / m;
        let mean_x = sx / d;
        assert!(
            mean_x.abs() < Z * (var_x / d).sqrt(),
            "{dims:?}: E[X] = {mean_x}"
        );
        let ex2 = sx2 / d;
        let band = Z * (2.0 * var_x * var_x / d).sqrt();
        assert!(
            (ex2 - var_x).abs() < band,
            "{dims:?}: E[X²] = {ex2}, want {var_x} ± {band}"
        );
        let eq2 = sq2 / d;
        let var_q2 = 3.0 / (m * (m + 2.0)) - 1.0 / (m * m);
        let band = Z * (var_q2 / d).sqrt();
        assert!(
            (eq2 - 1.0 / m).abs() < band,
            "{dims:?}: E[Q²] = {eq2}, want {} ± {band}",
            1.0 / m
        );
    }
}

/// Large enough for the blocked path and two column panels (512 wide): f32 orthogonality
/// (rounding of the f32 reflectors, about sqrt(n) · 2⁻²⁴ per entry; 1e-5 is a ~10x margin),
/// checked on the first and last 40 columns, and bit-identical results whatever the rayon
/// pool size.
#[test]
fn orthogonal_f32_blocked_is_orthogonal_and_thread_invariant() {
    let dims = [1100usize, 600];
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let shape = Shape::new(&dims).unwrap();
                let mut w = vec![0f32; shape.numel()];
                Init::Orthogonal { gain: 1.0 }
                    .fill(&mut w, &shape, Layout::Torch, &mut stream(5))
                    .unwrap();
                w
            })
    };
    let w1 = run(1);
    for t in [2, 3, 7] {
        assert!(run(t) == w1, "orthogonal differs with {t} threads");
    }
    let (rows, cols) = (dims[0], dims[1]);
    let picked: Vec<usize> = (0..40).chain(cols - 40..cols).collect();
    let mut worst = 0f64;
    for &a in &picked {
        for &b in &picked {
            let dot: f64 = (0..rows)
                .map(|i| w1[i * cols + a] as f64 * w1[i * cols + b] as f64)
                .sum();
            worst = worst.max((dot - if a == b { 1.0 } else { 0.0 }).abs());
        }
    }
    assert!(worst < 1e-5, "max |QᵀQ − I| = {worst}");
}
