//! `ModelConfig::from_json` (nninit-recipes; a Hugging Face config.json): never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../cases.rs"]
mod cases;

fuzz_target!(|data: &[u8]| {
    cases::config_json(data);
});
