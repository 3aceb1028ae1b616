//! The weights loader on arbitrary bytes: the safetensors header (length, JSON, offsets) and
//! the strict name/dtype/shape checks against a small MLP, plus the header canonicaliser.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../cases.rs"]
mod cases;

fuzz_target!(|data: &[u8]| {
    cases::safetensors_header(data);
});
