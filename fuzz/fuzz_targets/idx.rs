//! The IDX (MNIST) parser: an image file and a label file, raw or gzipped. The first two bytes
//! choose where the input splits into the two files. Must return Ok or Err, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../cases.rs"]
mod cases;

fuzz_target!(|data: &[u8]| {
    cases::idx(data);
});
