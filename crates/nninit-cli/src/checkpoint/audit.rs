//! The audit of a checkpoint: per-tensor statistics, and against a recipe's plan the expected
//! law with the checks below; without a plan, statistics grouped by name pattern.
//!
//! Checks (each a flag on the tensor):
//! - NaN or ±inf values (always);
//! - a constant tensor (all zero or not) where the law is random; a tensor that is not the
//!   planned constant;
//! - std off: `|s − σ| > 6·SE`, `SE = σ·√((κ − 1)/(4n))` the standard error of the sample std
//!   of `n` draws from a law of kurtosis `κ` (z = 6);
//! - mean off: `|m − μ| > 6·σ/√n`;
//! - values outside a uniform's or truncated normal's `[a, b]` (bounds rounded outward to the
//!   stored type);
//! - KS: the statistic of up to [`SAMPLE_MAX`] values at fixed-seed indices against the law
//!   rounded to the stored type, above the α = [`KS_ALPHA`] critical value;
//! - tied tensors (the plan's `tied` names) that differ; a shape other than planned; a tensor the
//!   plan does not have, or a planned one missing (checkpoint-level problems).

use super::law::{bounds_in, ks_critical, ks_statistic, Law};
use super::read::{Checkpoint, TensorRef};
use super::stats::{count_differences, scan, Moments};
use anyhow::{Context, Result};
use nninit_recipes::TensorPlan;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

/// z of the std and mean bands.
pub const Z: f64 = 6.0;
/// Level of the KS test.
pub const KS_ALPHA: f64 = 1e-6;
/// Largest KS sample per tensor.
pub const SAMPLE_MAX: usize = 100_000;

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct Report {
    pub checkpoint: String,
    /// The recipe checked against (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe: Option<String>,
    pub tensors: Vec<TensorReport>,
    /// Tensors grouped by name pattern (layer indices replaced by `*`).
    pub groups: Vec<GroupReport>,
    /// Problems of the checkpoint as a whole (index, missing tensors).
    pub problems: Vec<String>,
    /// How the bands are set.
    pub bands: Bands,
    /// Number of flags and problems.
    pub flagged: usize,
}

#[derive(Debug, Serialize)]
pub struct Bands {
    pub z: f64,
    pub ks_alpha: f64,
    pub sample_max: usize,
}

#[derive(Debug, Serialize)]
pub struct TensorReport {
    pub name: String,
    /// The shard file name.
    pub file: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub numel: u64,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    pub zeros: u64,
    pub nonfinite: u64,
    /// The recipe's law, e.g. `normal(0, 0.02)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_std: Option<f64>,
    /// `std / expected_std`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_ratio: Option<f64>,
    /// KS statistic, its sample size and critical value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ks: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ks_n: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ks_critical: Option<f64>,
    pub flags: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GroupReport {
    pub pattern: String,
    pub tensors: usize,
    pub numel: u64,
    pub mean: f64,
    /// Std of all the group's values together.
    pub std: f64,
    /// Smallest and largest per-tensor std.
    pub std_min: f64,
    pub std_max: f64,
    pub min: f64,
    pub max: f64,
    pub flags: usize,
}

/// `model.layers.12.mlp.up_proj.weight` → `model.layers.*.mlp.up_proj.weight`.
pub fn pattern(name: &str) -> String {
    name.split('.')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Audits `ckpt` (against `plan` when given; `recipe` names it in the report).
///
/// # Errors
/// A file that cannot be read; a plan whose scheme the core rejects.
pub fn audit(
    ckpt: &Checkpoint,
    checkpoint: &str,
    plan: Option<(&str, &[TensorPlan])>,
) -> Result<Report> {
    let mut files: HashMap<PathBuf, std::fs::File> = HashMap::new();
    for t in &ckpt.tensors {
        if !files.contains_key(&t.file) {
            let f = std::fs::File::open(&t.file)
                .with_context(|| format!("cannot open {}", t.file.display()))?;
            files.insert(t.file.clone(), f);
        }
    }
    // the plan by name, and every tied name → its planned tensor
    let mut planned: HashMap<&str, &TensorPlan> = HashMap::new();
    if let Some((_, p)) = plan {
        for tp in p {
            planned.insert(&tp.name, tp);
            for alias in &tp.tied {
                planned.insert(alias, tp);
            }
        }
    }
    let present: HashMap<&str, (usize, &TensorRef)> = ckpt
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), (i, t)))
        .collect();
    let mut problems = ckpt.problems.clone();
    let mut tensors = vec![];
    let mut moments = vec![];
    for (pos, t) in ckpt.tensors.iter().enumerate() {
        let file = &files[&t.file];
        let mut flags = vec![];
        let mut rep = TensorReport {
            name: t.name.clone(),
            file: t
                .file
                .file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
            dtype: t
                .dtype
                .map_or(t.dtype_name.clone(), |d| d.name().to_string()),
            shape: t.shape.clone(),
            numel: t.numel(),
            mean: f64::NAN,
            std: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            zeros: 0,
            nonfinite: 0,
            law: None,
            expected_std: None,
            std_ratio: None,
            ks: None,
            ks_n: None,
            ks_critical: None,
            flags: vec![],
        };
        let tp = planned.get(t.name.as_str()).copied();
        if plan.is_some() && tp.is_none() {
            flags.push("not in the recipe's plan".to_string());
        }
        let Some(dtype) = t.dtype else {
            if tp.is_some() {
                flags.push(format!("dtype {} is not a float type", t.dtype_name));
            }
            rep.flags = flags;
            tensors.push(rep);
            moments.push(Moments::default());
            continue;
        };
        let mut s = scan(file, t, SAMPLE_MAX)?;
        let m = s.moments;
        (rep.mean, rep.std, rep.min, rep.max) = (m.mean, m.std(), m.min, m.max);
        (rep.zeros, rep.nonfinite) = (m.zeros, m.nonfinite);
        if m.n == 0 {
            (rep.mean, rep.std, rep.min, rep.max) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        }
        if m.nonfinite > 0 {
            flags.push(format!("{} NaN/inf values", m.nonfinite));
        }
        if let Some(tp) = tp {
            // tied: compare with the partner once (when the second of the pair comes)
            let partners = std::iter::once(&tp.name)
                .chain(&tp.tied)
                .filter(|n| **n != t.name);
            for other in partners {
                let Some(&(opos, o)) = present.get(other.as_str()) else {
                    continue;
                };
                if opos < pos {
                    match count_differences(&files[&o.file], o, file, t)? {
                        Some(0) => {}
                        Some(n) => flags.push(format!("differs from tied {other} in {n} elements")),
                        None => {
                            flags.push(format!("tied to {other} but of another shape or dtype"))
                        }
                    }
                }
            }
            if tp.shape != t.shape {
                flags.push(format!(
                    "shape {:?}, the recipe plans {:?}",
                    t.shape, tp.shape
                ));
            } else if let Some(law) = Law::of(&tp.init, &tp.shape)
                .with_context(|| format!("tensor {}: init {}", tp.name, tp.init))?
            {
                rep.law = Some(law.describe());
                check_law(&law, dtype, &m, &mut s.sample, &mut rep, &mut flags);
            }
        }
        rep.flags = flags;
        tensors.push(rep);
        moments.push(m);
    }
    if let Some((_, p)) = plan {
        for tp in p {
            let here = std::iter::once(&tp.name)
                .chain(&tp.tied)
                .any(|n| present.contains_key(n.as_str()));
            if !here {
                problems.push(format!("missing: {} (planned by the recipe)", tp.name));
            }
        }
    }
    let groups = group(&tensors, &moments);
    let flagged = problems.len() + tensors.iter().map(|t| t.flags.len()).sum::<usize>();
    Ok(Report {
        checkpoint: checkpoint.to_string(),
        recipe: plan.map(|(r, _)| r.to_string()),
        tensors,
        groups,
        problems,
        bands: Bands {
            z: Z,
            ks_alpha: KS_ALPHA,
            sample_max: SAMPLE_MAX,
        },
        flagged,
    })
}

/// The checks of a tensor with moments `m` (stored in `dtype`) against `law`.
fn check_law(
    law: &Law,
    dtype: super::read::Float,
    m: &Moments,
    sample: &mut [f64],
    rep: &mut TensorReport,
    flags: &mut Vec<String>,
) {
    if m.n == 0 {
        return;
    }
    let g = super::law::g;
    if let Law::Constant(c) = *law {
        rep.expected_std = Some(0.0);
        let (lo, hi) = bounds_in(dtype, (c, c));
        if m.min < lo || m.max > hi {
            flags.push(format!(
                "expected the constant {}, found values in [{}, {}]",
                g(c),
                g(m.min),
                g(m.max)
            ));
        }
        return;
    }
    let (mu, sigma) = (law.mean(), law.std());
    rep.expected_std = Some(sigma);
    rep.std_ratio = Some(rep.std / sigma);
    if m.min == m.max {
        flags.push(if m.min == 0.0 {
            "all zero, expected random".to_string()
        } else {
            format!("constant {}, expected random", g(m.min))
        });
        return;
    }
    let n = m.n as f64;
    let se = sigma * ((law.kurtosis() - 1.0) / (4.0 * n)).sqrt();
    if (rep.std - sigma).abs() > Z * se {
        flags.push(format!(
            "std {}x the expected (band ±{}%)",
            g(rep.std / sigma),
            g(100.0 * Z * se / sigma)
        ));
    }
    if (m.mean - mu).abs() > Z * sigma / n.sqrt() {
        flags.push(format!(
            "mean {} off the expected {} (band ±{})",
            g(m.mean),
            g(mu),
            g(Z * sigma / n.sqrt())
        ));
    }
    if let Some(ab) = law.bounds() {
        let (lo, hi) = bounds_in(dtype, ab);
        if m.min < lo || m.max > hi {
            flags.push(format!(
                "values outside [{}, {}]: min {}, max {}",
                g(ab.0),
                g(ab.1),
                g(m.min),
                g(m.max)
            ));
        }
    }
    let d = ks_statistic(sample, law, dtype);
    let crit = ks_critical(sample.len(), KS_ALPHA);
    (rep.ks, rep.ks_n, rep.ks_critical) = (Some(d), Some(sample.len()), Some(crit));
    if d > crit {
        flags.push(format!("KS {} > {} (α = {KS_ALPHA:e})", g(d), g(crit)));
    }
}

/// Groups tensors by [`pattern`], in first-appearance order.
fn group(tensors: &[TensorReport], moments: &[Moments]) -> Vec<GroupReport> {
    let mut order: Vec<String> = vec![];
    let mut acc: HashMap<String, (GroupReport, Moments)> = HashMap::new();
    for (t, m) in tensors.iter().zip(moments) {
        let p = pattern(&t.name);
        let e = acc.entry(p.clone()).or_insert_with(|| {
            order.push(p.clone());
            (
                GroupReport {
                    pattern: p,
                    tensors: 0,
                    numel: 0,
                    mean: f64::NAN,
                    std: f64::NAN,
                    std_min: f64::INFINITY,
                    std_max: f64::NEG_INFINITY,
                    min: f64::NAN,
                    max: f64::NAN,
                    flags: 0,
                },
                Moments::default(),
            )
        });
        e.0.tensors += 1;
        e.0.numel += t.numel;
        e.0.flags += t.flags.len();
        if m.n > 0 {
            e.0.std_min = e.0.std_min.min(m.std());
            e.0.std_max = e.0.std_max.max(m.std());
        }
        e.1 = e.1.merge(*m);
    }
    order
        .into_iter()
        .filter_map(|p| acc.remove(&p))
        .map(|(mut g, m)| {
            if m.n > 0 {
                (g.mean, g.std, g.min, g.max) = (m.mean, m.std(), m.min, m.max);
            } else {
                (g.std_min, g.std_max) = (f64::NAN, f64::NAN);
            }
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::materialize::tests::test_plan;
    use std::collections::BTreeMap;

    #[test]
    fn patterns_star_the_layer_index() {
        assert_eq!(
            pattern("model.layers.12.mlp.up_proj.weight"),
            "model.layers.*.mlp.up_proj.weight"
        );
        assert_eq!(pattern("h.0.attn.c_attn.bias"), "h.*.attn.c_attn.bias");
        assert_eq!(pattern("lm_head.weight"), "lm_head.weight");
    }

    /// The test plan materialised in `dtype`, its tensors as f32 vectors by name.
    fn clean(out: &std::path::Path, dtype: &str) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
        let bar = indicatif::ProgressBar::hidden();
        crate::cmd::materialize::materialize(
            out,
            &test_plan(),
            "{}",
            "test",
            11,
            dtype,
            1 << 40,
            &bar,
        )
        .unwrap();
        let bytes = std::fs::read(out.join("model.safetensors")).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut m = BTreeMap::new();
        for (name, v) in st.tensors() {
            let mut vals = vec![];
            let f = super::super::read::Float::of(v.dtype()).unwrap();
            f.decode(v.data(), &mut vals);
            m.insert(
                name,
                (v.shape().to_vec(), vals.iter().map(|&x| x as f32).collect()),
            );
        }
        m
    }

    fn save(path: &std::path::Path, t: &BTreeMap<String, (Vec<usize>, Vec<f32>)>) {
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = t
            .iter()
            .map(|(n, (s, v))| (n.clone(), crate::io::le_bytes(v).into_owned(), s.clone()))
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = bytes
            .iter()
            .map(|(n, b, s)| {
                (
                    n.clone(),
                    safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                        .unwrap(),
                )
            })
            .collect();
        std::fs::write(path, safetensors::serialize(views, None).unwrap()).unwrap();
    }

    fn run(path: &std::path::Path) -> Report {
        let ckpt = super::super::read::open(path).unwrap();
        audit(&ckpt, "x", Some(("test", &test_plan()))).unwrap()
    }

    fn flags<'a>(r: &'a Report, name: &str) -> &'a [String] {
        &r.tensors.iter().find(|t| t.name == name).unwrap().flags
    }

    #[test]
    fn clean_checkpoints_pass() {
        let tmp = tempfile::tempdir().unwrap();
        for dtype in ["bf16", "f16", "f32"] {
            let dir = tmp.path().join(dtype);
            clean(&dir, dtype);
            let r = run(&dir);
            assert_eq!(
                r.flagged,
                0,
                "{dtype}: {:?} {:?}",
                r.problems,
                r.tensors.iter().map(|t| &t.flags).collect::<Vec<_>>()
            );
            let q = r
                .tensors
                .iter()
                .find(|t| t.name == "model.layers.0.self_attn.q_proj.weight")
                .unwrap();
            assert!((q.expected_std.unwrap() - 0.02).abs() < 1e-15);
            assert!(q.ks.unwrap() < q.ks_critical.unwrap());
        }
        // a tied copy that is equal passes too
        let mut t = clean(&tmp.path().join("t"), "f32");
        let e = t["model.embed_tokens.weight"].clone();
        t.insert("lm_head.weight".into(), e);
        let p = tmp.path().join("tied.safetensors");
        save(&p, &t);
        assert_eq!(run(&p).flagged, 0);
    }

    #[test]
    fn seeded_faults_are_flagged() {
        let tmp = tempfile::tempdir().unwrap();
        let mut t = clean(&tmp.path().join("c"), "f32");
        t.get_mut("model.layers.0.self_attn.q_proj.weight")
            .unwrap()
            .1
            .iter_mut()
            .for_each(|x| *x = 0.0);
        t.get_mut("model.layers.1.self_attn.q_proj.weight")
            .unwrap()
            .1
            .iter_mut()
            .for_each(|x| *x *= 2.0);
        let d = &mut t.get_mut("model.layers.0.mlp.down_proj.weight").unwrap().1;
        d[5] = 0.1;
        d[700] = -0.2;
        t.get_mut("model.layers.1.mlp.down_proj.weight").unwrap().1[3] = f32::NAN;
        t.get_mut("model.norm.weight").unwrap().1[0] = 0.5;
        let mut e = t["model.embed_tokens.weight"].clone();
        e.1[10] += 0.01;
        t.insert("lm_head.weight".into(), e);
        t.insert("extra.weight".into(), (vec![2], vec![1.0, 2.0]));
        t.remove("model.layers.1.input_layernorm.weight");
        let p = tmp.path().join("faulty.safetensors");
        save(&p, &t);
        let r = run(&p);
        let has = |name: &str, needle: &str| {
            let f = flags(&r, name);
            assert!(
                f.iter().any(|x| x.contains(needle)),
                "{name}: '{needle}' not in {f:?}"
            );
        };
        has("model.layers.0.self_attn.q_proj.weight", "all zero");
        has(
            "model.layers.1.self_attn.q_proj.weight",
            "x the expected (band",
        );
        has("model.layers.1.self_attn.q_proj.weight", "KS");
        has(
            "model.layers.0.mlp.down_proj.weight",
            "outside [-0.03, 0.03]",
        );
        has("model.layers.1.mlp.down_proj.weight", "1 NaN/inf");
        has("model.norm.weight", "expected the constant 1");
        has(
            "model.embed_tokens.weight",
            "differs from tied lm_head.weight in 1 elements",
        );
        has("extra.weight", "not in the recipe's plan");
        assert!(
            r.problems
                .iter()
                .any(|p| p.contains("missing: model.layers.1.input_layernorm.weight")),
            "{:?}",
            r.problems
        );
        // the untouched tensors stay clean
        assert!(flags(&r, "model.layers.0.input_layernorm.weight").is_empty());
        assert!(flags(&r, "model.layers.1.self_attn.q_proj.bias").is_empty());
    }

    #[test]
    fn without_a_plan_tensors_are_grouped() {
        let tmp = tempfile::tempdir().unwrap();
        clean(tmp.path().join("c").as_path(), "bf16");
        let ckpt = super::super::read::open(&tmp.path().join("c")).unwrap();
        let r = audit(&ckpt, "x", None).unwrap();
        assert_eq!(r.flagged, 0);
        let g = r
            .groups
            .iter()
            .find(|g| g.pattern == "model.layers.*.self_attn.q_proj.weight")
            .unwrap();
        assert_eq!((g.tensors, g.numel), (2, 2048));
        assert!((g.std / 0.02 - 1.0).abs() < 0.1, "{}", g.std);
        let n = r
            .groups
            .iter()
            .find(|g| g.pattern == "model.layers.*.input_layernorm.weight")
            .unwrap();
        assert_eq!((n.min, n.max, n.std), (1.0, 1.0, 0.0));
    }
}
