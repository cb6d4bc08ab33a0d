//! Every parser that reads what the outside sends, fed mutations of real inputs (the seeds in
//! `tests/corpus/`), against the checks in `checks/`. These run as ordinary tests on stable
//! Rust; `FUZZ_ROUNDS` raises the count for a longer run. `scripts/fuzz` runs the same checks
//! under libFuzzer (cargo-fuzz, nightly).

mod checks;

use std::path::Path;

/// xorshift64*: small, seeded, repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to these parsers: separators, escapes, UTF-8 lead bytes, digits.
const SPICE: &[u8] = b" \t\r\n\x00\x1b\x07%&=?#:/@[].-_'\"\\!*|,;0123456789xyz\xc3\xa9\xf0\x9f\x92\xa9\xff";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                out.remove(at.min(out.len() - 1));
            }
            1 => out.insert(at, SPICE[rng.below(SPICE.len())]),
            2 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = SPICE[rng.below(SPICE.len())];
            }
            3 => {
                // Repeat a slice: long and nested inputs.
                let from = rng.below(out.len() + 1);
                let to = (from + rng.below(64)).min(out.len());
                let piece = out[from..to].repeat(1 + rng.below(50));
                out.splice(at..at, piece);
            }
            _ => out.truncate(at),
        }
    }
    out
}

fn rounds() -> usize {
    std::env::var("FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3000)
}

/// The seeds for one check: the lines of `corpus/NAME`, or each file when it is a directory
/// (for inputs of several lines), and the cases fuzzing found, `corpus/found/NAME-*`.
fn seeds(name: &str) -> Vec<Vec<u8>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let files = |dir: &Path, prefix: &str| -> Vec<Vec<u8>> {
        let mut found: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect();
        found.sort();
        found.iter().map(|path| std::fs::read(path).unwrap()).collect()
    };
    let path = corpus.join(name);
    let mut seeds = if path.is_dir() {
        files(&path, "")
    } else {
        let text = std::fs::read(&path).unwrap();
        text.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    seeds.extend(files(&corpus.join("found"), &format!("{name}-")));
    seeds
}

/// Each seed of `name`, then `rounds()` mutations of them, through `check`.
fn fuzz(name: &str, check: fn(&str)) {
    let seeds = seeds(name);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    for seed in &seeds {
        check(&String::from_utf8_lossy(seed));
    }
    for _ in 0..rounds() {
        let seed = &seeds[rng.below(seeds.len())];
        check(&String::from_utf8_lossy(&mutate(&mut rng, seed)));
    }
    checks::remove_scratch();
}

#[test]
fn shim_events() {
    fuzz("shim_events", checks::shim_events);
}

#[test]
fn codex_output() {
    fuzz("authorize_urls", checks::codex_output);
}

#[test]
fn shown_text() {
    fuzz("authorize_urls", checks::shown_text);
}

#[test]
fn auth_json() {
    fuzz("auth_json", checks::auth_json);
}

#[test]
fn callback_pastes() {
    fuzz("callbacks", checks::callback_paste);
}

#[test]
fn callback_requests() {
    fuzz("callback_requests", checks::callback_request);
}

#[test]
fn host_arguments() {
    fuzz("hosts", checks::host_argument);
}

#[test]
fn known_hosts_files() {
    fuzz("known_hosts", checks::known_hosts_file);
}

#[test]
fn ssh_configs() {
    fuzz("ssh_config", checks::ssh_config);
}
