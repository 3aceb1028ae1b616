//! `nninit materialize`: a seed checkpoint for a Hugging Face config.json under a named init
//! recipe, streamed to HF-layout safetensors shards (see [`crate::checkpoint`]).

use crate::args::MaterializeArgs;
use crate::checkpoint::layout;
use crate::checkpoint::write::{write_checkpoint, Entry, Extras, PhiloxSource, ValuesSource};
use crate::stream::RngKind;
use anyhow::{bail, Context, Result};
use half::{bf16, f16};
use nninit_recipes::{ModelConfig, Recipe, TensorPlan};
use std::collections::BTreeMap;
use std::path::Path;

/// Reads `--config`, finds the recipe and builds its plan (shared with `audit`); the file is
/// read first, then the recipe name checked, then the config parsed.
pub fn load_plan(config: &Path, recipe: &str) -> Result<(String, ModelConfig, Vec<TensorPlan>)> {
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("cannot read --config {}", config.display()))?;
    let recipe = Recipe::by_name(recipe).context("--recipe")?;
    let cfg =
        ModelConfig::from_json(&text).with_context(|| format!("--config {}", config.display()))?;
    let plan = nninit_recipes::plan(&cfg, recipe)?;
    Ok((text, cfg, plan))
}

pub fn run(a: &MaterializeArgs) -> Result<()> {
    let max_shard_size = layout::parse_size(&a.max_shard_size)?;
    let (config_json, cfg, plan) = load_plan(&a.config, &a.recipe)?;
    let started = std::time::Instant::now();
    let bar = progress_bar();
    let total = match a.rng {
        RngKind::Philox => materialize(
            &a.out,
            &plan,
            &config_json,
            &a.recipe,
            a.seed,
            &a.dtype,
            max_shard_size,
            &bar,
        )?,
        RngKind::Torch if a.recipe == "nanogpt" => materialize_torch(
            &a.out,
            &cfg,
            &config_json,
            a.seed,
            &a.dtype,
            max_shard_size,
            &bar,
        )?,
        RngKind::Torch => bail!(
            "--rng torch reproduces nanoGPT's construction only: use it with --recipe nanogpt, \
             or --rng philox for --recipe {}",
            a.recipe
        ),
        RngKind::Std => bail!(
            "--rng std is not offered by materialize: use philox, or torch with --recipe nanogpt"
        ),
    };
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} ({} tensors, {:.2} GB {}) in {:.1} s ({:.2} GB/s)",
        a.out.display(),
        plan.len(),
        total as f64 / 1e9,
        a.dtype,
        secs,
        total as f64 / 1e9 / secs.max(1e-9)
    );
    Ok(())
}

/// Checks that no tensor's law can overflow `T` (so nothing non-finite is written): the
/// largest magnitude a Philox draw can have is the uniform's or window's bound, or
/// `|mean| + 5.8·std` for a normal (Box–Muller from 24-bit uniforms stays within 5.77 std).
fn check_range(p: &TensorPlan, dtype: &str) -> Result<()> {
    let shape = nninit::Shape::new(&p.shape).with_context(|| format!("tensor {}", p.name))?;
    let r = p
        .init
        .resolve(&shape, nninit::Layout::Torch)
        .with_context(|| format!("tensor {}: init {}", p.name, p.init))?;
    let big = match r {
        nninit::Resolved::Constant(v) => v.abs(),
        nninit::Resolved::Elementwise(nninit::Sampler::Uniform(u)) => {
            u.low().abs().max(u.high().abs())
        }
        nninit::Resolved::Elementwise(nninit::Sampler::Normal(n)) => n.mean().abs() + 5.8 * n.std(),
        nninit::Resolved::Elementwise(nninit::Sampler::TruncNormal(t)) => {
            t.a().abs().max(t.b().abs())
        }
        _ => 0.0,
    };
    let max = if dtype == "f16" {
        65504.0
    } else {
        f32::MAX as f64
    };
    if big > max {
        bail!(
            "tensor {}: init {} reaches {big:e}, beyond {dtype}'s range; use a wider --dtype",
            p.name,
            p.init
        );
    }
    Ok(())
}

/// Writes `plan` (Philox values keyed by `(seed, name)`) as a checkpoint directory `out` in
/// `dtype` (`bf16`, `f16`, `f32`) with `config_json`; returns the bytes of tensor data.
#[allow(clippy::too_many_arguments)]
pub fn materialize(
    out: &Path,
    plan: &[TensorPlan],
    config_json: &str,
    recipe: &str,
    seed: u64,
    dtype: &str,
    max_shard_size: u64,
    bar: &indicatif::ProgressBar,
) -> Result<u64> {
    let extras = extras(config_json, recipe, seed, "philox", max_shard_size);
    for p in plan {
        check_range(p, dtype)?;
    }
    let source = PhiloxSource::new(seed, plan)?;
    let entries: Vec<Entry> = plan
        .iter()
        .map(|p| Entry {
            name: p.name.clone(),
            shape: p.shape.clone(),
        })
        .collect();
    write_as(dtype, out, &entries, &source, &extras, bar)
}

/// [`write_checkpoint`] in the element type named `dtype` (`bf16`, `f16`, `f32`).
fn write_as<S: crate::checkpoint::write::Source>(
    dtype: &str,
    out: &Path,
    entries: &[Entry],
    source: &S,
    extras: &Extras<'_>,
    bar: &indicatif::ProgressBar,
) -> Result<u64> {
    match dtype {
        "bf16" => write_checkpoint::<bf16, _>(out, entries, source, extras, bar),
        "f16" => write_checkpoint::<f16, _>(out, entries, source, extras, bar),
        "f32" => write_checkpoint::<f32, _>(out, entries, source, extras, bar),
        other => bail!("--dtype {other}: expected bf16, f16 or f32"),
    }
}

/// The shard metadata and settings.
fn extras<'a>(
    config_json: &'a str,
    recipe: &str,
    seed: u64,
    rng: &str,
    max_shard_size: u64,
) -> Extras<'a> {
    let meta = BTreeMap::from([
        ("nninit_recipe".to_string(), recipe.to_string()),
        ("nninit_seed".to_string(), seed.to_string()),
        ("nninit_rng".to_string(), rng.to_string()),
        (
            "nninit_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ]);
    Extras {
        config_json,
        meta,
        max_shard_size,
        chunk: crate::checkpoint::write::CHUNK,
    }
}

/// Writes nanoGPT's `GPT(config)` after `torch.manual_seed(seed)`, bit for bit in f32
/// ([`nninit_recipes::nanogpt_torch_tensors`]; bf16/f16 rounded from those values to nearest
/// even), as a checkpoint directory `out`. Memory: the whole model in f32 (nanoGPT sizes).
pub fn materialize_torch(
    out: &Path,
    cfg: &ModelConfig,
    config_json: &str,
    seed: u64,
    dtype: &str,
    max_shard_size: u64,
    bar: &indicatif::ProgressBar,
) -> Result<u64> {
    let tensors = nninit_recipes::nanogpt_torch_tensors(cfg, seed)?;
    let entries: Vec<Entry> = tensors
        .iter()
        .map(|(p, _)| Entry {
            name: p.name.clone(),
            shape: p.shape.clone(),
        })
        .collect();
    let source = ValuesSource {
        values: tensors.into_iter().map(|(_, v)| v).collect(),
    };
    let extras = extras(config_json, "nanogpt", seed, "torch", max_shard_size);
    write_as(dtype, out, &entries, &source, &extras, bar)
}

/// Bytes written, bytes/s and the time left, on stderr (hidden when stderr is not a terminal).
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} materialize [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::args::{FillArgs, StreamArgs};

    pub(crate) fn tp(name: &str, shape: &[usize], init: &str, tied: &[&str]) -> TensorPlan {
        TensorPlan {
            name: name.into(),
            shape: shape.to_vec(),
            init: init.parse().unwrap(),
            rule: "test".into(),
            tied: tied.iter().map(|t| t.to_string()).collect(),
            dtype: nninit::DType::F32,
            layer: None,
            padding_row: None,
        }
    }

    /// A small Llama-like plan (hand-built until the recipes crate plans real configs).
    pub(crate) fn test_plan() -> Vec<TensorPlan> {
        vec![
            tp(
                "model.embed_tokens.weight",
                &[96, 32],
                "normal:0.02",
                &["lm_head.weight"],
            ),
            tp(
                "model.layers.0.self_attn.q_proj.weight",
                &[32, 32],
                "normal:0.02",
                &[],
            ),
            tp(
                "model.layers.0.mlp.down_proj.weight",
                &[32, 64],
                "trunc_normal:std=0.01,a=-0.03,b=0.03",
                &[],
            ),
            tp("model.layers.0.input_layernorm.weight", &[32], "ones", &[]),
            tp(
                "model.layers.1.self_attn.q_proj.weight",
                &[32, 32],
                "normal:0.02",
                &[],
            ),
            tp(
                "model.layers.1.mlp.down_proj.weight",
                &[32, 64],
                "uniform:-0.05,0.05",
                &[],
            ),
            tp("model.layers.1.input_layernorm.weight", &[32], "ones", &[]),
            tp("model.norm.weight", &[32], "ones", &[]),
            tp("model.layers.1.self_attn.q_proj.bias", &[32], "zeros", &[]),
        ]
    }

    fn write(dir: &Path, dtype: &str, max: u64) -> Result<u64> {
        let bar = indicatif::ProgressBar::hidden();
        materialize(
            dir,
            &test_plan(),
            "{\"model_type\": \"llama\"}\n",
            "test",
            7,
            dtype,
            max,
            &bar,
        )
    }

    fn fill_file(dir: &Path, p: &TensorPlan, dtype: &str) -> Vec<u8> {
        let out = dir.join(format!("{}.safetensors", p.name));
        let args = FillArgs {
            init: p.init.to_string(),
            shape: p
                .shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(","),
            layout: "torch".into(),
            stream: StreamArgs {
                seed: 7,
                rng: RngKind::Philox,
                flavor: None,
                threads: Some(1),
            },
            name: Some(p.name.clone()),
            dtype: dtype.into(),
            out: out.display().to_string(),
        };
        crate::cmd::fill::run(&args).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        st.tensor("weight").unwrap().data().to_vec()
    }

    #[test]
    fn shards_load_with_safetensors_and_the_index_is_valid() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("ckpt");
        // 96x32 bf16 = 6144 bytes: over the 5000-byte maximum, so in a shard of its own
        let total = write(&out, "bf16", 5000).unwrap();
        let plan = test_plan();
        let want: u64 = plan
            .iter()
            .map(|p| p.shape.iter().product::<usize>() as u64 * 2)
            .sum();
        assert_eq!(total, want);
        let index: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("model.safetensors.index.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(index["metadata"]["total_size"].as_u64().unwrap(), want);
        let map = index["weight_map"].as_object().unwrap();
        assert_eq!(map.len(), plan.len());
        let files: std::collections::BTreeSet<&str> =
            map.values().map(|v| v.as_str().unwrap()).collect();
        assert!(files.len() > 1);
        let mut seen = 0;
        for f in &files {
            assert!(
                f.starts_with("model-000")
                    && f.ends_with(&format!("-of-{:05}.safetensors", files.len()))
            );
            let bytes = std::fs::read(out.join(f)).unwrap();
            let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
            let (_, md) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
            assert_eq!(
                md.metadata()
                    .as_ref()
                    .unwrap()
                    .get("format")
                    .map(String::as_str),
                Some("pt")
            );
            let data: usize = st.tensors().iter().map(|(_, v)| v.data().len()).sum();
            assert!(
                data <= 5000 || st.len() == 1,
                "{f}: {data} bytes in {} tensors",
                st.len()
            );
            for (name, v) in st.tensors() {
                assert_eq!(map[&name].as_str().unwrap(), *f);
                assert_eq!(v.dtype(), safetensors::Dtype::BF16);
                let p = plan.iter().find(|p| p.name == name).unwrap();
                assert_eq!(v.shape(), p.shape.as_slice());
                seen += 1;
            }
        }
        assert_eq!(seen, plan.len());
        assert_eq!(
            std::fs::read_to_string(out.join("config.json")).unwrap(),
            "{\"model_type\": \"llama\"}\n"
        );
        // the tied name is written once, under the planned name
        assert!(!map.contains_key("lm_head.weight"));
    }

    #[test]
    fn values_equal_fill_with_the_tensor_name() {
        let tmp = tempfile::tempdir().unwrap();
        for dtype in ["bf16", "f32"] {
            let out = tmp.path().join(format!("ckpt-{dtype}"));
            write(&out, dtype, 5_000_000_000).unwrap();
            let bytes = std::fs::read(out.join("model.safetensors")).unwrap();
            let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
            for p in test_plan() {
                let got = st.tensor(&p.name).unwrap().data().to_vec();
                assert_eq!(got, fill_file(tmp.path(), &p, dtype), "{dtype} {}", p.name);
            }
        }
    }

    #[test]
    fn torch_mode_writes_nanogpts_tensors_bit_for_bit() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/configs/tiny-nanogpt-nobias.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let cfg = ModelConfig::from_json(&text).unwrap();
        let want = nninit_recipes::nanogpt_torch_tensors(&cfg, 1337).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("c");
        let bar = indicatif::ProgressBar::hidden();
        materialize_torch(&out, &cfg, &text, 1337, "f32", 5_000_000_000, &bar).unwrap();
        let bytes = std::fs::read(out.join("model.safetensors")).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.len(), want.len());
        for (p, v) in &want {
            assert!(
                st.tensor(&p.name).unwrap().data() == &crate::io::le_bytes(v)[..],
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn a_non_empty_directory_is_refused_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("ckpt");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("keep.txt"), "x").unwrap();
        let err = write(&out, "f32", 5_000_000_000).unwrap_err();
        assert!(format!("{err:#}").contains("not empty"), "{err:#}");
        assert_eq!(std::fs::read_to_string(out.join("keep.txt")).unwrap(), "x");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        // an empty directory is filled
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        write(&empty, "f32", 5_000_000_000).unwrap();
        assert!(empty.join("model.safetensors").is_file());
    }

    #[test]
    fn overflowing_laws_are_refused_before_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("ckpt");
        let plan = vec![tp("w", &[4, 4], "normal:20000", &[])];
        let bar = indicatif::ProgressBar::hidden();
        let err = materialize(&out, &plan, "{}", "test", 0, "f16", 1 << 30, &bar).unwrap_err();
        assert!(format!("{err:#}").contains("range"), "{err:#}");
        assert!(!out.exists());
    }
}
