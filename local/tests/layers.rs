//! The binary's folders stand in layers, each importing only layers below it, so that a change
//! in the middle cannot reach everything. This reads the `crate::` paths of every file (its
//! tests aside) and checks them against the table below: the one map of `src/`.

use std::collections::BTreeMap;
use std::path::Path;

/// Bottom first: each folder of `src/` (or file at its root) in the layer it stands in. A new
/// folder must be placed here; a new file in a folder is in its folder's layer.
const LAYERS: &[(&str, &[&str])] = &[
    // What codex says, and what the command line asks for, typed.
    ("parts", &["codex", "settings"]),
    // The person: progress, questions, `--json`, exit statuses, help, the browser.
    ("ui", &["ui"]),
    // The browser's way back to the host, and the shim's events from it.
    ("plumbing", &["callback", "shim"]),
    ("errors", &["error"]),
    // What a command does on one host: connect, copy into containers, read the status.
    ("steps", &["host"]),
    ("sign-in", &["signin"]),
    ("commands", &["commands"]),
    // clap, the man page and completions, mistyped commands: read by `lib.rs` alone.
    ("edge", &["cli"]),
];

/// The `crate::` modules that `text` names, in `crate::a` and `crate::{a, b::c}` forms.
fn imports(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                group.split(',').collect()
            }
            None => vec![rest],
        };
        for name in names {
            let name = name.trim_start();
            let end = name
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(name.len());
            if end > 0 {
                found.push(name[..end].to_owned());
            }
        }
    }
    found
}

/// Each top-level module's imports, from every file under `dir`.
fn graph(dir: &Path, top: Option<&str>, out: &mut BTreeMap<String, Vec<String>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let module = top.map_or(stem.clone(), str::to_owned);
        if path.is_dir() {
            graph(&path, Some(&module), out);
            continue;
        }
        if top.is_none() && (stem == "main" || stem == "lib") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests sit at the end of each file and may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap();
        let deps = out.entry(module.clone()).or_default();
        deps.extend(imports(code).into_iter().filter(|d| *d != module));
    }
}

#[test]
fn each_module_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    graph(&src, None, &mut modules);
    let layer_of = |m: &str| LAYERS.iter().position(|(_, ms)| ms.contains(&m));
    let mut wrong = Vec::new();
    for (module, deps) in &modules {
        let Some(own) = layer_of(module) else {
            wrong.push(format!("{module} is in no layer: place it in tests/layers.rs"));
            continue;
        };
        for dep in deps {
            // Items of lib.rs are the facade.
            if !modules.contains_key(dep) {
                continue;
            }
            match layer_of(dep) {
                Some(theirs) if theirs < own => {}
                _ => wrong.push(format!(
                    "{module} ({}) imports {dep} ({})",
                    LAYERS[own].0,
                    layer_of(dep).map_or("no layer", |l| LAYERS[l].0)
                )),
            }
        }
    }
    for (_, members) in LAYERS {
        for m in *members {
            assert!(modules.contains_key(*m), "{m} is in the table but not in src/");
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn both_import_forms_are_read() {
    let text = "use crate::{paste, ports::PortError};\nlet x = crate::ui::Ui::new();\n";
    assert_eq!(imports(text), ["paste", "ports", "ui"]);
}
