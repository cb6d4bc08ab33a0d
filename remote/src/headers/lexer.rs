//! A small lexer of POSIX sh, enough to tell what a file of the shim defines and uses: quotes,
//! expansions, command substitutions, here-documents, `case` patterns, and the few commands
//! that set a variable without an assignment (`read`, `for`, `eval`, `read_login`).

use std::collections::BTreeSet;

/// What a file defines and uses, as read from its text.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub(super) functions: BTreeSet<String>,
    /// Plain words: calls, when they name a function.
    pub(super) words: BTreeSet<String>,
    pub(super) sets: BTreeSet<String>,
    pub(super) reads: BTreeSet<String>,
    /// `read_login FILE PREFIX` sets `PREFIX_*` by `eval`: the one name the shim sets that
    /// no assignment shows.
    pub(super) prefixes: BTreeSet<String>,
    /// Double-quoted words made only of `$NAME_sh`: programs put together for a container's
    /// shell, as the names of their files' variables.
    pub(super) groups: Vec<Vec<String>>,
}

/// Where a `case` is: its subject, its patterns, or a branch's commands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Subject,
    In,
    Pattern,
    Branch,
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    out: Read,
    /// Here-documents whose bodies start at the next line: delimiter, and whether it expands.
    pending: Vec<(String, bool)>,
}

/// One word as lexed.
#[derive(Default)]
struct Word {
    /// Its literal text, when it is nothing else.
    plain: Option<String>,
    /// The literal text before its first quote or expansion.
    prefix: String,
    /// Its text with quotes removed and expansions left out.
    literal: String,
    /// Single-quoted text, for `trap`.
    single: Option<String>,
    /// Variables a double-quoted part of it names, and whether that part held nothing else.
    quoted_vars: Vec<String>,
    only_vars: bool,
}

pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            s: text.as_bytes(),
            i: 0,
            out: Read::default(),
            pending: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, text: &str) -> bool {
        self.s[self.i..].starts_with(text.as_bytes())
    }

    fn name(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// After a `$`: a parameter, a command substitution or an arithmetic expansion.
    fn dollar(&mut self) {
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                if self.peek() == Some(b'#') && self.s.get(self.i + 1) != Some(&b'}') {
                    self.i += 1;
                }
                let name = self.name();
                if is_name(&name) {
                    self.out.reads.insert(name);
                } else if name.is_empty() {
                    self.i += 1; // a special parameter: ${#}, ${?}...
                }
                self.inside_braces();
            }
            Some(b'(') if self.s.get(self.i + 1) == Some(&b'(') => {
                self.i += 2;
                self.arithmetic();
            }
            Some(b'(') => {
                self.i += 1;
                self.code(true);
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let name = self.name();
                self.out.reads.insert(name);
            }
            _ => self.i += 1, // $1, $?, $#, $@...
        }
    }

    /// The rest of a `${...}` after its name, up to its `}`.
    fn inside_braces(&mut self) {
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'}' => return,
                b'\\' => self.i += 1,
                b'\'' => {
                    self.single();
                }
                b'"' => self.double(&mut Word::default()),
                b'$' => self.dollar(),
                _ => {}
            }
        }
    }

    /// `$((...))`: every name in it is read.
    fn arithmetic(&mut self) {
        let mut depth = 0;
        while let Some(c) = self.peek() {
            match c {
                b'(' => depth += 1,
                b')' if depth == 0 => {
                    self.i += 2;
                    return;
                }
                b')' => depth -= 1,
                b'$' => {
                    self.i += 1;
                    self.dollar();
                    continue;
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let name = self.name();
                    self.out.reads.insert(name);
                    continue;
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    /// After a `'`: up to the next one. Returns the text.
    fn single(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|c| c != b'\'') {
            self.i += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        text
    }

    /// After a `"`: up to the closing one, into `word`.
    fn double(&mut self, word: &mut Word) {
        let mut only_vars = true;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    if let Some(next) = self.peek() {
                        word.literal.push(next as char);
                        only_vars = false;
                    }
                    self.i += 1;
                }
                b'$' if self.peek().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') => {
                    let name = self.name();
                    word.quoted_vars.push(name.clone());
                    self.out.reads.insert(name);
                }
                b'$' => {
                    only_vars = false;
                    self.dollar();
                }
                b'\n' | b' ' => word.literal.push(c as char),
                _ => {
                    word.literal.push(c as char);
                    only_vars = false;
                }
            }
        }
        word.only_vars = only_vars;
    }

    /// One word, from its first character.
    fn word(&mut self) -> Word {
        let mut word = Word::default();
        let mut plain = true;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => break,
                b'\\' => {
                    plain = false;
                    self.i += 2;
                }
                b'\'' => {
                    plain = false;
                    self.i += 1;
                    let text = self.single();
                    word.literal.push_str(&text);
                    word.single = Some(text);
                }
                b'"' => {
                    plain = false;
                    self.i += 1;
                    self.double(&mut word);
                }
                b'$' => {
                    plain = false;
                    self.i += 1;
                    self.dollar();
                }
                _ => {
                    if plain {
                        word.prefix.push(c as char);
                    }
                    word.literal.push(c as char);
                    self.i += 1;
                }
            }
        }
        if plain {
            word.plain = Some(word.prefix.clone());
        }
        word
    }

    /// The bodies of the here-documents begun on the line just ended.
    fn here_documents(&mut self) {
        for (delimiter, expands) in std::mem::take(&mut self.pending) {
            loop {
                let end = self.s[self.i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(self.s.len(), |n| self.i + n);
                let line = String::from_utf8_lossy(&self.s[self.i..end]).into_owned();
                if line == delimiter || self.i >= self.s.len() {
                    self.i = (end + 1).min(self.s.len());
                    break;
                }
                if expands {
                    let mut j = self.i;
                    while j < end {
                        if self.s[j] == b'$' {
                            self.i = j + 1;
                            self.dollar();
                            j = self.i;
                        } else {
                            j += 1;
                        }
                    }
                }
                self.i = (end + 1).min(self.s.len());
            }
        }
    }

    /// Shell code, up to its end or (`nested`, in `$(...)`) the `)` that closes it.
    fn code(&mut self, nested: bool) {
        let mut command = true; // the next word is a command's name (or an assignment)
        let mut args: Vec<String> = Vec::new(); // the current command's words so far
        let mut cases: Vec<Case> = Vec::new();
        let mut depth = 0;
        let mut redirect = false; // the next word is a redirection's target
        let mut for_var = false;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.here_documents();
                    if cases.last() != Some(&Case::Pattern) {
                        command = true;
                        args.clear();
                    }
                }
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b';' if self.at(";;") => {
                    self.i += 2;
                    if let Some(case) = cases.last_mut() {
                        *case = Case::Pattern;
                    }
                    args.clear();
                }
                b';' | b'&' | b'|' => {
                    self.i += 1;
                    if cases.last() != Some(&Case::Pattern) {
                        command = true;
                        args.clear();
                    }
                }
                b'(' => {
                    self.i += 1;
                    if cases.last() != Some(&Case::Pattern) {
                        depth += 1;
                        command = true;
                        args.clear();
                    }
                }
                b')' => {
                    self.i += 1;
                    if cases.last() == Some(&Case::Pattern) {
                        *cases.last_mut().unwrap() = Case::Branch;
                        command = true;
                        args.clear();
                    } else if depth == 0 && nested {
                        return;
                    } else {
                        depth -= 1;
                        command = false;
                    }
                }
                b'<' if self.at("<<") => {
                    self.i += 2;
                    while self.peek() == Some(b' ') {
                        self.i += 1;
                    }
                    let word = self.word();
                    let expands = word.plain.is_some();
                    self.pending.push((word.literal, expands));
                }
                b'<' | b'>' => {
                    self.i += 1;
                    if matches!(self.peek(), Some(b'<' | b'>' | b'|')) {
                        self.i += 1;
                    }
                    if self.peek() == Some(b'&') {
                        self.i += 1;
                        if self.peek() == Some(b'-') {
                            self.i += 1; // a descriptor closed: no target
                            continue;
                        }
                    }
                    while self.peek() == Some(b' ') {
                        self.i += 1;
                    }
                    redirect = true;
                }
                _ => {
                    let word = self.word();
                    if std::mem::take(&mut redirect) {
                        continue;
                    }
                    let text = word.plain.clone().unwrap_or_default();
                    match cases.last() {
                        Some(Case::Subject) => {
                            *cases.last_mut().unwrap() = Case::In;
                            continue;
                        }
                        Some(Case::In) if text == "in" => {
                            *cases.last_mut().unwrap() = Case::Pattern;
                            continue;
                        }
                        Some(Case::Pattern) => {
                            if text == "esac" {
                                cases.pop();
                                command = false;
                            }
                            continue;
                        }
                        _ => {}
                    }
                    if word.only_vars
                        && word.quoted_vars.len() > 1
                        && word.quoted_vars.iter().all(|v| v.ends_with("_sh"))
                    {
                        self.out.groups.push(word.quoted_vars.clone());
                    }
                    if std::mem::take(&mut for_var) {
                        self.out.sets.insert(text);
                        continue;
                    }
                    if command {
                        if let Some((name, _)) = word.prefix.split_once('=')
                            && is_name(name)
                        {
                            self.out.sets.insert(name.to_owned());
                            continue;
                        }
                        match text.as_str() {
                            "if" | "then" | "else" | "elif" | "while" | "until" | "do" | "{" | "!" => continue,
                            "case" => {
                                cases.push(Case::Subject);
                                command = false;
                                continue;
                            }
                            "esac" => {
                                cases.pop();
                                command = false;
                                continue;
                            }
                            "for" => {
                                for_var = true;
                                command = false;
                                continue;
                            }
                            _ => {}
                        }
                        if is_name(&text) && self.at("()") {
                            self.i += 2;
                            self.out.functions.insert(text);
                            continue;
                        }
                        command = false;
                    }
                    let first = args.first().map(String::as_str);
                    match first {
                        // An event's kind, not a call.
                        Some("say") if args.len() == 1 => {}
                        Some("read") if is_name(&text) => {
                            self.out.sets.insert(text.clone());
                        }
                        Some("read_login") if args.len() == 2 && is_name(&text) => {
                            self.out.prefixes.insert(format!("{text}_"));
                        }
                        Some("eval") if args.len() == 1 => {
                            if let Some((name, _)) = word.literal.split_once('=')
                                && is_name(name)
                            {
                                self.out.sets.insert(name.to_owned());
                            }
                        }
                        Some("trap") if args.len() == 1 => {
                            if let Some(text) = &word.single {
                                let inner = read(text);
                                self.out.reads.extend(inner.reads);
                                self.out.words.extend(inner.words);
                            }
                        }
                        _ => {
                            if is_name(&text) {
                                self.out.words.insert(text.clone());
                            }
                        }
                    }
                    args.push(if word.plain.is_some() { text } else { String::new() });
                }
            }
        }
    }
}

/// What `text`, shell code, defines and uses.
pub(super) fn read(text: &str) -> Read {
    let mut lexer = Lexer::new(text);
    lexer.code(false);
    lexer.out
}

/// The lexer itself: calls, reads and sets where they are, and not where they only seem to be.
#[test]
fn the_lexer_reads_what_the_shell_would() {
    let r = read(
        "f() { say refreshed \"$(g \"$a\")\"; x=${b:-$c} h; }\n\
         case $d in \"$e\") later ;; fetch) ;; esac\n\
         read -r y z <<EOF\n$(k)\nEOF\n\
         echo 'nope $q' # m $n\n\
         trap 'rm ${t:+\"$t\"}' EXIT\n\
         n=$((u + 1)) eval \"v=\\${$w}\"\n\
         for i in p; do j \"$codes_sh\n$safe_sh\"; done\n\
         read_login x pre\n",
    );
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(r.functions, set(&["f"]));
    assert_eq!(
        r.reads,
        set(&["a", "b", "c", "d", "e", "t", "u", "w", "codes_sh", "safe_sh"])
    );
    assert_eq!(r.sets, set(&["x", "y", "z", "n", "v", "i"]));
    for word in ["g", "h", "later", "k", "j", "read_login", "x", "p"] {
        assert!(r.words.contains(word), "{word}: {:?}", r.words);
    }
    for not in ["refreshed", "fetch", "nope", "m", "EOF"] {
        assert!(!r.words.contains(not), "{not}: {:?}", r.words);
    }
    assert_eq!(r.prefixes, set(&["pre_"]));
    assert_eq!(r.groups, vec![vec!["codes_sh".to_owned(), "safe_sh".to_owned()]]);
}
