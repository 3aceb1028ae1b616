//! Init strings: `Init::from_str`, `Init::split_list`, the CLI's `ModelInit`; a parsed init
//! prints to a string that parses back to it, and resolves and fills a small tensor without
//! panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../cases.rs"]
mod cases;

fuzz_target!(|data: &[u8]| {
    cases::init_str(data);
});
