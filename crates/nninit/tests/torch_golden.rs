//! `TorchGenerator` against PyTorch 2.15's own numbers: every entry of
//! `testdata/torch/torch_init_golden.json` (made by `testdata/torch/make_torch_golden.py`),
//! both kernel builds (`paths.avx2` ↔ `Flavor::Avx2`, `paths.default` ↔ `Flavor::Default`),
//! both seeds. Checks are bit-exact on the stored values and on the generator position after
//! the op (`rand_after` = `torch.rand(2)` drawn right after). The one tolerance: orthogonal
//! within 2e-6 absolute, because PyTorch's QR is LAPACK's (blocking/FMA dependent) while
//! nninit's is faer's; the normal draws feeding it are exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nninit::layers::Module;
use nninit::{Flavor, Init, Layout, Mode, Nonlinearity, Sampler, Shape, Stream, TorchGenerator};
use serde_json::Value;

mod common;

const GOLDEN: &str = include_str!("../../../testdata/torch/torch_init_golden.json");

/// Orthogonal: absolute tolerance from LAPACK-vs-faer QR rounding (measured when the golden file was made: numpy's QR on the
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
    g.sample(&Sampler::uniform(0.0, 1.0).unwrap(), &mut r);
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

/// Worked examples (`torch.manual_seed(0); torch.randn(8)` and `nn.Linear(256, 128).weight`), independent of the JSON.
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

/// The two flavours really differ where PyTorch's kernel builds do (so the path checks above
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

// ---------------------------------------------------------------- statistics of torch fills

/// Uniform CDF on [a, b).
fn uniform_cdf(a: f64, b: f64) -> impl Fn(f64) -> f64 {
    move |x| ((x - a) / (b - a)).clamp(0.0, 1.0)
}

/// CDF of N(mean, std²) truncated to [a, b].
fn trunc_cdf(mean: f64, std: f64, a: f64, b: f64) -> impl Fn(f64) -> f64 {
    let phi = common::normal_cdf(mean, std);
    let (pa, pb) = (phi(a), phi(b));
    move |x| ((phi(x.clamp(a, b)) - pa) / (pb - pa)).clamp(0.0, 1.0)
}

fn torch_fill<T: nninit::Element>(init: &Init, n: usize, seed: u64, flavor: Flavor) -> Vec<f64> {
    let shape = Shape::new(&[n]).unwrap();
    let mut w = vec![T::ZERO; n];
    let mut g = TorchGenerator::manual_seed(seed).with_flavor(flavor);
    init.fill(&mut w, &shape, Layout::Torch, &mut g).unwrap();
    common::to_f64(&w)
}

/// Large fills through every kernel path (f32/f64/f16 block paths, both flavours; the
/// non-multiple-of-16 tail; bf16 moments only, as its 8-bit grid makes KS meaningless at
/// this n): 6-sigma moment bands, KS at alpha 0.001, hard bounds.
#[test]
fn torch_fills_have_the_stated_distributions() {
    const N: usize = 100_003; // not a multiple of 16: exercises the recomputed tail
    for (case, flavor) in [Flavor::Avx2, Flavor::Default].into_iter().enumerate() {
        let seed = case as u64;
        let (a, b) = (-2.0, 3.0);
        let ustd = (b - a) / 12f64.sqrt();
        let (m, sd) = (1.0, 0.5);
        for (label, xs, ks) in [
            (
                "f32",
                torch_fill::<f32>(&Init::uniform(a, b), N, seed, flavor),
                true,
            ),
            (
                "f64",
                torch_fill::<f64>(&Init::uniform(a, b), N, seed, flavor),
                true,
            ),
            (
                "f16",
                torch_fill::<half::f16>(&Init::uniform(a, b), N, seed, flavor),
                true,
            ),
            (
                "bf16",
                torch_fill::<half::bf16>(&Init::uniform(a, b), N, seed, flavor),
                false,
            ),
        ] {
            let label = format!("uniform {label} {flavor}");
            common::assert_moments(&label, &xs, (a + b) / 2.0, ustd, 9.0 / 5.0);
            assert!(xs.iter().all(|&x| (a..b).contains(&x)), "{label}: bounds");
            if ks {
                common::assert_ks(&label, &xs, uniform_cdf(a, b));
            }
        }
        for (label, xs, ks) in [
            (
                "f32",
                torch_fill::<f32>(&Init::normal(m, sd), N, seed, flavor),
                true,
            ),
            (
                "f64",
                torch_fill::<f64>(&Init::normal(m, sd), N, seed, flavor),
                true,
            ),
            (
                "f16",
                torch_fill::<half::f16>(&Init::normal(m, sd), N, seed, flavor),
                true,
            ),
            (
                "bf16",
                torch_fill::<half::bf16>(&Init::normal(m, sd), N, seed, flavor),
                false,
            ),
        ] {
            let label = format!("normal {label} {flavor}");
            common::assert_moments(&label, &xs, m, sd, 3.0);
            if ks {
                common::assert_ks(&label, &xs, common::normal_cdf(m, sd));
            }
        }
        // trunc_normal, both branches of the >= 2.12 algorithm
        for (mean, std, lo, hi) in [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 3.0)] {
            let xs = torch_fill::<f32>(&Init::trunc_normal(mean, std, lo, hi), N, seed, flavor);
            let label = format!("trunc_normal({mean},{std},{lo},{hi}) {flavor}");
            assert!(
                xs.iter().all(|&x| (lo..=hi).contains(&x)),
                "{label}: bounds"
            );
            let r = Init::trunc_normal(mean, std, lo, hi)
                .resolve(&Shape::new(&[N]).unwrap(), Layout::Torch)
                .unwrap();
            let (mu, var) = (r.mean(N), r.variance(N));
            // kurtosis <= 3 for these windows; 3 gives a conservative band
            common::assert_moments(&label, &xs, mu, var.sqrt(), 3.0);
            common::assert_ks(&label, &xs, trunc_cdf(mean, std, lo, hi));
        }
    }
}

/// The small-tensor double path with the cached second sample: many 7-element fills from
/// one generator, concatenated, are N(0, 1).
#[test]
fn small_path_with_cache_is_normal() {
    let mut g = TorchGenerator::manual_seed(11);
    let mut xs = vec![];
    for _ in 0..10_000 {
        let mut w = [0f32; 7];
        g.sample(&Sampler::standard_normal(), &mut w);
        xs.extend(w.iter().map(|&x| x as f64));
    }
    common::assert_moments("normal small path", &xs, 0.0, 1.0, 3.0);
    common::assert_ks("normal small path", &xs, common::normal_cdf(0.0, 1.0));
}

/// randperm(4): each of the 24 permutations within a 6-sigma binomial band.
#[test]
fn randperm_is_uniform() {
    const TRIALS: usize = 48_000;
    let mut g = TorchGenerator::manual_seed(5);
    let mut counts = std::collections::HashMap::new();
    for _ in 0..TRIALS {
        *counts.entry(g.randperm(4)).or_insert(0usize) += 1;
    }
    assert_eq!(counts.len(), 24);
    let p = 1.0 / 24.0;
    let (mu, sd) = (TRIALS as f64 * p, (TRIALS as f64 * p * (1.0 - p)).sqrt());
    for (perm, c) in counts {
        assert!(
            (c as f64 - mu).abs() <= common::Z * sd,
            "{perm:?}: {c} vs {mu}"
        );
    }
}

// ---------------------------------------------------------------- bad input: typed errors

/// Bad parameters and degenerate shapes never panic, return the edge-case table's error,
/// and leave the generator where it was.
#[test]
fn bad_input_is_an_error_and_draws_nothing() {
    use nninit::InitError;
    let cases: Vec<(Init, Vec<usize>)> = vec![
        (Init::normal(0.0, -1.0), vec![4]),
        (Init::uniform(3.0, 2.0), vec![4]),
        (Init::trunc_normal(0.0, 1.0, 2.0, 2.0), vec![4]),
        (Init::trunc_normal(0.0, 1.0, 3.0, -3.0), vec![4]),
        (Init::trunc_normal(0.0, 0.0, -1.0, 1.0), vec![4]),
        (Init::trunc_normal(0.0, 1.0, 50.0, 60.0), vec![4]),
        (Init::uniform(-3e38, 3e38), vec![4]),
        (Init::kaiming_uniform_default(), vec![4]),
        (Init::Orthogonal { gain: 1.0 }, vec![0]),
    ];
    for (init, dims) in cases {
        let shape = Shape::new(&dims).unwrap();
        let mut w = vec![0f32; shape.numel()];
        let mut g = TorchGenerator::manual_seed(9);
        let r = init.fill(&mut w, &shape, Layout::Torch, &mut g);
        assert!(r.is_err(), "{init:?} on {dims:?}");
        assert!(!matches!(r, Err(InitError::LenMismatch { .. })));
        assert_eq!(
            g.random(),
            TorchGenerator::manual_seed(9).random(),
            "{init:?}"
        );
    }
    // f64 has the range f32 lacks: uniform(-3e38, 3e38) is fine there
    let mut w = vec![0f64; 4];
    let shape = Shape::new(&[4]).unwrap();
    let mut g = TorchGenerator::manual_seed(9);
    assert!(Init::uniform(-3e38, 3e38)
        .fill(&mut w, &shape, Layout::Torch, &mut g)
        .is_ok());
    // zero-element tensors: a no-op that draws nothing, as PyTorch
    for (init, dims) in [
        (Init::kaiming_uniform_default(), vec![0, 5]),
        (Init::xavier_normal(1.0), vec![3, 0]),
        (Init::normal(0.0, 1.0), vec![0]),
        (Init::trunc_normal(0.0, 1.0, -2.0, 2.0), vec![2, 0, 3]),
    ] {
        let shape = Shape::new(&dims).unwrap();
        let mut w: Vec<f32> = vec![];
        let mut g = TorchGenerator::manual_seed(9);
        init.fill(&mut w, &shape, Layout::Torch, &mut g).unwrap();
        assert_eq!(
            g.random(),
            TorchGenerator::manual_seed(9).random(),
            "{init:?}"
        );
    }
    // uniform with a == b: every value a, draws still made (PyTorch)
    let mut w = vec![0f32; 3];
    let mut g = TorchGenerator::manual_seed(9);
    Init::uniform(0.5, 0.5)
        .fill(&mut w, &Shape::new(&[3]).unwrap(), Layout::Torch, &mut g)
        .unwrap();
    assert_eq!(w, [0.5; 3]);
    assert_eq!(draws_between(9, &mut g), 3);
}

// ---------------------------------------------------------------- module goldens (all values)

const MODULES_GOLDEN: &str = include_str!("../../../testdata/torch/torch_modules_golden.json");

/// FNV-1a 64 over the little-endian bytes of the f32 bit patterns (as the golden script).
fn fnv1a64(xs: &[f32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in xs {
        for b in x.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// `nn.Sequential(Linear(784,256), ReLU, Linear(256,128), ReLU, Linear(128,10))`, then
/// optionally `model.apply(fn)` with `fn` = scheme on weight, zeros_ on bias.
fn mlp(scheme: Option<Init>, g: &mut TorchGenerator) -> Vec<(String, Vec<f32>)> {
    let widths = [784, 256, 128, 10];
    let mut out = vec![];
    for (i, w) in widths.windows(2).enumerate() {
        for (name, _, v) in Module::linear(w[0], w[1], true).init::<f32, _>(g).unwrap() {
            out.push((format!("{}.{name}", 2 * i), v));
        }
    }
    if let Some(init) = scheme {
        for (i, w) in widths.windows(2).enumerate() {
            let shape = Shape::new(&[w[1], w[0]]).unwrap();
            init.fill(&mut out[2 * i].1, &shape, Layout::Torch, g)
                .unwrap();
            Init::Zeros
                .fill(
                    &mut out[2 * i + 1].1,
                    &Shape::new(&[w[1]]).unwrap(),
                    Layout::Torch,
                    g,
                )
                .unwrap();
        }
    }
    out
}

fn build_module(name: &str, g: &mut TorchGenerator) -> Vec<(String, Vec<f32>)> {
    use nninit::layers::RnnMode;
    let conv = |cin, cout, k: &[usize], groups, transposed| Module::Conv {
        in_channels: cin,
        out_channels: cout,
        kernel_size: k.to_vec(),
        groups,
        bias: true,
        transposed,
    };
    let rnn =
        |mode, input_size, hidden_size, num_layers, bias, bidirectional, proj_size| Module::Rnn {
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            bidirectional,
            proj_size,
        };
    let m = match name {
        "Linear(256,128)" => Module::linear(256, 128, true),
        "Linear(3,5,bias=False)" => Module::linear(3, 5, false),
        "Conv1d(4,6,3)" => conv(4, 6, &[3], 1, false),
        "Conv2d(4,8,(3,5),groups=2)" => conv(4, 8, &[3, 5], 2, false),
        "Conv3d(2,4,3)" => conv(2, 4, &[3, 3, 3], 1, false),
        "ConvTranspose2d(4,6,3,groups=2)" => conv(4, 6, &[3, 3], 2, true),
        "ConvTranspose1d(3,5,2)" => conv(3, 5, &[2], 1, true),
        "Bilinear(5,7,3)" => Module::Bilinear {
            in1_features: 5,
            in2_features: 7,
            out_features: 3,
            bias: true,
        },
        "Embedding(3,4,padding_idx=1)" => Module::Embedding {
            num_embeddings: 3,
            embedding_dim: 4,
            padding_idx: Some(1),
        },
        "Embedding(20,5)" => Module::Embedding {
            num_embeddings: 20,
            embedding_dim: 5,
            padding_idx: None,
        },
        "RNN(4,6,num_layers=2)" => rnn(RnnMode::Rnn, 4, 6, 2, true, false, 0),
        "LSTM(4,6,bidirectional=True)" => rnn(RnnMode::Lstm, 4, 6, 1, true, true, 0),
        "LSTM(4,6,num_layers=2,proj_size=3)" => rnn(RnnMode::Lstm, 4, 6, 2, true, false, 3),
        "GRU(5,7,bias=False)" => rnn(RnnMode::Gru, 5, 7, 1, false, false, 0),
        "MultiheadAttention(8,2)" => Module::MultiheadAttention {
            embed_dim: 8,
            num_heads: 2,
            bias: true,
            add_bias_kv: false,
            kdim: None,
            vdim: None,
        },
        "MultiheadAttention(8,2,add_bias_kv=True,kdim=5,vdim=6)" => Module::MultiheadAttention {
            embed_dim: 8,
            num_heads: 2,
            bias: true,
            add_bias_kv: true,
            kdim: Some(5),
            vdim: Some(6),
        },
        "TransformerEncoderLayer(16,4,32)" => Module::TransformerEncoderLayer {
            d_model: 16,
            nhead: 4,
            dim_feedforward: 32,
            bias: true,
        },
        "MLP(784,256,128,10)" => return mlp(None, g),
        "MLP(784,256,128,10)+apply(kaiming_uniform)" => {
            return mlp(Some(Init::kaiming_uniform_default()), g)
        }
        "MLP(784,256,128,10)+apply(kaiming_normal)" => {
            return mlp(Some(Init::kaiming_normal_default()), g)
        }
        "MLP(784,256,128,10)+apply(xavier_uniform)" => {
            return mlp(Some(Init::xavier_uniform(1.0)), g)
        }
        "MLP(784,256,128,10)+apply(normal:0.02)" => return mlp(Some(Init::normal(0.0, 0.02)), g),
        "MLP(784,256,128,10)+apply(trunc_normal:0.02)" => {
            return mlp(Some(Init::trunc_normal(0.0, 0.02, -2.0, 2.0)), g)
        }
        other => panic!("module golden without an nninit counterpart: {other}"),
    };
    m.init::<f32, _>(g)
        .unwrap()
        .into_iter()
        .map(|(n, _, v)| (n, v))
        .collect()
}

fn check_modules(path: &str, flavor: Flavor) {
    let doc: Value = serde_json::from_str(MODULES_GOLDEN).unwrap();
    let mut checked = 0;
    for (seed, entries) in doc["paths"][path]["seeds"].as_object().unwrap() {
        let seed: u64 = seed.parse().unwrap();
        for e in entries.as_array().unwrap() {
            let name = e["module"].as_str().unwrap();
            let mut g = TorchGenerator::manual_seed(seed).with_flavor(flavor);
            let got = build_module(name, &mut g);
            let after = rand2(&mut g);
            let want = e["params"].as_array().unwrap();
            let label = format!("[{path}][seed {seed}] {name}");
            assert_eq!(got.len(), want.len(), "{label}: parameter count");
            for ((gn, gv), w) in got.iter().zip(want) {
                assert_eq!(
                    gn,
                    w["name"].as_str().unwrap(),
                    "{label}: named_parameters order"
                );
                let first: Vec<u32> = gv.iter().take(16).map(|x| x.to_bits()).collect();
                assert_eq!(first, hexes(&w["first_hex"]), "{label} {gn}: first values");
                let h = u64::from_str_radix(
                    w["fnv1a64"].as_str().unwrap().trim_start_matches("0x"),
                    16,
                )
                .unwrap();
                assert_eq!(fnv1a64(gv), h, "{label} {gn}: all values (hash)");
            }
            assert_eq!(after, f32s(&e["rand_after"]), "{label}: generator position");
            checked += 1;
        }
    }
    assert_eq!(checked, 46);
}

#[test]
fn module_golden_avx2_all_values() {
    check_modules("avx2", Flavor::Avx2);
}

#[test]
fn module_golden_default_all_values() {
    check_modules("default", Flavor::Default);
}
