//! Deterministic elementary functions used by the fills: `ln`, `sin`/`cos` of a 24-bit
//! fraction of a turn and `Φ⁻¹`, in f64 (Wichura's AS241) and in f32 (table-driven `ln` and
//! `sin`/`cos` of a turn, a per-octave polynomial table for `Φ⁻¹`).
//!
//! The f64 ones are plain `+ − × ÷ √` (no fused multiply-add, no platform `libm`); the f32
//! ones use exactly rounded `mul_add` for their Horner steps. All are written branch-free so
//! that the same source compiles to scalar and to vector code with identical bits; results
//! are therefore identical on every platform. Accuracy (checked in the unit tests against
//! `std` / the f64 versions): f64 `ln` within 2 ulp, `sin`/`cos` within 4.5e-16 absolute,
//! `ppnd16` about 1e-16 relative (Wichura's stated accuracy); f32 `−2 ln u` within 1.5 ulp,
//! `sin`/`cos` within 1.2e-7 absolute, `ndtri_table_f32` within 3e-7 relative.

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
/// the right one selected (branch-free), then one division. `p = 0` and `1` give `∓∞` (a
/// truncated normal's draw at its window's end, after the clamp).
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
    let v = if !central && q < 0.0 { -v } else { v };
    // the ends exactly (`ln` of 0 is finite here, not −∞)
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        v
    }
}

// ------------------------------------------------------------------ f32 versions
//
// The f32/bf16/f16 fills use these: table-driven (small tables that an AVX-512 kernel reads
// with one permute per lookup) with short polynomials, in f32 (16 lanes per AVX-512 register
// instead of 8). Horner steps are fused multiply-adds (`mul_add`, exactly rounded: one
// instruction where the CPU has FMA — every AVX2/AVX-512 x86 and every aarch64 — and a
// correctly rounded software routine otherwise), so the results are still the same on every
// platform and kernel. Accuracy (unit tests, against f64): `neg2_ln_unit24_f32` 1.5 ulp,
// `sincos_turn24_f32` 1.2e-7 absolute, `ndtri_table_f32` 3e-7 relative.

/// Bits of the start of [`LN_TABLE`]'s range, `≈ 0.6992` (glibc `logf`'s `OFF`): `z` runs
/// over `[OFF, 2·OFF)`, so that the interval holding 1 gets `1/c = 1` exactly.
const LN_OFF: u32 = 0x3F33_0000;
/// `2 ln 2` rounded to f32.
const LN4_F32: f32 = 1.386_294_4;

/// Tables of [`neg2_ln_unit24_f32`] and [`sincos_turn24_f32`], from
/// `scripts/box_muller_tables.py` (mpmath). `LN_TABLE[0][i]`: `1/c` rounded to f32 for the 16
/// intervals `i` of `z` (bit patterns `LN_OFF + i·2¹⁹ ..`, `c` the midpoint; exactly 1 for the
/// interval holding 1); `LN_TABLE[1][i]`: `2 ln(LN_TABLE[0][i])` rounded to f32.
/// `SINCOS_TABLE`: `sin` and `cos` of `2π(i + ½)/32`, `i = 0..31`, rounded to f32.
#[allow(clippy::excessive_precision, clippy::approx_constant)]
mod tables {
    pub(crate) const LN_TABLE: [[f32; 16]; 2] = [
        [
            1.3989070653915405,
            1.3403141498565674,
            1.286432147026062,
            1.2367149591445923,
            1.1906976699829102,
            1.147982120513916,
            1.1082251071929932,
            1.0711296796798706,
            1.0364372730255127,
            1.0,
            0.9481481313705444,
            0.8951048851013184,
            0.8476821184158325,
            0.805031418800354,
            0.7664670944213867,
            0.7314285635948181,
        ],
        [
            0.6713825464248657,
            0.5858080387115479,
            0.5037451982498169,
            0.4249172806739807,
            0.34907883405685425,
            0.2760114371776581,
            0.20551946759223938,
            0.13742773234844208,
            0.0715782642364502,
            0.0,
            -0.10648906230926514,
            -0.22162875533103943,
            -0.33049914240837097,
            -0.43374794721603394,
            -0.5319270491600037,
            -0.6255114674568176,
        ],
    ];
    pub(crate) const SINCOS_TABLE: [[f32; 32]; 2] = [
        [
            0.0980171412229538,
            0.290284663438797,
            0.4713967442512512,
            0.6343932747840881,
            0.7730104327201843,
            0.8819212913513184,
            0.9569403529167175,
            0.9951847195625305,
            0.9951847195625305,
            0.9569403529167175,
            0.8819212913513184,
            0.7730104327201843,
            0.6343932747840881,
            0.4713967442512512,
            0.290284663438797,
            0.0980171412229538,
            -0.0980171412229538,
            -0.290284663438797,
            -0.4713967442512512,
            -0.6343932747840881,
            -0.7730104327201843,
            -0.8819212913513184,
            -0.9569403529167175,
            -0.9951847195625305,
            -0.9951847195625305,
            -0.9569403529167175,
            -0.8819212913513184,
            -0.7730104327201843,
            -0.6343932747840881,
            -0.4713967442512512,
            -0.290284663438797,
            -0.0980171412229538,
        ],
        [
            0.9951847195625305,
            0.9569403529167175,
            0.8819212913513184,
            0.7730104327201843,
            0.6343932747840881,
            0.4713967442512512,
            0.290284663438797,
            0.0980171412229538,
            -0.0980171412229538,
            -0.290284663438797,
            -0.4713967442512512,
            -0.6343932747840881,
            -0.7730104327201843,
            -0.8819212913513184,
            -0.9569403529167175,
            -0.9951847195625305,
            -0.9951847195625305,
            -0.9569403529167175,
            -0.8819212913513184,
            -0.7730104327201843,
            -0.6343932747840881,
            -0.4713967442512512,
            -0.290284663438797,
            -0.0980171412229538,
            0.0980171412229538,
            0.290284663438797,
            0.4713967442512512,
            0.6343932747840881,
            0.7730104327201843,
            0.8819212913513184,
            0.9569403529167175,
            0.9951847195625305,
        ],
    ];
}
pub(crate) use tables::{LN_TABLE, SINCOS_TABLE};

/// The Box–Muller radius squared in f32: `−2 ln(k·2⁻²⁴)` for `k ∈ [1, 2²⁴]` (`u1 = k·2⁻²⁴`).
/// Table-driven (as glibc's `logf`, in f32): `k = 2^e·z`, `z ∈ [0.699, 1.398)` in one of 16
/// intervals with tabulated `1/c` and `2 ln(1/c)`, `r = z/c − 1` (one fused multiply-add,
/// `|r| < 0.03`; exact with `1/c = 1` next to `z = 1`, so `u1` near 1 keeps full relative
/// accuracy), then `−2 ln u1 = (24 − e)·2 ln 2 + 2 ln(1/c) − 2r + r²(1 − ⅔r + ½r² − ⅖r³)`.
#[inline(always)]
pub(crate) fn neg2_ln_unit24_f32(k: u32) -> f32 {
    let ix = (k as f32).to_bits();
    let tmp = ix.wrapping_sub(LN_OFF); // k ≥ 1: no wrap
    let i = ((tmp >> 19) & 15) as usize;
    let kk = (24 - (tmp >> 23) as i32) as f32;
    let z = f32::from_bits(ix - (tmp & 0xFF80_0000));
    let r = z.mul_add(LN_TABLE[0][i], -1.0);
    let q = (-0.4f32)
        .mul_add(r, 0.5)
        .mul_add(r, -2.0 / 3.0)
        .mul_add(r, 1.0);
    let tail = (r * r).mul_add(q, -2.0 * r);
    kk.mul_add(LN4_F32, LN_TABLE[1][i]) + tail
}

/// `2π·2⁻²⁴` rounded to f32: the angle of one step of [`sincos_turn24_f32`]'s `j`.
pub(crate) const TURN24_F32: f32 = (std::f64::consts::TAU / 16_777_216.0) as f32;

/// `(sin 2πu, cos 2πu)` in f32 for `u = j · 2⁻²⁴`, `j < 2²⁴`: the nearest of 32 tabulated
/// angles `a = 2π(i + ½)/32` (`i = j >> 19`) and the offset `x = 2π(j mod 2¹⁹ − 2¹⁸)·2⁻²⁴`
/// (`|x| ≤ π/32`): `sin(a + x) = sin a + sin a·(cos x − 1) + cos a·sin x`, likewise `cos`,
/// with `sin x` to `x⁵` and `cos x − 1` to `x⁴` (truncation below `2e-9`).
#[inline(always)]
pub(crate) fn sincos_turn24_f32(j: u32) -> (f32, f32) {
    let i = ((j >> 19) & 31) as usize;
    let x = ((j & 0x7_FFFF) as i32 - 0x4_0000) as f32 * TURN24_F32;
    let z = x * x;
    let sx = (x * z).mul_add(z.mul_add(1.0 / 120.0, -1.0 / 6.0), x);
    let cm1 = z * z.mul_add(1.0 / 24.0, -0.5);
    let (sa, ca) = (SINCOS_TABLE[0][i], SINCOS_TABLE[1][i]);
    let s = sa.mul_add(cm1, ca.mul_add(sx, sa));
    let c = ca.mul_add(cm1, (-sa).mul_add(sx, ca));
    (s, c)
}

/// Smallest `p` for [`ndtri_table_f32`]: `2⁻¹⁷` (`Φ⁻¹ ≈ −4.33`).
pub(crate) const NDTRI_TABLE_MIN_P: f64 = 1.0 / 131_072.0;

/// Coefficients of [`ndtri_table_f32`]: row `j` holds the coefficient of `tʲ`, column
/// `e & 15` the octave `p ∈ [2^(e−127), 2^(e−126))` (`e` = biased f32 exponent, 110..=125).
/// Made by `scripts/fit_ndtri_octaves.py` (least squares on Chebyshev nodes against mpmath's
/// erfinv; worst relative error of these f32 coefficients 8.6e-8).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
pub(crate) const NDTRI_OCTAVES: [[f32; 16]; 8] = [
    [
        3.91231107711792,
        3.7419376373291016,
        3.564613103866577,
        3.3796212673187256,
        3.1862268447875977,
        2.983762264251709,
        2.771789789199829,
        2.550389528274536,
        2.3206162452697754,
        2.085170269012451,
        1.8493127822875977,
        1.6221672296524048,
        1.4194344282150269,
        1.27455735206604,
        4.234772682189941,
        4.076393127441406,
    ],
    [
        -0.1607387661933899,
        -0.1670963168144226,
        -0.17411911487579346,
        -0.18184900283813477,
        -0.19027234613895416,
        -0.19926175475120544,
        -0.20848111808300018,
        -0.21724426746368408,
        -0.22432757914066315,
        -0.22775064408779144,
        -0.2245151698589325,
        -0.21001921594142914,
        -0.17528128623962402,
        -0.08804880082607269,
        -0.14975811541080475,
        -0.15498237311840057,
    ],
    [
        0.050677258521318436,
        0.05249118059873581,
        0.05449950322508812,
        0.05673326924443245,
        0.059226155281066895,
        0.062009844928979874,
        0.065102718770504,
        0.06848614662885666,
        0.07206165045499802,
        0.07558944821357727,
        0.0786464661359787,
        0.08079157024621964,
        0.0829647034406662,
        0.10091310739517212,
        0.047528889030218124,
        0.04903076961636543,
    ],
    [
        -0.021973252296447754,
        -0.022721771150827408,
        -0.023547375574707985,
        -0.024462677538394928,
        -0.0254823025316,
        -0.02662230283021927,
        -0.027898063883185387,
        -0.02931887097656727,
        -0.03087575174868107,
        -0.03251750022172928,
        -0.03410976380109787,
        -0.03536800667643547,
        -0.0355793796479702,
        -0.028041735291481018,
        -0.020666711032390594,
        -0.02129119075834751,
    ],
    [
        0.010716442950069904,
        0.011070490814745426,
        0.011460010893642902,
        0.011890769936144352,
        0.012369577772915363,
        0.012904219329357147,
        0.0135029386729002,
        0.014172868803143501,
        0.014916128478944302,
        0.015721384435892105,
        0.0165480375289917,
        0.017303697764873505,
        0.017861269414424896,
        0.020115170627832413,
        0.010096273384988308,
        0.010393043980002403,
    ],
    [
        -0.005623215343803167,
        -0.005804864689707756,
        -0.006004338152706623,
        -0.006224505603313446,
        -0.006468781270086765,
        -0.006741139572113752,
        -0.007045971229672432,
        -0.007387543562799692,
        -0.007768551353365183,
        -0.008186773397028446,
        -0.00862827617675066,
        -0.009055708535015583,
        -0.009388289414346218,
        -0.008784657344222069,
        -0.0053042140789330006,
        -0.005456996615976095,
    ],
    [
        0.0037271000910550356,
        0.003844755468890071,
        0.00397370895370841,
        0.004115755204111338,
        0.004273040685802698,
        0.004448092542588711,
        0.004643780644983053,
        0.004863093141466379,
        0.0051084719598293304,
        0.005380185786634684,
        0.005672829691320658,
        0.00596878957003355,
        0.00622942578047514,
        0.006648622918874025,
        0.0035199483390897512,
        0.003619246883317828,
    ],
    [
        -0.0021764931734651327,
        -0.0022442126646637917,
        -0.00231834570877254,
        -0.002399901859462261,
        -0.002490091137588024,
        -0.002590345684438944,
        -0.002702315105125308,
        -0.002827772870659828,
        -0.002968316897749901,
        -0.0031246058642864227,
        -0.003294648602604866,
        -0.0034704480785876513,
        -0.0036325198598206043,
        -0.0036524503957480192,
        -0.0020570699125528336,
        -0.002114346483722329,
    ],
];

/// `Φ⁻¹(p)` for `p ∈ [2⁻¹⁷, ½]` (and up to an ulp above ½) without a logarithm:
/// `Φ⁻¹(p) = (2p − 1)·G(p)` with `G` smooth and positive, approximated on each octave of `p`
/// by a degree-7 polynomial in `t = m − 1.5` (`p = 2ᵉ·m`, `m ∈ [1, 2)`) from
/// [`NDTRI_OCTAVES`]. The octave index and `m` come straight from the bits of `p` (clamped
/// below ½, so that `p = ½` uses the top octave's `G`; `2p − 1` uses the unclamped `p`).
/// Relative error below 3e-7 (fit 8.6e-8, then f32 rounding of `2p − 1`, Horner and the
/// product). The AVX-512 kernel evaluates the same steps with one `vpermps` per coefficient.
#[inline(always)]
pub(crate) fn ndtri_table_f32(p: f32) -> f32 {
    let x = (p + p) - 1.0;
    let bits = p.min(NDTRI_TABLE_TOP).to_bits();
    let i = ((bits >> 23) & 15) as usize;
    let t = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000) - 1.5;
    let c = &NDTRI_OCTAVES;
    let mut g = c[7][i];
    g = g.mul_add(t, c[6][i]);
    g = g.mul_add(t, c[5][i]);
    g = g.mul_add(t, c[4][i]);
    g = g.mul_add(t, c[3][i]);
    g = g.mul_add(t, c[2][i]);
    g = g.mul_add(t, c[1][i]);
    g = g.mul_add(t, c[0][i]);
    x * g
}

/// The largest f32 below ½ (`½ − 2⁻²⁵`).
pub(crate) const NDTRI_TABLE_TOP: f32 = 0.499_999_97;

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
    #[test]
    fn f32_functions_match_f64() {
        // −2 ln(k·2⁻²⁴) on every k up to 2¹⁶, a stride through the rest, and the top:
        // relative error (the radius √y then has half of it)
        let mut worst: f64 = 0.0;
        let ks = (1u32..=1 << 16)
            .chain(((1 << 16)..(1 << 24)).step_by(13))
            .chain((1 << 24) - 4096..=1 << 24);
        for k in ks {
            let a = f64::from(neg2_ln_unit24_f32(k));
            let b = -2.0 * (f64::from(k) / 16_777_216.0).ln();
            if b != 0.0 {
                worst = worst.max(((a - b) / b).abs() / f64::from(f32::EPSILON));
            }
        }
        assert!(worst <= 1.5, "neg2_ln_unit24_f32 worst {worst} ulp");
        assert_eq!(neg2_ln_unit24_f32(1 << 24), 0.0);
        let mut worst_sc: f64 = 0.0;
        for j in (0u32..(1 << 24))
            .step_by(487)
            .chain([0, 1 << 21, (1 << 24) - 1])
        {
            let th = std::f64::consts::TAU * (j as f64 / 16_777_216.0);
            let (s, c) = sincos_turn24_f32(j);
            worst_sc = worst_sc
                .max((f64::from(s) - th.sin()).abs())
                .max((f64::from(c) - th.cos()).abs());
        }
        // the table's rounding (≤ 3e-8), the offset's (2⁻²⁴ of ≤ π/32: 6e-9) and two
        // fused roundings (≤ 6e-8 each)
        assert!(
            worst_sc < 1.2e-7,
            "sincos_turn24_f32 worst abs error {worst_sc}"
        );
        // ndtri_table_f32 against AS241 on its range, every octave, both ends, p = ½
        let mut worst_t: f64 = 0.0;
        let mut p = NDTRI_TABLE_MIN_P;
        while p <= 0.5 {
            let p32 = p as f32;
            let (a, b) = (f64::from(ndtri_table_f32(p32)), ppnd16(f64::from(p32)));
            worst_t = worst_t.max((a - b).abs() / b.abs().max(1e-3));
            p *= 1.0 + 1.0 / 4096.0;
        }
        assert_eq!(ndtri_table_f32(0.5), 0.0);
        eprintln!("neg2_ln {worst} ulp, sincos {worst_sc}, ndtri table {worst_t}");
        assert!(
            worst_t < 3e-7,
            "ndtri_table_f32 worst relative error {worst_t}"
        );
    }
}
