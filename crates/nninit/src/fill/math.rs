//! Deterministic f64 elementary functions used by the fills: `ln`, `sin`/`cos` of a 24-bit
//! fraction of a turn, and Wichura's AS241 `Φ⁻¹`.
//!
//! They are plain `+ − × ÷ √` on f64 (no fused multiply-add, no platform `libm`), written
//! branch-free so that the same source compiles to scalar and to vector code with identical
//! bits; results are therefore identical on every platform. Accuracy (checked in the unit
//! tests against `std`): `ln` within 2 ulp, `sin`/`cos` within 4.5e-16 absolute, `ppnd16`
//! about 1e-16 relative (Wichura's stated accuracy).

/// `1 / n!` for the Taylor coefficients.
const fn inv_fact(n: u32) -> f64 {
    let mut f = 1.0f64;
    let mut k = 2;
    while k <= n {
        f *= k as f64;
        k += 1;
    }
    1.0 / f
}

const SQRT2: f64 = std::f64::consts::SQRT_2;
/// `ln 2` split so that `e · LN2_HI` is exact for `|e| < 2^21`.
const LN2_HI: f64 = f64::from_bits(std::f64::consts::LN_2.to_bits() & !0xFFFF_FFFF);
const LN2_LO: f64 = std::f64::consts::LN_2 - LN2_HI;

/// Natural logarithm of a positive finite `x` (subnormals included).
///
/// `x = 2^e · m` with `m ∈ [√½, √2]`; `ln m = 2 atanh(s)`, `s = (m−1)/(m+1)`, `|s| ≤ 0.1716`,
/// by its Taylor series to `s^19` (truncation error below `4e-18`). For `x = 0` it returns a
/// finite value below `−744` (callers clamp).
#[inline(always)]
pub(crate) fn ln(x: f64) -> f64 {
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * 18014398509481984.0 } else { x }; // 2^54
    let bits = xs.to_bits();
    let ebits = (bits >> 52) as i32;
    let mut e = (ebits - if sub { 1023 + 54 } else { 1023 }) as f64;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    let big = m > SQRT2;
    m = if big { m * 0.5 } else { m };
    e = if big { e + 1.0 } else { e };
    let f = m - 1.0; // exact
    let s = f / (2.0 + f);
    let z = s * s;
    let mut p = 1.0 / 19.0;
    p = p * z + 1.0 / 17.0;
    p = p * z + 1.0 / 15.0;
    p = p * z + 1.0 / 13.0;
    p = p * z + 1.0 / 11.0;
    p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0;
    p = p * z + 1.0 / 5.0;
    p = p * z + 1.0 / 3.0;
    let s2 = s + s;
    let lnm = s2 + s2 * (z * p);
    e * LN2_HI + (e * LN2_LO + lnm)
}

/// `(sin 2πu, cos 2πu)` for `u = j · 2⁻²⁴`, `j < 2²⁴`.
///
/// The octant `j >> 21` is split off exactly (odd octants are reflected, `2²¹ − r`), so the
/// polynomial argument `x = r · 2π/2²⁴` lies in `[0, π/4]`; `sin` and `cos` there are Taylor
/// series to `x¹⁹` and `x¹⁸` (truncation error below `1e-19`), then swapped and signed by
/// octant.
#[inline(always)]
pub(crate) fn sincos_turn24(j: u32) -> (f64, f64) {
    let o = (j >> 21) & 7;
    let r = j & 0x1F_FFFF;
    let rr = if o & 1 == 1 { 0x20_0000 - r } else { r };
    let x = rr as f64 * (std::f64::consts::TAU / 16_777_216.0);
    let z = x * x;
    let mut ps = -inv_fact(19);
    ps = ps * z + inv_fact(17);
    ps = ps * z - inv_fact(15);
    ps = ps * z + inv_fact(13);
    ps = ps * z - inv_fact(11);
    ps = ps * z + inv_fact(9);
    ps = ps * z - inv_fact(7);
    ps = ps * z + inv_fact(5);
    ps = ps * z - inv_fact(3);
    let s = x + x * (z * ps);
    let mut pc = -inv_fact(18);
    pc = pc * z + inv_fact(16);
    pc = pc * z - inv_fact(14);
    pc = pc * z + inv_fact(12);
    pc = pc * z - inv_fact(10);
    pc = pc * z + inv_fact(8);
    pc = pc * z - inv_fact(6);
    pc = pc * z + inv_fact(4);
    let c = (1.0 - 0.5 * z) + (z * z) * pc;
    let swap = ((o + 1) >> 1) & 1 == 1;
    let (s1, c1) = if swap { (c, s) } else { (s, c) };
    let sn = if o >= 4 { -s1 } else { s1 };
    let cn = if o.wrapping_sub(2) < 4 { -c1 } else { c1 };
    (sn, cn)
}

// Wichura (1988), Algorithm AS 241, *The percentage points of the normal distribution*,
// Applied Statistics 37(3), 477–484: PPND16 coefficients, with the published digits.
#[allow(clippy::excessive_precision)]
mod as241 {
    pub(super) const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    pub(super) const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ];
    pub(super) const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_7e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_4e-4,
    ];
    pub(super) const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        6.897_673_349_851_000_045_5e-1,
        1.481_039_764_274_800_745_9e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    pub(super) const E: [f64; 8] = [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        2.965_605_718_285_048_912_3e-1,
        2.653_218_952_657_612_309_3e-2,
        1.242_660_947_388_078_438_6e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    pub(super) const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_9e-1,
        1.369_298_809_227_358_053_1e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
}
use as241::{A, B, C, D, E, F};

#[inline(always)]
fn poly(c: &[f64; 8], x: f64) -> f64 {
    let mut p = c[7];
    p = p * x + c[6];
    p = p * x + c[5];
    p = p * x + c[4];
    p = p * x + c[3];
    p = p * x + c[2];
    p = p * x + c[1];
    p * x + c[0]
}

/// `Φ⁻¹(p)` for `p ∈ [0, 1]` by Wichura's AS241 (PPND16), relative accuracy about 1e-16.
///
/// Central region `|p − ½| ≤ 0.425`: rational function of `0.180625 − q²`; tails: of
/// `r = √(−ln min(p, 1−p))`, one for `r ≤ 5` and one beyond. All three are evaluated and
/// the right one selected (branch-free), then one division. `p = 0` or `1` give a finite
/// value beyond ±38 (callers clamp).
#[inline(always)]
pub(crate) fn ppnd16(p: f64) -> f64 {
    let q = p - 0.5;
    let central = q.abs() <= 0.425;
    let rc = 0.180625 - q * q;
    let tail_p = if q < 0.0 { p } else { 1.0 - p };
    let tail_p = if central { 0.5 } else { tail_p };
    let r = (-ln(tail_p)).sqrt();
    let far = r > 5.0;
    let t = if far { r - 5.0 } else { r - 1.6 };
    let num_t = if far { poly(&E, t) } else { poly(&C, t) };
    let den_t = if far { poly(&F, t) } else { poly(&D, t) };
    let num = if central { q * poly(&A, rc) } else { num_t };
    let den = if central { poly(&B, rc) } else { den_t };
    let v = num / den;
    if !central && q < 0.0 {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        ((a - b) / (b.abs() * f64::EPSILON).max(f64::MIN_POSITIVE)).abs()
    }

    #[test]
    fn ln_matches_std() {
        let mut worst: f64 = 0.0;
        let mut x = 1e-310f64;
        while x < 1e300 {
            for k in 0..50 {
                let y = x * (1.0 + k as f64 / 37.0);
                let (a, b) = (ln(y), y.ln());
                if b.abs() > 1e-300 {
                    worst = worst.max(ulps(a, b));
                }
            }
            x *= 3.7;
        }
        // values just around 1, where ln is small
        for k in 1..2000 {
            let y = 1.0 + (k as f64 - 1000.0) * 1e-6;
            if y != 1.0 {
                worst = worst.max(ulps(ln(y), y.ln()));
            }
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(worst <= 2.0, "ln worst error {worst} ulp");
        // every 24-bit Box–Muller input k·2^-24 is handled: spot-check the ends.
        assert_eq!(ln(1.0 / 16_777_216.0), -24.0 * std::f64::consts::LN_2);
    }

    #[test]
    fn sincos_matches_std() {
        let mut worst: f64 = 0.0;
        for j in (0u32..(1 << 24))
            .step_by(997)
            .chain([0, 1 << 21, 1 << 22, (1 << 24) - 1])
        {
            let th = std::f64::consts::TAU * (j as f64 / 16_777_216.0);
            let (s, c) = sincos_turn24(j);
            worst = worst.max((s - th.sin()).abs()).max((c - th.cos()).abs());
        }
        // The reference's own argument 2π·u (up to 2π) is rounded by up to half an ulp of
        // 2π = 4.4e-16, which moves sin/cos by as much; std's sin/cos add 1 ulp (2.2e-16) and
        // ours 2 ulp: 1.1e-15 in all.
        assert!(worst < 1.1e-15, "sincos worst abs error {worst}");
        // In the first octant the argument is exact to 1.1e-16: 4.4e-16 (2 ulp of 1).
        let mut worst0: f64 = 0.0;
        for j in (0u32..(1 << 21)).step_by(101) {
            let th = std::f64::consts::TAU * (j as f64 / 16_777_216.0);
            let (s, c) = sincos_turn24(j);
            worst0 = worst0.max((s - th.sin()).abs()).max((c - th.cos()).abs());
        }
        assert!(worst0 < 4.5e-16, "first-octant worst abs error {worst0}");
        assert_eq!(sincos_turn24(0), (0.0, 1.0));
    }

    #[test]
    fn ppnd16_inverts_the_cdf() {
        // Φ by erfc: accurate in the lower tail (1 + erf(x) cancels there).
        let std_normal_cdf = |z: f64| 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
        // Known quantiles.
        assert!((ppnd16(0.975) - 1.959_963_984_540_054).abs() < 1e-15);
        assert!((ppnd16(0.025) + 1.959_963_984_540_054).abs() < 1e-15);
        assert_eq!(ppnd16(0.5), 0.0);
        // Round trip through Φ (erf-based, ~1e-16) across both tails and the centre.
        for k in 1..4000 {
            let z = -8.0 + k as f64 * 0.004;
            let p = std_normal_cdf(z);
            if !(1e-300..=1.0 - 1e-12).contains(&p) {
                continue;
            }
            let back = ppnd16(p);
            // dz = dp / φ(z): the f64 rounding of p (absolute error eps·p) moves z by eps·p/φ(z).
            let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let tol = 4.0 * f64::EPSILON * (p / phi + z.abs()) + 1e-15;
            assert!((back - z).abs() < tol, "z {z}: {back} (tol {tol})");
        }
        // far tail (r > 5)
        assert!((ppnd16(1e-20) + 9.262_340_089_798_408).abs() < 1e-13);
    }
}
