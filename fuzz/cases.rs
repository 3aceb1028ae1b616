//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*` (libFuzzer, through
//! `#[path]`) and by the corpus replay test `crates/nninit-cli/tests/fuzz_corpus.rs` (which
//! runs every file of `fuzz/corpus/TARGET` through the same function in `cargo test`). Each
//! function must return normally for any input: a panic is the bug the fuzzer reports.
#![allow(dead_code)]

use nninit::{Init, Layout, Philox, Shape};
use std::path::Path;

/// IDX image + label files: the first two bytes (little-endian) choose the split point of the
/// rest (modulo its length + 1).
pub fn idx(data: &[u8]) {
    let (head, rest) = data.split_at(data.len().min(2));
    let k = head
        .iter()
        .rev()
        .fold(0usize, |v, &b| (v << 8) | b as usize)
        % (rest.len() + 1);
    let (images, labels) = rest.split_at(k);
    if let Ok(m) = nninit_diag::data::Mnist::from_idx_bytes(images, labels, Path::new("fuzz")) {
        // what probe does next with a parsed set
        let n = m.n.min(3);
        if n > 0 {
            let _ = m.batch(0, n);
        }
    }
}

/// The safetensors weights loader against a small MLP (784-4-10: the names 0.weight, 0.bias,
/// 2.weight, 2.bias), and the header canonicaliser on the same bytes.
pub fn safetensors_header(data: &[u8]) {
    if let Ok(mut model) =
        nninit_diag::Sequential::mlp(&[784, 4, 10], nninit_diag::Activation::Relu)
    {
        let _ = model.load_safetensors(data, Path::new("fuzz.safetensors"));
    }
    let canon = nninit_diag::weights::canonical_safetensors(data.to_vec());
    assert_eq!(canon.len(), data.len(), "canonicalising changed the length");
}

/// Init strings: the list splitter, the scheme parser (a parsed init prints to text that
/// parses back to the same init) and a fill of a small tensor; the CLI's `ModelInit` parser.
pub fn init_str(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > 512 {
        return;
    }
    for part in Init::split_list(text, &["pytorch-default", "lsuv"]) {
        let _ = part.parse::<nninit_diag::ModelInit>();
    }
    let Ok(init) = text.parse::<Init>() else {
        return;
    };
    let printed = init.to_string();
    let again: Init = printed
        .parse()
        .unwrap_or_else(|e| panic!("'{text}' printed as '{printed}', which does not parse: {e}"));
    // compared as text: NaN parameters (refused later, by fill) are not equal to themselves
    assert_eq!(
        again.to_string(),
        printed,
        "'{text}' -> '{printed}' parses to another init"
    );
    for dims in [&[3usize, 4][..], &[2, 2, 3]] {
        let Ok(shape) = Shape::new(dims) else {
            continue;
        };
        let mut w = vec![0f32; shape.numel()];
        let _ = init.fill(&mut w, &shape, Layout::Torch, &mut Philox::new(0));
        let mut h = vec![half::bf16::ZERO; shape.numel()];
        let _ = init.fill(&mut h, &shape, Layout::Jax, &mut Philox::new(0));
    }
}

/// A Hugging Face `config.json` (nninit-recipes; issue #14 fills the parser in).
pub fn config_json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nninit_recipes::ModelConfig::from_json(text);
    }
}
