//! `checks::known_hosts_file` under libFuzzer. (No `forbid(unsafe_code)` here: `fuzz_target!` exports
//! an unmangled C entry point.)
#![no_main]

#[path = "../../local/tests/checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::known_hosts_file(&String::from_utf8_lossy(data)));
