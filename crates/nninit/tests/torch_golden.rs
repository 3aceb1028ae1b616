//! `TorchGenerator` against PyTorch 2.15's own numbers: every entry of
//! `testdata/torch/torch_init_golden.json` (made by `testdata/torch/make_torch_golden.py`),
//! both kernel builds (`paths.avx2` ↔ `Flavor::Avx2`, `paths.default` ↔ `Flavor::Default`),
//! both seeds. Checks are bit-exact on the stored values and on the generator position after
//! the op (`rand_after` = `torch.rand(2)` drawn right after). The one tolerance: orthogonal
//! within 2e-6 absolute, because PyTorch's QR is LAPACK's (blocking/FMA dependent) while
//! nninit's is faer's; the normal draws feeding it are exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nninit::layers::Module;
use nninit::{Flavor, Init, Layout, Mode, Nonlinearity, Shape, Stream, TorchGenerator};
use serde_json::Value;

const GOLDEN: &str = include_str!("../../../testdata/torch/torch_init_golden.json");

/// Orthogonal: absolute tolerance from LAPACK-vs-faer QR rounding (spec §7: numpy's QR on the
/// same samples is within 1.9e-7; 2e-6 leaves a 10x margin).
const ORTHO_TOL: f64 = 2e-6;

fn fill(init: Init, dims: &[usize], g: &mut TorchGenerator) -> Vec<f32> {
    let shape = Shape::new(dims).unwrap();
    let mut w = vec![0f32; shape.numel()];
    init.fill(&mut w, &shape, Layout::Torch, g).unwrap();
    w
}

fn module_param(m: Module, name: &str, g: &mut TorchGenerator) -> Vec<f32> {
    let params = m.init::<f32, _>(g).unwrap();
    params.into_iter().find(|p| p.0 == name).unwrap().2
}

/// What nninit runs for each golden `op`, after `TorchGenerator::manual_seed(seed)`.
fn run_op(op: &str, g: &mut TorchGenerator) -> Vec<f32> {
    let leaky0 = Init::kaiming_uniform_default();
    let relu = Nonlinearity::Relu;
    match op {
        "torch.rand(8)" => fill(Init::uniform(0.0, 1.0), &[8], g),
        "torch.rand(16)" => fill(Init::uniform(0.0, 1.0), &[16], g),
        "torch.rand(37)" => fill(Init::uniform(0.0, 1.0), &[37], g),
        "torch.randn(8)" => fill(Init::normal(0.0, 1.0), &[8], g),
        "torch.randn(16)" => fill(Init::normal(0.0, 1.0), &[16], g),
        "torch.randn(37)" => fill(Init::normal(0.0, 1.0), &[37], g),
        "nn.init.uniform_(torch.empty(37), -2, 3)" => fill(Init::uniform(-2.0, 3.0), &[37], g),
        "nn.init.normal_(torch.empty(37), 1, 0.5)" => fill(Init::normal(1.0, 0.5), &[37], g),
        "nn.init.kaiming_uniform_(torch.empty(64, 32))  # a=0, fan_in, leaky_relu" => {
            fill(leaky0, &[64, 32], g)
        }
        "nn.init.kaiming_uniform_(torch.empty(64, 32), mode='fan_in', nonlinearity='relu')" => {
            fill(Init::kaiming_uniform(0.0, Mode::FanIn, relu), &[64, 32], g)
        }
        "nn.init.kaiming_normal_(torch.empty(64, 32))  # a=0, fan_in, leaky_relu" => {
            fill(Init::kaiming_normal_default(), &[64, 32], g)
        }
        "nn.init.kaiming_normal_(torch.empty(64, 32), mode='fan_in', nonlinearity='relu')" => {
            fill(Init::kaiming_normal(0.0, Mode::FanIn, relu), &[64, 32], g)
        }
        "nn.init.xavier_uniform_(torch.empty(64, 32))" => {
            fill(Init::xavier_uniform(1.0), &[64, 32], g)
        }
        "nn.init.xavier_normal_(torch.empty(64, 32))" => {
            fill(Init::xavier_normal(1.0), &[64, 32], g)
        }
        "nn.init.trunc_normal_(torch.empty(37))  # mean=0, std=1, a=-2, b=2" => {
            fill(Init::trunc_normal(0.0, 1.0, -2.0, 2.0), &[37], g)
        }
        "nn.Linear(256,128).weight" => module_param(Module::linear(256, 128, true), "weight", g),
        "nn.Linear(256,128).bias" => module_param(Module::linear(256, 128, true), "bias", g),
        "nn.Conv2d(3,16,3).weight" => module_param(
            Module::Conv {
                in_channels: 3,
                out_channels: 16,
                kernel_size: vec![3, 3],
                groups: 1,
                bias: true,
                transposed: false,
            },
            "weight",
            g,
        ),
        "nn.Embedding(10,4).weight" => module_param(
            Module::Embedding {
                num_embeddings: 10,
                embedding_dim: 4,
                padding_idx: None,
            },
            "weight",
            g,
        ),
        "nn.init.orthogonal_(torch.empty(8, 5))" => {
            fill(Init::Orthogonal { gain: 1.0 }, &[8, 5], g)
        }
        "nn.init.orthogonal_(torch.empty(5, 8))" => {
            fill(Init::Orthogonal { gain: 1.0 }, &[5, 8], g)
        }
        other => panic!("golden op without an nninit counterpart: {other}"),
    }
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn hexes(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| u32::from_str_radix(x.as_str().unwrap().trim_start_matches("0x"), 16).unwrap())
        .collect()
}

fn rand2(g: &mut TorchGenerator) -> Vec<f32> {
    let mut r = vec![0f32; 2];
    g.uniform(&mut r, 0.0, 1.0);
    r
}

fn check_path(path: &str, flavor: Flavor) {
    let doc: Value = serde_json::from_str(GOLDEN).unwrap();
    let seeds = doc["paths"][path]["seeds"].as_object().unwrap();
    assert_eq!(seeds.len(), 2);
    let mut checked = 0;
    for (seed, entries) in seeds {
        let seed: u64 = seed.parse().unwrap();
        for e in entries.as_array().unwrap() {
            let op = e["op"].as_str().unwrap();
            let mut g = TorchGenerator::manual_seed(seed).with_flavor(flavor);
            let got = run_op(op, &mut g);
            let after = rand2(&mut g);
            assert_eq!(got.len(), e["numel"].as_u64().unwrap() as usize, "{op}");
            let want = hexes(&e["f32_hex"]);
            let label = format!("[{path}][seed {seed}] {op}");
            if e.get("tolerance").is_some() {
                for (i, (&g_, &w)) in got.iter().zip(want.iter()).enumerate() {
                    let w = f32::from_bits(w) as f64;
                    assert!(
                        (g_ as f64 - w).abs() < ORTHO_TOL,
                        "{label} [{i}]: {g_} vs {w}"
                    );
                }
            } else {
                let got_bits: Vec<u32> = got.iter().take(want.len()).map(|x| x.to_bits()).collect();
                assert_eq!(got_bits, want, "{label}");
            }
            // The decimal field is the same numbers (shortest round-trip repr).
            let dec = f32s(&e["f32"]);
            assert_eq!(dec.len(), want.len());
            if e.get("tolerance").is_none() {
                assert!(
                    dec.iter()
                        .zip(&got)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{label}"
                );
            }
            assert_eq!(after, f32s(&e["rand_after"]), "{label}: generator position");
            // Whole-tensor statistics, where stored (torch: t.double().mean() / .std()).
            if let (Some(m), Some(s)) = (e["mean_f64"].as_f64(), e["std_f64"].as_f64()) {
                let n = got.len() as f64;
                let mean = got.iter().map(|&x| x as f64).sum::<f64>() / n;
                let var = got.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
                // f64 summation order differs from torch's; 1e-12 relative is ~1e4 ulps of slack
                // for 32768 terms yet would catch any single differing element (>= 1e-9 rel).
                assert!((mean - m).abs() <= 1e-12 * s, "{label}: mean {mean} vs {m}");
                assert!(
                    (var.sqrt() - s).abs() <= 1e-12 * s,
                    "{label}: std {} vs {s}",
                    var.sqrt()
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 42, "every golden entry checked");
}

#[test]
fn golden_avx2_flavor_bit_exact() {
    check_path("avx2", Flavor::Avx2);
}

#[test]
fn golden_default_flavor_bit_exact() {
    check_path("default", Flavor::Default);
}

#[test]
fn golden_calculate_gain() {
    let doc: Value = serde_json::from_str(GOLDEN).unwrap();
    let g = doc["calculate_gain"].as_object().unwrap();
    let want = |k: &str| g[k].as_f64().unwrap();
    assert_eq!(Nonlinearity::Tanh.gain(), want("tanh"));
    assert_eq!(Nonlinearity::Relu.gain(), want("relu"));
    assert_eq!(Nonlinearity::LeakyRelu(0.01).gain(), want("leaky_relu"));
    assert_eq!(
        Nonlinearity::LeakyRelu(0.0).gain(),
        want("leaky_relu(param=0)")
    );
    assert_eq!(
        Nonlinearity::LeakyRelu(0.2).gain(),
        want("leaky_relu(param=0.2)")
    );
    assert_eq!(
        Nonlinearity::LeakyRelu(5f64.sqrt()).gain(),
        want("leaky_relu(param=math.sqrt(5))")
    );
    assert_eq!(Nonlinearity::Selu.gain(), want("selu"));
    assert_eq!(Nonlinearity::Sigmoid.gain(), want("sigmoid"));
}

/// The spec's worked examples (§3.4, §8), independent of the JSON.
#[test]
fn spec_worked_examples() {
    let mut g = TorchGenerator::manual_seed(0);
    let x = fill(Init::normal(0.0, 1.0), &[8], &mut g);
    assert_eq!(&x[..4], &[1.5409961, -0.2934289, -2.1787894, 0.56843126]);
    let mut g = TorchGenerator::manual_seed(0);
    let w = module_param(Module::linear(256, 128, true), "weight", &mut g);
    assert_eq!(
        &w[..4],
        &[-0.00046792626, 0.033527724, -0.05144032, -0.04599619]
    );
}

/// The two flavours really differ where the spec says they do (so the path checks above
/// discriminate): kaiming_uniform (FMA) and randn(37) (Cephes vs libm).
#[test]
fn flavours_differ_on_fused_and_block_paths() {
    for op in [
        "nn.init.kaiming_uniform_(torch.empty(64, 32))  # a=0, fan_in, leaky_relu",
        "torch.randn(37)",
    ] {
        let a = run_op(op, &mut TorchGenerator::manual_seed(0));
        let d = run_op(
            op,
            &mut TorchGenerator::manual_seed(0).with_flavor(Flavor::Default),
        );
        assert_ne!(a, d, "{op}");
    }
}
