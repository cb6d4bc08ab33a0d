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

/// A file's code before its unit tests, which sit at its end and may reach anywhere.
fn without_tests(text: &str) -> &str {
    let end = ["#[cfg(test)]", "#[cfg(all(test"]
        .iter()
        .filter_map(|mark| text.find(mark))
        .min()
        .unwrap_or(text.len());
    &text[..end]
}

/// Each top-level module (a folder of `src/`, or a file at its root) with the other
/// top-level modules its files import.
fn graph(src: &Path) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    files(src, "", &mut all);
    let top = |module: &str| module.split("::").next().unwrap().to_owned();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (module, code) in &all {
        let own = top(module);
        let deps: Vec<String> = file_imports(module, code, &all)
            .iter()
            .map(|m| top(m))
            .filter(|d| *d != own)
            .collect();
        out.entry(own).or_default().extend(deps);
    }
    out
}

#[test]
fn each_module_imports_only_the_layers_below_it() {
    let modules = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let layer_of = |m: &str| LAYERS.iter().position(|(_, ms)| ms.contains(&m));
    let mut wrong = Vec::new();
    for (module, deps) in &modules {
        let Some(own) = layer_of(module) else {
            wrong.push(format!("{module} is in no layer: place it in tests/layers.rs"));
            continue;
        };
        for dep in deps {
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
    let tops: Vec<String> = paths_after(text, "crate").iter().map(|p| p[0].clone()).collect();
    assert_eq!(tops, ["paste", "ports", "ui"]);
}

/// Every `.rs` file under `src` as its module path (`signin::run`; `signin` for
/// `signin/mod.rs`), with its code, unit tests cut. The crate root is left out: it is the
/// facade, which everything may name.
fn files(src: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let module = if prefix.is_empty() {
            stem.to_owned()
        } else {
            format!("{prefix}::{stem}")
        };
        if path.is_dir() {
            files(&path, &module, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = match stem {
                "lib" | "main" if prefix.is_empty() => continue,
                "mod" => prefix.to_owned(),
                _ => module,
            };
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(module, without_tests(&text).to_owned());
        }
    }
}

/// The paths that follow `root::` in `code`, groups expanded: `crate::{a, b::{c, D}}` gives
/// `a`, `b::c`, `b::D`.
fn paths_after(code: &str, root: &str) -> Vec<Vec<String>> {
    fn path(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
        let mut segments = prefix.to_vec();
        let mut at = 0;
        loop {
            let rest = &text[at..];
            let trimmed = rest.trim_start();
            at += rest.len() - trimmed.len();
            if let Some(group) = trimmed.strip_prefix('{') {
                at += 1;
                let mut inner = 0;
                loop {
                    inner += path(&group[inner..], &segments, out);
                    let tail = &group[inner..];
                    let next = tail.trim_start();
                    inner += tail.len() - next.len() + 1;
                    if !next.starts_with(',') {
                        break;
                    }
                }
                return at + inner;
            }
            let end = trimmed
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(trimmed.len());
            segments.push(trimmed[..end].to_owned());
            at += end;
            match text[at..].strip_prefix("::") {
                Some(_) => at += 2,
                None => break,
            }
        }
        out.push(segments);
        at
    }
    let mut out = Vec::new();
    let key = format!("{root}::");
    for (at, _) in code.match_indices(&key) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        path(&code[at + key.len()..], &[], &mut out);
    }
    out
}

/// The modules of `all` that the file `module` names: through `crate::`, `super::`, and (in
/// a `mod.rs`) its own submodules by name.
fn file_imports(module: &str, code: &str, all: &BTreeMap<String, String>) -> Vec<String> {
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let mut named = Vec::new();
    for segments in paths_after(code, "crate") {
        named.push(segments);
    }
    for segments in paths_after(code, "super") {
        let mut full: Vec<String> = parent
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        full.extend(segments);
        named.push(full);
    }
    for child in all.keys().filter_map(|m| m.strip_prefix(&format!("{module}::"))) {
        if !child.contains("::") {
            for segments in paths_after(code, child) {
                let mut full = vec![module.to_owned(), child.to_owned()];
                full.extend(segments);
                named.push(full);
            }
        }
    }
    let mut found = Vec::new();
    for segments in named {
        // The longest prefix that is a module of this crate: `signin::run::Run` is `signin::run`.
        let target = (1..=segments.len())
            .rev()
            .map(|n| segments[..n].join("::"))
            .find(|m| all.contains_key(m));
        if let Some(target) = target.filter(|t| t != module && !found.contains(t)) {
            found.push(target);
        }
    }
    found
}

/// An import circle among `graph`'s files, as the files in it; none when there is none.
fn circle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit<'a>(
        at: &'a str,
        graph: &'a BTreeMap<String, Vec<String>>,
        stack: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|m| *m == at) {
            let mut found: Vec<String> = stack[start..].iter().map(|m| (*m).to_owned()).collect();
            found.push(at.to_owned());
            return Some(found);
        }
        if !done.insert(at) {
            return None;
        }
        stack.push(at);
        for next in graph.get(at).into_iter().flatten() {
            if let Some(found) = visit(next, graph, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

/// No file imports, through any chain, a file that imports it: in this crate and in every
/// other crate of the workspace.
#[test]
fn no_import_circle_in_any_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut circles = Vec::new();
    for krate in ["local", "ssh", "remote", "shared"] {
        let mut all = BTreeMap::new();
        files(&root.join(krate).join("src"), "", &mut all);
        let graph: BTreeMap<String, Vec<String>> = all
            .iter()
            .map(|(module, code)| (module.clone(), file_imports(module, code, &all)))
            .collect();
        if let Some(found) = circle(&graph) {
            circles.push(format!("{krate}: {}", found.join(" -> ")));
        }
    }
    assert!(circles.is_empty(), "import circles:\n  {}", circles.join("\n  "));
}

#[test]
fn paths_and_circles_are_read() {
    let code = "use crate::{ui::{json, Ui}, error::Error};\nuse super::run::Run;\nlet x = crate::host::connect::to();";
    let found: Vec<String> = paths_after(code, "crate").iter().map(|p| p.join("::")).collect();
    assert_eq!(found, ["ui::json", "ui::Ui", "error::Error", "host::connect::to"]);
    let graph = BTreeMap::from([
        ("a".to_owned(), vec!["b".to_owned()]),
        ("b".to_owned(), vec!["c".to_owned()]),
        ("c".to_owned(), vec!["a".to_owned()]),
    ]);
    assert_eq!(circle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut all = BTreeMap::new();
    for m in ["signin", "signin::run", "signin::stop", "ui"] {
        all.insert(m.to_owned(), String::new());
    }
    let imports = file_imports("signin::run", "use super::stop::Stop;\nuse crate::ui::Ui;", &all);
    assert_eq!(imports, ["ui", "signin::stop"]);
    assert_eq!(file_imports("signin", "use run::Run;", &all), ["signin::run"]);
}

/// Files of a few hundred lines: none of the workspace's Rust or shell sources is over 600.
#[test]
fn no_source_file_is_over_600_lines() {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, usize)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "sh") {
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                let shown = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                out.push((shown, lines));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut sizes = Vec::new();
    for dir in [
        "local/src",
        "local/tests",
        "ssh/src",
        "ssh/tests",
        "remote/src",
        "remote/tests",
        "shared/src",
        "tests/src",
        "tests/tests",
    ] {
        walk(&root.join(dir), root, &mut sizes);
    }
    let long: Vec<String> = sizes
        .iter()
        .filter(|(_, lines)| *lines > 600)
        .map(|(path, lines)| format!("{path}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "split these by what they hold:\n  {}",
        long.join("\n  ")
    );
}

/// ARCHITECTURE.md is the one map: its table of `local`'s layers is the table above, in
/// order, and it names every source file of `ssh`, `remote` and `shared`.
#[test]
fn the_map_is_the_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let rows: Vec<(&str, Vec<String>)> = map
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|row| {
            let mut cells = row.split(" | ");
            let layer = cells.next()?;
            let folders = cells.next()?;
            let members = folders
                .split(", ")
                .map(|f| {
                    f.trim_matches('`')
                        .trim_end_matches('/')
                        .trim_end_matches(".rs")
                        .to_owned()
                })
                .collect();
            (layer != "layer").then_some((layer, members))
        })
        .collect();
    let table: Vec<(&str, Vec<String>)> = LAYERS
        .iter()
        .map(|(layer, members)| (*layer, members.iter().map(|m| (*m).to_owned()).collect()))
        .collect();
    assert_eq!(rows, table, "ARCHITECTURE.md's layers are not those of this file");
    let mut unnamed = Vec::new();
    for krate in ["ssh", "remote", "shared"] {
        let mut all = BTreeMap::new();
        files(&root.join(krate).join("src"), "", &mut all);
        for module in all.keys() {
            let file = module.rsplit("::").next().unwrap();
            let named = [format!("`{file}.rs`"), format!("`{file}/`"), format!("`{module}.rs`")];
            if !named.iter().any(|n| map.contains(n.as_str())) {
                unnamed.push(format!("{krate}: {module}"));
            }
        }
    }
    assert!(unnamed.is_empty(), "ARCHITECTURE.md names no file for: {unnamed:?}");
}
