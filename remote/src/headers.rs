//! Each shell file's header says what it needs from the others (`# needs:`) and what it
//! provides them (`# provides:`): functions by name, variables as `$name`. This test reads
//! every file (a small lexer: quotes, expansions, here-documents, `case` patterns) and checks
//! that each header says exactly what its file uses and defines, and that within every
//! program the shim puts together, whatever a file needs some other file provides, or the
//! local side sets (`CRL_*`). The files talk through globals; here is where that is kept
//! honest.
//!
//! What counts:
//! - needs: the functions it calls (a plain word naming a function of some file, except a
//!   `say`'s event kind) that it does not define, and the variables it reads that it never
//!   sets. Upper-case names other than `CRL_*` are the environment's; `$NAME_sh`, the text of
//!   a carried file, comes from the assembly (`pieces.rs`).
//! - provides: every function it defines, and those of the variables it sets that some other
//!   file of one of its programs needs.
//!
//! A list may take several lines, each with its key; an empty one is left out. When a header
//! is wrong, the test prints what it should say.

mod lexer;

use std::collections::{BTreeMap, BTreeSet};

use crate::pieces::{self, File, Piece};
use lexer::{Read, is_name, read};

/// A header's declarations: functions by name, variables as `$name`.
#[derive(Debug, Default, PartialEq)]
struct Header {
    needs: BTreeSet<String>,
    provides: BTreeSet<String>,
}

fn header(file: &File) -> Header {
    let mut header = Header::default();
    for line in file.header().lines() {
        let (set, names) = if let Some(names) = line.strip_prefix("# needs:") {
            (&mut header.needs, names)
        } else if let Some(names) = line.strip_prefix("# provides:") {
            (&mut header.provides, names)
        } else {
            continue;
        };
        set.extend(names.split_whitespace().map(str::to_owned));
    }
    header
}

/// What a file's header must say, as far as the file itself shows: its needs, the functions
/// it defines, and the variables it sets (some of which it provides).
struct Shown {
    needs: BTreeSet<String>,
    functions: BTreeSet<String>,
    sets: BTreeSet<String>,
}

fn is_environment(name: &str) -> bool {
    !name.starts_with("CRL_")
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn shown(read: &Read, all_functions: &BTreeSet<String>) -> Shown {
    let calls = read.words.iter().filter(|w| all_functions.contains(*w));
    let mut needs: BTreeSet<String> = calls.filter(|f| !read.functions.contains(*f)).cloned().collect();
    needs.extend(
        read.reads
            .iter()
            .filter(|v| !read.sets.contains(*v) && !is_environment(v))
            .filter(|v| !read.prefixes.iter().any(|p| v.starts_with(p.as_str())))
            .map(|v| format!("${v}")),
    );
    Shown {
        needs,
        functions: read.functions.clone(),
        sets: read.sets.clone(),
    }
}

/// The `CRL_*` parameters a program is given: the `NAME=` lines the local side puts first.
fn parameters(program: &str) -> BTreeSet<String> {
    program
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name))
        .filter(|name| name.starts_with("CRL_") && is_name(name))
        .map(|name| format!("${name}"))
        .collect()
}

/// Every program the shim puts together: its name, its files, and what else it is given
/// (parameters, and the texts of carried files).
fn programs() -> Vec<(String, Vec<File>, BTreeSet<String>)> {
    use crate::{CodexAt, ContainerRef, Launch, Relay, RelayTool};
    let mut programs = Vec::new();
    // Every job's program is given every parameter, set empty when the job has none.
    let script = Launch {
        codex: CodexAt::default(),
        job: crate::job::Status,
        inside: None,
    }
    .script();
    for (name, part) in crate::job::PARTS {
        let pieces: Vec<Piece> = crate::job::COMMON.iter().chain(part.iter()).copied().collect();
        let mut given = parameters(&script);
        let mut files = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Run(file) => files.push(file),
                Piece::Carried(file) => {
                    files.push(file);
                    given.insert(format!("${}", file.var()));
                }
                Piece::Text(file) => {
                    given.insert(format!("${}", file.var()));
                }
            }
        }
        programs.push((format!("the {name} job"), files, given));
    }
    let relay = Relay {
        tool: RelayTool::Nc,
        port: 1455,
        inside: None,
    };
    programs.push(("the relay".into(), vec![pieces::RELAY], parameters(&relay.program())));
    let container = ContainerRef {
        name: "web".into(),
        engine: None,
    };
    let inside = crate::inside(&container, "");
    programs.push((
        "the program into a container".into(),
        vec![pieces::ENGINE, pieces::INSIDE],
        parameters(&inside),
    ));
    // What the shim hands to a container's shell: the carried files a double-quoted word
    // strings together (`"$codes_sh\n$safe_sh\n$ctr_remove_sh"`).
    for file in pieces::ALL {
        for group in read(file.body()).groups {
            let files: Vec<File> = group
                .iter()
                .map(|var| {
                    *pieces::ALL
                        .iter()
                        .find(|f| f.var() == *var)
                        .unwrap_or_else(|| panic!("{}: no file is carried as ${var}", file.path))
                })
                .collect();
            programs.push((
                format!("{} in a container ({})", group.join(" "), file.path),
                files,
                BTreeSet::new(),
            ));
        }
    }
    programs
}

#[test]
fn headers_say_what_each_file_needs_and_provides() {
    let reads: BTreeMap<&str, Read> = pieces::ALL.iter().map(|f| (f.path, read(f.text))).collect();
    let all_functions: BTreeSet<String> = reads.values().flat_map(|r| r.functions.iter().cloned()).collect();
    let shown: BTreeMap<&str, Shown> = reads
        .iter()
        .map(|(path, r)| (*path, shown(r, &all_functions)))
        .collect();
    let headers: BTreeMap<&str, Header> = pieces::ALL.iter().map(|f| (f.path, header(f))).collect();
    let programs = programs();
    let mut wrong = Vec::new();
    for file in pieces::ALL {
        let mine = &shown[file.path];
        // What the other files of its programs need.
        let needed: BTreeSet<&String> = programs
            .iter()
            .filter(|(_, files, _)| files.iter().any(|f| f.path == file.path))
            .flat_map(|(_, files, _)| files.iter().filter(|f| f.path != file.path))
            .flat_map(|f| shown[f.path].needs.iter())
            .collect();
        let provides: BTreeSet<String> = mine
            .functions
            .iter()
            .cloned()
            .chain(mine.sets.iter().map(|v| format!("${v}")).filter(|v| needed.contains(v)))
            .collect();
        let want = Header {
            needs: mine.needs.clone(),
            provides,
        };
        let purpose = file
            .header()
            .lines()
            .any(|l| !l.starts_with("# needs:") && !l.starts_with("# provides:"));
        if headers[file.path] != want || !purpose {
            wrong.push(format!(
                "{}: its header, after what the file is for, should say\n{}\n{}",
                file.path,
                lines("needs", &want.needs),
                lines("provides", &want.provides)
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));

    let mut unmet = Vec::new();
    for (program, files, given) in &programs {
        for file in files {
            for need in &headers[file.path].needs {
                let provided = files
                    .iter()
                    .any(|other| other.path != file.path && headers[other.path].provides.contains(need));
                if !provided && !given.contains(need) {
                    unmet.push(format!(
                        "{program}: {} needs {need}, which nothing in it provides",
                        file.path
                    ));
                }
            }
        }
    }
    assert!(unmet.is_empty(), "\n{}", unmet.join("\n"));
    let unused: Vec<_> = pieces::ALL
        .iter()
        .filter(|f| {
            !programs
                .iter()
                .any(|(_, files, _)| files.iter().any(|g| g.path == f.path))
        })
        .map(|f| f.path)
        .collect();
    assert!(unused.is_empty(), "in no program: {unused:?}");
}

/// A header's lines for `names`: functions, then variables, wrapped.
fn lines(key: &str, names: &BTreeSet<String>) -> String {
    let (vars, functions): (Vec<&String>, Vec<&String>) = names.iter().partition(|n| n.starts_with('$'));
    let mut out = String::new();
    let mut line = format!("# {key}:");
    for name in functions.into_iter().chain(vars) {
        if line.len() + name.len() >= 95 {
            out.push_str(&line);
            out.push('\n');
            line = format!("# {key}:");
        }
        line.push(' ');
        line.push_str(name);
    }
    out + &line
}
