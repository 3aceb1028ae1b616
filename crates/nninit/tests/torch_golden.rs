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

// ---------------------------------------------------------------- modules: order and draws

/// Number of `random()` calls between two generator states (the second ahead of the first).
fn draws_between(seed: u64, after: &mut TorchGenerator) -> usize {
    let next = after.random();
    let mut h = TorchGenerator::manual_seed(seed);
    let mut k = 0;
    while h.random() != next {
        k += 1;
        assert!(k < 10_000_000);
    }
    k
}

fn names_and_dims(m: &Module) -> Vec<(String, Vec<usize>)> {
    m.params()
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.shape.dims().to_vec()))
        .collect()
}

#[test]
fn rnn_params_in_torch_order_and_draw_count() {
    use nninit::layers::RnnMode;
    let lstm = Module::Rnn {
        mode: RnnMode::Lstm,
        input_size: 4,
        hidden_size: 6,
        num_layers: 2,
        bias: true,
        bidirectional: false,
        proj_size: 3,
    };
    let nd = names_and_dims(&lstm);
    let want: Vec<(&str, Vec<usize>)> = vec![
        ("weight_ih_l0", vec![24, 4]),
        ("weight_hh_l0", vec![24, 3]),
        ("bias_ih_l0", vec![24]),
        ("bias_hh_l0", vec![24]),
        ("weight_hr_l0", vec![3, 6]),
        ("weight_ih_l1", vec![24, 3]),
        ("weight_hh_l1", vec![24, 3]),
        ("bias_ih_l1", vec![24]),
        ("bias_hh_l1", vec![24]),
        ("weight_hr_l1", vec![3, 6]),
    ];
    assert_eq!(
        nd,
        want.iter()
            .map(|(n, d)| (n.to_string(), d.clone()))
            .collect::<Vec<_>>()
    );
    let gru = Module::Rnn {
        mode: RnnMode::Gru,
        input_size: 5,
        hidden_size: 7,
        num_layers: 1,
        bias: false,
        bidirectional: true,
        proj_size: 0,
    };
    let nd = names_and_dims(&gru);
    assert_eq!(nd[2], ("weight_ih_l0_reverse".to_string(), vec![21, 5]));
    assert_eq!(nd.len(), 4);
    // every element is U(±1/sqrt(hidden)), drawn in parameters() order, one random() each
    let mut g = TorchGenerator::manual_seed(3);
    let p = lstm.init::<f32, _>(&mut g).unwrap();
    let total: usize = p.iter().map(|x| x.2.len()).sum();
    assert_eq!(draws_between(3, &mut g), total);
    let mut h = TorchGenerator::manual_seed(3);
    let b = 1.0 / 6f64.sqrt();
    for (name, shape, vals) in &p {
        assert_eq!(
            vals,
            &fill(Init::uniform(-b, b), shape.dims(), &mut h),
            "{name}"
        );
    }
    for bad in [
        Module::Rnn {
            mode: RnnMode::Gru,
            input_size: 1,
            hidden_size: 4,
            num_layers: 1,
            bias: true,
            bidirectional: false,
            proj_size: 2,
        },
        Module::Rnn {
            mode: RnnMode::Lstm,
            input_size: 1,
            hidden_size: 4,
            num_layers: 1,
            bias: true,
            bidirectional: false,
            proj_size: 4,
        },
        Module::Rnn {
            mode: RnnMode::Rnn,
            input_size: 1,
            hidden_size: 0,
            num_layers: 1,
            bias: true,
            bidirectional: false,
            proj_size: 0,
        },
        Module::Rnn {
            mode: RnnMode::Rnn,
            input_size: 1,
            hidden_size: 3,
            num_layers: 0,
            bias: true,
            bidirectional: false,
            proj_size: 0,
        },
    ] {
        let mut g = TorchGenerator::manual_seed(0);
        assert!(bad.init::<f32, _>(&mut g).is_err(), "{bad:?}");
        assert_eq!(draws_between(0, &mut g), 0);
    }
}

#[test]
fn multihead_attention_draws_out_proj_first() {
    let m = Module::MultiheadAttention {
        embed_dim: 8,
        num_heads: 2,
        bias: true,
        add_bias_kv: false,
        kdim: None,
        vdim: None,
    };
    let nd = names_and_dims(&m);
    let names: Vec<&str> = nd.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "in_proj_weight",
            "in_proj_bias",
            "out_proj.weight",
            "out_proj.bias"
        ]
    );
    let mut g = TorchGenerator::manual_seed(0);
    let p = m.init::<f32, _>(&mut g).unwrap();
    // out_proj Linear(8, 8): 64 + 8 draws, then xavier_uniform (24, 8): 192 draws
    assert_eq!(draws_between(0, &mut g), 64 + 8 + 192);
    let mut h = TorchGenerator::manual_seed(0);
    let lin = Module::linear(8, 8, true).init::<f32, _>(&mut h).unwrap();
    let inw = fill(Init::xavier_uniform(1.0), &[24, 8], &mut h);
    assert_eq!(p[0].2, inw);
    assert!(p[1].2.iter().all(|&x| x == 0.0));
    assert_eq!(p[2].2, lin[0].2, "out_proj.weight keeps its Linear init");
    assert!(
        p[3].2.iter().all(|&x| x == 0.0),
        "out_proj.bias drawn, then zeroed"
    );

    let kv = Module::MultiheadAttention {
        embed_dim: 8,
        num_heads: 2,
        bias: true,
        add_bias_kv: true,
        kdim: Some(5),
        vdim: Some(6),
    };
    let names: Vec<String> = names_and_dims(&kv).into_iter().map(|x| x.0).collect();
    assert_eq!(
        names,
        [
            "q_proj_weight",
            "k_proj_weight",
            "v_proj_weight",
            "in_proj_bias",
            "bias_k",
            "bias_v",
            "out_proj.weight",
            "out_proj.bias"
        ]
    );
    let mut g = TorchGenerator::manual_seed(1);
    let p = kv.init::<f32, _>(&mut g).unwrap();
    let mut h = TorchGenerator::manual_seed(1);
    Module::linear(8, 8, true).init::<f32, _>(&mut h).unwrap();
    let q = fill(Init::xavier_uniform(1.0), &[8, 8], &mut h);
    let k = fill(Init::xavier_uniform(1.0), &[8, 5], &mut h);
    let v = fill(Init::xavier_uniform(1.0), &[8, 6], &mut h);
    let bk = fill(Init::xavier_normal(1.0), &[1, 1, 8], &mut h);
    let bv = fill(Init::xavier_normal(1.0), &[1, 1, 8], &mut h);
    assert_eq!(
        [&p[0].2, &p[1].2, &p[2].2, &p[4].2, &p[5].2],
        [&q, &k, &v, &bk, &bv]
    );
    assert_eq!(g.random(), h.random());
    assert!(Module::MultiheadAttention {
        embed_dim: 6,
        num_heads: 4,
        bias: true,
        add_bias_kv: false,
        kdim: None,
        vdim: None
    }
    .params()
    .is_err());
}

#[test]
fn transformer_encoder_layer_order() {
    let m = Module::TransformerEncoderLayer {
        d_model: 8,
        nhead: 2,
        dim_feedforward: 16,
        bias: true,
    };
    let names: Vec<String> = names_and_dims(&m).into_iter().map(|x| x.0).collect();
    assert_eq!(
        names,
        [
            "self_attn.in_proj_weight",
            "self_attn.in_proj_bias",
            "self_attn.out_proj.weight",
            "self_attn.out_proj.bias",
            "linear1.weight",
            "linear1.bias",
            "linear2.weight",
            "linear2.bias",
            "norm1.weight",
            "norm1.bias",
            "norm2.weight",
            "norm2.bias"
        ]
    );
    let mut g = TorchGenerator::manual_seed(2);
    let p = m.init::<f32, _>(&mut g).unwrap();
    let mut h = TorchGenerator::manual_seed(2);
    let mha = Module::MultiheadAttention {
        embed_dim: 8,
        num_heads: 2,
        bias: true,
        add_bias_kv: false,
        kdim: None,
        vdim: None,
    }
    .init::<f32, _>(&mut h)
    .unwrap();
    let l1 = Module::linear(8, 16, true).init::<f32, _>(&mut h).unwrap();
    let l2 = Module::linear(16, 8, true).init::<f32, _>(&mut h).unwrap();
    assert_eq!(g.random(), h.random());
    for (i, v) in mha.iter().chain(l1.iter()).chain(l2.iter()).enumerate() {
        assert_eq!(p[i].2, v.2, "{}", p[i].0);
    }
    assert!(p[8].2.iter().all(|&x| x == 1.0) && p[9].2.iter().all(|&x| x == 0.0));
}

/// The seed MLP of the probe: Linear(784,256), ReLU, Linear(256,128), ReLU, Linear(128,10)
/// draws weight then bias per layer; Linear(256,128) in the middle of the stream matches the
/// same module drawn alone from the advanced generator.
#[test]
fn seed_mlp_draw_order() {
    let mut g = TorchGenerator::manual_seed(0);
    let l1 = Module::linear(784, 256, true)
        .init::<f32, _>(&mut g)
        .unwrap();
    let l2 = Module::linear(256, 128, true)
        .init::<f32, _>(&mut g)
        .unwrap();
    let l3 = Module::linear(128, 10, true)
        .init::<f32, _>(&mut g)
        .unwrap();
    let total = [&l1, &l2, &l3]
        .iter()
        .map(|m| m.iter().map(|p| p.2.len()).sum::<usize>())
        .sum::<usize>();
    assert_eq!(draws_between(0, &mut g), total);
    assert!(l1[0].2.iter().all(|x| x.abs() <= 1.0 / 28.0));
}
