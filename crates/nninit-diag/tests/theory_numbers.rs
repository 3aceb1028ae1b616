//! Numbers the theory code must reproduce, each computed independently of it:
//!
//! * closed forms: relu `E[φ²] = 1/2` (gain √2), leaky_relu(a) `(1+a²)/2` (gain
//!   √(2/(1+a²))), identity 1 — asserted to 1e-9 (in fact 1e-13);
//! * docs/theory.md §2.3's verified table (maintainers' script gains_table.py, half-range
//!   Gauss–Legendre n = 200, cross-checked there with scipy `quad` to 1e-13), printed to 10
//!   decimals — asserted to 1e-9;
//! * an independent adaptive Simpson rule written here (split at 0, |z| ≤ 12, tolerance
//!   1e-14) — asserted to 1e-11 for every activation;
//! * docs/theory.md §2.4's critical line for tanh and §2.1's fixed point for gain 5/3 (6 decimals,
//!   fixed-point iteration + Brent in the maintainers' script) — asserted to 2e-6 for
//!   σ_b² ≤ 0.3. For σ_b² = 1 and 2 the table's σ_w² (3.443216, 4.266657) is off by 5e-6 and
//!   2.6e-4: an independent computation (plain Python, trapezoid rule with 20,000 nodes on
//!   |z| ≤ 14 — spectrally accurate for Gaussian-weighted analytic integrands — and 60 bisection
//!   steps on σ_b²(q*) = q* − E[tanh²]/E[tanh'²]) gives 3.443210912 and 4.266396106 (q* 3.036396395,
//!   4.830586191), which the code matches to 1e-8; we take the table's last digits there to be
//!   iteration error of its fixed-point loop.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit_diag::theory::{critical_point, expect_normal, fixed_point, gains, GaussHermite};
use nninit_diag::Activation;

/// Adaptive Simpson on [a, b] (Lyness' criterion, |S2 − S1| ≤ 15·tol).
fn simpson(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    #[allow(clippy::too_many_arguments)]
    fn rec(
        f: &dyn Fn(f64) -> f64,
        a: f64,
        b: f64,
        fa: f64,
        fm: f64,
        fb: f64,
        s: f64,
        tol: f64,
        d: u32,
    ) -> f64 {
        let m = 0.5 * (a + b);
        let (lm, rm) = (0.5 * (a + m), 0.5 * (m + b));
        let (flm, frm) = (f(lm), f(rm));
        let sl = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
        let sr = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
        // at least 8 levels (256 panels) before trusting the error estimate: a coarse
        // Simpson estimate can agree with itself by accident on a peaked integrand
        if d == 0 || (d < 32 && (sl + sr - s).abs() <= 15.0 * tol) {
            return sl + sr + (sl + sr - s) / 15.0;
        }
        rec(f, a, m, fa, flm, fm, sl, tol / 2.0, d - 1)
            + rec(f, m, b, fm, frm, fb, sr, tol / 2.0, d - 1)
    }
    let (fa, fb, fm) = (f(a), f(b), f(0.5 * (a + b)));
    let s = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    rec(f, a, b, fa, fm, fb, s, tol, 40)
}

fn simpson_expect(g: impl Fn(f64) -> f64) -> f64 {
    let pdf = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let h = |z: f64| g(z) * pdf(z);
    simpson(&h, -12.0, 0.0, 1e-14) + simpson(&h, 0.0, 12.0, 1e-14)
}

#[test]
fn closed_form_gains() {
    let r = gains(Activation::Relu).unwrap();
    assert!((r.gain - 2f64.sqrt()).abs() < 1e-9, "{}", r.gain);
    for a in [0.01, 0.2, 0.5] {
        let l = gains(Activation::LeakyRelu(a)).unwrap();
        assert!(
            (l.gain - (2.0 / (1.0 + a * a)).sqrt()).abs() < 1e-9,
            "{a}: {}",
            l.gain
        );
        assert!((l.torch_gain.unwrap() - l.gain).abs() < 1e-9);
    }
    let i = gains(Activation::Identity).unwrap();
    assert!((i.gain - 1.0).abs() < 1e-9);
    // E[relu(z)] = 1/√(2π)
    assert!((r.mean - 1.0 / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-13);
}

/// docs/theory.md §2.3: (activation, E[φ²], g, E[φ'²], χ₁, χ_q, E[φ]).
#[allow(clippy::type_complexity)]
const TABLE: &[(&str, f64, f64, f64, f64, f64, f64)] = &[
    (
        "tanh",
        0.3942944904,
        1.5925374197,
        0.4644029024,
        1.177807,
        0.461071,
        0.0,
    ),
    (
        "sigmoid",
        0.2933790359,
        1.8462285453,
        0.0448362414,
        0.152827,
        0.106341,
        0.5,
    ),
    (
        "gelu",
        0.4252214826,
        1.5335304412,
        0.4558508656,
        1.072032,
        1.144063,
        0.282095,
    ),
    (
        "gelu_tanh",
        0.4251937110,
        1.5335805217,
        0.4558178460,
        1.072024,
        1.144298,
        0.282039,
    ),
    (
        "silu",
        0.3557755198,
        1.6765324703,
        0.3794823516,
        1.066634,
        1.172594,
        0.206621,
    ),
    (
        "mish",
        0.4523421924,
        1.4868475813,
        0.4790837584,
        1.059118,
        1.076339,
        0.240404,
    ),
    (
        "elu",
        0.6449454175,
        1.2451983007,
        0.6681020012,
        1.035905,
        0.890968,
        0.160521,
    ),
    (
        "selu",
        1.0000000000,
        1.0000000000,
        1.0715749925,
        1.071575,
        0.782648,
        0.0,
    ),
    (
        "softplus",
        0.9212459089,
        1.0418668355,
        0.2933790359,
        0.318459,
        0.492053,
        0.806059,
    ),
    (
        "leaky_relu:0.2",
        0.52,
        1.3867504906,
        0.52,
        1.0,
        1.0,
        0.319154,
    ),
];

#[test]
fn gains_match_the_verified_table() {
    for &(name, phi2, g, dphi2, chi1, chiq, mean) in TABLE {
        let act: Activation = name.parse().unwrap();
        let r = gains(act).unwrap();
        // 10-decimal columns: 1e-9; 6-decimal columns: 1e-6
        assert!(
            (r.second_moment - phi2).abs() < 1e-9,
            "{name} E[phi^2] {}",
            r.second_moment
        );
        assert!((r.gain - g).abs() < 1e-9, "{name} gain {}", r.gain);
        assert!(
            (r.deriv_second_moment - dphi2).abs() < 1e-9,
            "{name} E[phi'^2] {}",
            r.deriv_second_moment
        );
        assert!((r.chi1 - chi1).abs() < 1e-6, "{name} chi1 {}", r.chi1);
        assert!((r.chi_q - chiq).abs() < 1e-6, "{name} chi_q {}", r.chi_q);
        assert!((r.mean - mean).abs() < 1e-6, "{name} mean {}", r.mean);
    }
}

#[test]
fn quadrature_agrees_with_an_independent_adaptive_simpson() {
    for act in Activation::ALL {
        for q in [0.01f64, 1.0, 7.3] {
            let s = q.sqrt();
            let want = simpson_expect(|z| act.apply(s * z).powi(2));
            let got = expect_normal(|x| act.apply(x).powi(2), 0.0, s);
            assert!(
                (got - want).abs() < 1e-11 * want.max(1.0),
                "{act} q={q}: {got} vs {want}"
            );
            let want_d = simpson_expect(|z| act.derivative(s * z).powi(2));
            let got_d = expect_normal(|x| act.derivative(x).powi(2), 0.0, s);
            assert!(
                (got_d - want_d).abs() < 1e-11,
                "{act}' q={q}: {got_d} vs {want_d}"
            );
        }
    }
}

#[test]
fn gauss_hermite_is_spectral_for_smooth_and_exact_for_relu() {
    // smooth: GH-100 agrees with the panel rule to 1e-10 (docs/theory.md: tanh 6.5e-12 at n=100)
    let gh = GaussHermite::new(100);
    for act in [
        Activation::Tanh,
        Activation::Gelu,
        Activation::Silu,
        Activation::Mish,
        Activation::Sigmoid,
    ] {
        let a = gh.expect(|x| act.apply(x).powi(2), 0.0, 1.0);
        let b = expect_normal(|x| act.apply(x).powi(2), 0.0, 1.0);
        assert!((a - b).abs() < 1e-10, "{act}: GH {a} vs panels {b}");
    }
    // ReLU with even n: symmetric nodes make it exact (docs/theory.md §2.2)
    let r = gh.expect(|x| x.max(0.0).powi(2), 0.0, 1.0);
    assert!((r - 0.5).abs() < 1e-13);
}

#[test]
fn tanh_critical_line_matches_the_verified_table() {
    // (σ_b², σ_w² crit, q*) from docs/theory.md §2.4
    let rows = [
        (1e-4, 1.086026, 0.045709),
        (0.01, 1.424205, 0.273301),
        (0.05, 1.760955, 0.570048),
        (0.3, 2.505127, 1.461169),
    ];
    for (b2, w2, q) in rows {
        let c = critical_point(Activation::Tanh, b2).unwrap().unwrap();
        assert!((c.sigma_w2 - w2).abs() < 2e-6, "sb2={b2}: {}", c.sigma_w2);
        assert!(
            (c.q_star.unwrap() - q).abs() < 2e-6,
            "sb2={b2}: {:?}",
            c.q_star
        );
        // and the fixed point of that pair is q*, with χ₁ = 1
        let fp = fixed_point(Activation::Tanh, c.sigma_w2, b2).unwrap();
        assert!(fp.converged && (fp.q_star.unwrap() - c.q_star.unwrap()).abs() < 1e-8);
        assert!((fp.chi1.unwrap() - 1.0).abs() < 1e-8);
    }
    for (b2, w2, q) in [
        (1.0, 3.443210912265472, 3.0363963946237105),
        (2.0, 4.266396106127096, 4.830586191420414),
    ] {
        let c = critical_point(Activation::Tanh, b2).unwrap().unwrap();
        assert!((c.sigma_w2 - w2).abs() < 1e-8, "sb2={b2}: {}", c.sigma_w2);
        assert!(
            (c.q_star.unwrap() - q).abs() < 1e-8,
            "sb2={b2}: {:?}",
            c.q_star
        );
    }
    let c0 = critical_point(Activation::Tanh, 0.0).unwrap().unwrap();
    assert!((c0.sigma_w2 - 1.0).abs() < 1e-12 && c0.q_star == Some(0.0));
    let relu = critical_point(Activation::Relu, 0.0).unwrap().unwrap();
    assert!((relu.sigma_w2 - 2.0).abs() < 1e-12 && relu.q_star.is_none());
    assert!(critical_point(Activation::Relu, 0.1).unwrap().is_none());
}

#[test]
fn tanh_five_thirds_fixed_point() {
    // docs/theory.md §2.1/§2.7: q* = 1.178480, χ₁ = 1.2098, tanh-output std 0.6513
    let fp = fixed_point(Activation::Tanh, 25.0 / 9.0, 0.0).unwrap();
    assert!(fp.converged);
    let (q, chi1, sd) = (fp.q_star.unwrap(), fp.chi1.unwrap(), fp.act_std.unwrap());
    assert!((q - 1.178480).abs() < 2e-6, "{q}");
    assert!((chi1 - 1.2098).abs() < 1e-4, "{chi1}");
    assert!((sd - 0.6513).abs() < 1e-4, "{sd}");
    // chaotic (χ₁ > 1), σ_b = 0 and tanh odd: the correlation map's stable fixed point is 0
    assert!(fp.c_star.unwrap().abs() < 1e-9, "{:?}", fp.c_star);
    assert!(fp.chi_c.unwrap() < 1.0, "{:?}", fp.chi_c);
}

/// Issue #15: closed forms for the homogeneous activations, q* = 0 stated as 0, divergence
/// and the iteration cap told apart from convergence.
#[test]
fn fixed_point_statuses_are_exact() {
    use nninit_diag::theory::FixedPointStatus as S;
    // relu σ_w = 1.5: χ₁ = σ_w²/2 = 1.125 at any q; V(q) = 1.125 q diverges
    let fp = fixed_point(Activation::Relu, 2.25, 0.0).unwrap();
    assert_eq!(fp.status, S::Diverges);
    assert!((fp.chi1.unwrap() - 1.125).abs() < 1e-12, "{:?}", fp.chi1);
    assert!(fp.q_star.is_none() && !fp.converged);
    // relu σ_w = 1.2, σ_b = 0: q* = 0 exactly (not 5e-321), χ₁ = 0.72
    let fp = fixed_point(Activation::Relu, 1.44, 0.0).unwrap();
    assert_eq!((fp.status, fp.q_star), (S::Zero, Some(0.0)));
    assert!((fp.chi1.unwrap() - 0.72).abs() < 1e-12);
    // with a bias: q* = σ_b²/(1 − σ_w²/2) in closed form
    let fp = fixed_point(Activation::Relu, 1.0, 0.5).unwrap();
    assert_eq!(fp.status, S::Converged);
    assert!((fp.q_star.unwrap() - 1.0).abs() < 1e-12);
    // He: every q is a fixed point; with a bias q grows linearly
    assert_eq!(
        fixed_point(Activation::Relu, 2.0, 0.0).unwrap().status,
        S::Any
    );
    assert_eq!(
        fixed_point(Activation::Relu, 2.0, 1.0).unwrap().status,
        S::Diverges
    );
    // identity and leaky_relu likewise: χ₁ = σ_w²·E[φ'²]
    let fp = fixed_point(Activation::Identity, 2.25, 0.0).unwrap();
    assert_eq!(fp.status, S::Diverges);
    assert!((fp.chi1.unwrap() - 2.25).abs() < 1e-12, "{:?}", fp.chi1);
    let fp = fixed_point(Activation::LeakyRelu(0.2), 1.0, 0.0).unwrap();
    assert_eq!(fp.status, S::Zero);
    assert!((fp.chi1.unwrap() - 0.52).abs() < 1e-12);
    // tanh below criticality: q* = 0 (geometric decay to exactly 0)
    let fp = fixed_point(Activation::Tanh, 0.81, 0.0).unwrap();
    assert_eq!((fp.status, fp.q_star), (S::Zero, Some(0.0)));
    // tanh at σ_w = 1: algebraic decay q_l ≈ 1/(2l) — reported as q → 0, not converged to a
    // positive value
    let fp = fixed_point(Activation::Tanh, 1.0, 0.0).unwrap();
    assert_eq!(fp.status, S::Zero, "{fp:?}");
    // gelu with σ_w² = 2 grows like relu at large q without settling: diverges (not a
    // "fixed point" at the iteration cap)
    let fp = fixed_point(Activation::Gelu, 3.0, 0.0).unwrap();
    assert_eq!(fp.status, S::Diverges, "{fp:?}");
}

/// Softplus: σ_b²(q) on the would-be critical line tends to −∞ (≈ −0.8√q), so there is no
/// critical point for σ_b² >= 0 at large q; the old quadrature invented one at q* ≈ 8.9e7.
#[test]
fn softplus_has_no_spurious_critical_point() {
    for b2 in nninit_diag::theory::SIGMA_B2_GRID {
        if let Some(c) = critical_point(Activation::Softplus, b2).unwrap() {
            let q = c.q_star.unwrap();
            assert!(q < 1e4, "sb2={b2}: q* = {q}");
        }
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    use nninit_diag::theory::{variance_map, MeanFieldNet};
    assert!(variance_map(Activation::Tanh, -1.0, 0.0, 1.0).is_err());
    assert!(critical_point(Activation::Tanh, -0.1).is_err());
    assert!(fixed_point(Activation::Tanh, f64::NAN, 0.0).is_err());
    let e = MeanFieldNet::new(vec![]).unwrap_err().to_string();
    assert!(e.contains("depth 0"), "{e}");
    assert!("swish2".parse::<Activation>().is_err());
}
