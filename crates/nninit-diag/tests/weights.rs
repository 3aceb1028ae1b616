//! Parameters out and in as safetensors with PyTorch `nn.Sequential` names.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::RngStream;
use nninit_diag::{Activation, Layer, ModelInit, Sequential};
use rand::SeedableRng;
use safetensors::Dtype;
use std::path::Path;

fn model(widths: &[usize], seed: u64) -> Sequential {
    let mut m = Sequential::mlp(widths, Activation::Relu).unwrap();
    m.apply(
        &ModelInit::TorchDefault,
        &mut RngStream(rand::rngs::StdRng::seed_from_u64(seed)),
    )
    .unwrap();
    m
}

fn bits(m: &Sequential) -> Vec<u32> {
    m.layers
        .iter()
        .flat_map(|l| match l {
            Layer::Linear { weight, bias, .. } => {
                weight.iter().chain(bias).map(|v| v.to_bits()).collect()
            }
            Layer::Act(_) => vec![],
        })
        .collect()
}

#[test]
fn names_follow_nn_sequential_indices() {
    let m = model(&[784, 256, 128, 10], 0);
    let names: Vec<(String, Vec<usize>)> = m
        .param_names()
        .into_iter()
        .map(|p| (p.name, p.shape))
        .collect();
    assert_eq!(
        names,
        vec![
            ("0.weight".into(), vec![256, 784]),
            ("0.bias".into(), vec![256]),
            ("2.weight".into(), vec![128, 256]),
            ("2.bias".into(), vec![128]),
            ("4.weight".into(), vec![10, 128]),
            ("4.bias".into(), vec![10]),
        ]
    );
}

#[test]
fn saved_file_loads_back_bit_exactly() {
    let m = model(&[784, 32, 16, 10], 4);
    let bytes = m.to_safetensors().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let mut back = model(&[784, 32, 16, 10], 99);
    assert_ne!(bits(&back), bits(&m));
    back.load_safetensors_file(&path).unwrap();
    assert_eq!(bits(&back), bits(&m));
    // the file is f32 with the expected dtype and metadata
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("2.weight").unwrap().dtype(), Dtype::F32);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["format"], "pt");
    assert_eq!(
        meta["modules"],
        "Linear(784, 32), ReLU, Linear(32, 16), ReLU, Linear(16, 10)"
    );
    // sorted header: the same model gives the same bytes every time (the metadata map's
    // iteration order would otherwise vary between runs)
    assert_eq!(m.to_safetensors().unwrap(), bytes);
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    assert!(header.find("\"format\"").unwrap() < header.find("\"modules\"").unwrap());
}

#[test]
fn non_finite_weights_are_rejected() {
    let mut m = model(&[784, 32, 16, 10], 4);
    if let Layer::Linear { weight, .. } = &mut m.layers[2] {
        weight[5] = f32::NAN;
        weight[6] = f32::INFINITY;
    }
    let bytes = m.to_safetensors().unwrap();
    let mut back = model(&[784, 32, 16, 10], 99);
    let before = bits(&back);
    let e = back
        .load_safetensors(&bytes, std::path::Path::new("nan.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("'2.weight' has 2 non-finite values"), "{e}");
    assert_eq!(bits(&back), before, "nothing changed on error");
}

#[test]
fn wrong_shape_is_rejected_with_a_clear_error() {
    let small = model(&[784, 128, 10], 0);
    let mut big = model(&[784, 256, 10], 1);
    let before = bits(&big);
    let e = big
        .load_safetensors(
            &small.to_safetensors().unwrap(),
            Path::new("small.safetensors"),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("small.safetensors"), "{e}");
    assert!(
        e.contains("'0.weight'") && e.contains("[128, 784]") && e.contains("[256, 784]"),
        "{e}"
    );
    assert_eq!(bits(&big), before, "nothing changed on error");
}

fn file_with(tensors: &[(&str, Dtype, Vec<usize>)]) -> Vec<u8> {
    let data: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, d, s)| vec![0u8; s.iter().product::<usize>() * d.bitsize() / 8])
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .zip(&data)
        .map(|((n, d, s), b)| {
            (
                n.to_string(),
                safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

#[test]
fn missing_unexpected_and_wrong_dtype_are_rejected() {
    let mut m = model(&[784, 8, 10], 0);
    let p = Path::new("x.safetensors");
    let ok = [
        ("0.weight", Dtype::F32, vec![8, 784]),
        ("0.bias", Dtype::F32, vec![8]),
        ("2.weight", Dtype::F32, vec![10, 8]),
        ("2.bias", Dtype::F32, vec![10]),
    ];
    m.load_safetensors(&file_with(&ok), p).unwrap();
    let e = m
        .load_safetensors(&file_with(&ok[..3]), p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing tensor '2.bias'"), "{e}");
    let mut extra = ok.to_vec();
    extra.push(("4.weight", Dtype::F32, vec![1]));
    let e = m
        .load_safetensors(&file_with(&extra), p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unexpected tensor '4.weight'"), "{e}");
    let mut f64s = ok.to_vec();
    f64s[2].1 = Dtype::F64;
    let e = m
        .load_safetensors(&file_with(&f64s), p)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'2.weight'") && e.contains("F64") && e.contains("F32"),
        "{e}"
    );
    let e = m
        .load_safetensors(b"not a safetensors file", p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("safetensors"), "{e}");
    let e = m
        .load_safetensors_file(Path::new("/no/such/file.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/no/such/file.safetensors"), "{e}");
}
