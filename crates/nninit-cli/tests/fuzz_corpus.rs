//! Replays the fuzz corpora (`fuzz/corpus/TARGET/*`, kept in the repository) through the
//! fuzz targets' own bodies (`fuzz/cases.rs`), so `cargo test` checks every input the fuzzer
//! found interesting, crashes it found included, without cargo-fuzz or a nightly toolchain.
//! To fuzz: `cd fuzz && cargo +nightly fuzz run TARGET` (see fuzz/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

#[path = "../../../fuzz/cases.rs"]
mod cases;

use std::path::Path;

fn replay(target: &str, case: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let data = std::fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(|| case(&data));
            assert!(r.is_ok(), "{target}: {} panics", path.display());
            n += 1;
        }
    }
    assert!(n > 0, "no corpus in {}", dir.display());
}

#[test]
fn idx_corpus() {
    replay("idx", cases::idx);
}

#[test]
fn safetensors_header_corpus() {
    replay("safetensors_header", cases::safetensors_header);
}

#[test]
fn init_str_corpus() {
    replay("init_str", cases::init_str);
}

#[test]
fn config_json_corpus() {
    replay("config_json", cases::config_json);
}
