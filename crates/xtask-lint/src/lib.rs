//! # xtask-lint
//!
//! Workspace lints that run under `cargo test --workspace`. So far one: the **module
//! import-cycle check** of issue #12. It reads a crate's sources (no compiler, no
//! dependencies), builds the graph "module M uses module N", and reports every cycle.
//!
//! ## The model
//!
//! * **Modules are files.** The crate root (`lib.rs` / `main.rs`) is the module `crate`;
//!   `src/a/b.rs` and `src/a/b/mod.rs` are the module `a::b`. Files are found the way rustc
//!   finds them: by following `mod x;` declarations from the root, so a file that no `mod`
//!   reaches is not part of the graph. Inline `mod x { … }` blocks belong to the file that
//!   holds them (paths inside them still resolve relative to the inline module, as rustc
//!   does: `super::` in `a.rs`'s `mod inner { … }` is `a`).
//! * **Test code is left out:** any item under `#[cfg(test)]` (or `#[cfg(all(test, …))]`) or
//!   `#[test]` — in practice the `#[cfg(test)] mod tests { … }` blocks and `#[cfg(test)]
//!   mod tests;` files. Integration tests (`tests/`), examples and benches are never read.
//! * **Comments and literals are skipped:** `//`, `///`, `//!`, nested `/* */`, string,
//!   raw-string, byte-string and char literals. So doc examples are not edges.
//! * **Edges.** M depends on N when M's code mentions a path that resolves to N or to an
//!   item defined in N: `use` trees (grouped `use crate::{a::x, b::{y, z}}`, `self`, globs,
//!   `as` renames, `pub use`) and paths in code (`crate::n::f()`, `super::X`, `self::x::Y`,
//!   `child::f()`, or `imported_module::f()`). `crate::`, `super::` and `self::` resolve
//!   relative to the module that holds the path.
//! * **Where an edge points:** to the module that *defines* the named item. A path into a
//!   child module (`crate::fill::simd::x`) points at the child; a path to an item defined in
//!   a module's own file (`crate::fill::Par`, `Par` defined in `fill/mod.rs`) points at that
//!   module; a path through a re-export (`crate::Error` where `lib.rs` has `pub use
//!   error::Error`) is followed to the defining module (`error`), the way rust-analyzer
//!   resolves it. The `pub use error::Error` line itself is an edge `crate -> error`. A `mod
//!   child;` declaration is not an edge. Items re-exported from other crates give no edge.
//!
//! Known limits (none matter for this workspace): macros are not expanded (paths inside
//! `macro_rules!` bodies count where they are written), `#[path]` attributes are not
//! supported (an error names the file), and names brought in by a glob `use` are only
//! followed when the path goes through the module that holds the glob.
//!
//! ## Use
//!
//! ```
//! let krate = xtask_lint::Crate::in_memory(
//!     "demo",
//!     &[
//!         ("lib.rs", "mod a; mod b;"),
//!         ("a.rs", "pub fn f() { crate::b::g() }"),
//!         ("b.rs", "pub fn g() {} pub fn h() { super::a::f() }"),
//!     ],
//! );
//! let graph = xtask_lint::analyze(&krate)?;
//! let cycles = xtask_lint::cycles(&graph);
//! assert_eq!(cycles.len(), 1);
//! assert_eq!(cycles[0].chain(), "a -> b -> a");
//! # Ok::<(), String>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;

// ------------------------------------------------------------------------------------------
// Lexer: identifiers, `::`, punctuation; comments and literals dropped.
// ------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
    Lit,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Skips a `"…"` body starting just after the opening quote; returns the index after the
/// closing quote.
fn skip_string(c: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => {
                if c.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '"' => return i + 1,
            '\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    c.len()
}

/// Skips a raw string body: `i` is just after the opening quote, `hashes` the number of `#`.
fn skip_raw_string(c: &[char], mut i: usize, hashes: usize, line: &mut usize) -> usize {
    while i < c.len() {
        if c[i] == '\n' {
            *line += 1;
        }
        if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    c.len()
}

/// Skips a char literal or a lifetime starting at the quote `c[i]`; returns the new index and
/// whether it was a literal.
fn skip_quote(c: &[char], i: usize) -> usize {
    match (c.get(i + 1), c.get(i + 2)) {
        // '\n', '\'', '\u{1F600}': skip quote, backslash and the escaped char, then to the quote
        (Some('\\'), _) => {
            let mut j = i + 3;
            while j < c.len() && c[j] != '\'' && c[j] != '\n' {
                j += 1;
            }
            j + 1
        }
        // 'x'
        (Some(_), Some('\'')) => i + 3,
        // a lifetime or label: drop the quote, the name is lexed (harmlessly) as an identifier
        _ => i + 1,
    }
}

fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let n = c.len();
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < n {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < n && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < n {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            let start = line;
            i = skip_string(&c, i + 1, &mut line);
            out.push(Token {
                tok: Tok::Lit,
                line: start,
            });
        } else if ch == '\'' {
            i = skip_quote(&c, i);
        } else if ch.is_ascii_digit() {
            while i < n && is_ident_char(c[i]) {
                i += 1;
            }
            while i + 1 < n && c[i] == '.' && c[i + 1].is_ascii_digit() {
                i += 1;
                while i < n && is_ident_char(c[i]) {
                    i += 1;
                }
            }
            out.push(Token {
                tok: Tok::Lit,
                line,
            });
        } else if is_ident_start(ch) {
            let s = i;
            while i < n && is_ident_char(c[i]) {
                i += 1;
            }
            let word: String = c[s..i].iter().collect();
            let start = line;
            // raw strings r"…", r#"…"#, br…, cr…; raw identifiers r#name
            if matches!(word.as_str(), "r" | "br" | "cr") && (at(i) == '"' || at(i) == '#') {
                let mut h = 0;
                while at(i + h) == '#' {
                    h += 1;
                }
                if at(i + h) == '"' {
                    i = skip_raw_string(&c, i + h + 1, h, &mut line);
                    out.push(Token {
                        tok: Tok::Lit,
                        line: start,
                    });
                    continue;
                }
                if word == "r" && h == 1 && is_ident_start(at(i + 1)) {
                    let s2 = i + 1;
                    i = s2;
                    while i < n && is_ident_char(c[i]) {
                        i += 1;
                    }
                    let raw: String = c[s2..i].iter().collect();
                    out.push(Token {
                        tok: Tok::Ident(raw),
                        line,
                    });
                    continue;
                }
            }
            if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_string(&c, i + 1, &mut line);
                out.push(Token {
                    tok: Tok::Lit,
                    line: start,
                });
                continue;
            }
            if word == "b" && at(i) == '\'' {
                i = skip_quote(&c, i);
                out.push(Token {
                    tok: Tok::Lit,
                    line,
                });
                continue;
            }
            out.push(Token {
                tok: Tok::Ident(word),
                line,
            });
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::PathSep,
                line,
            });
            i += 2;
        } else if ch == '$'
            && c.get(i + 1..i + 6)
                .is_some_and(|w| w.iter().copied().eq("crate".chars()))
            && !is_ident_char(at(i + 6))
        {
            // `$crate` in macro bodies is this crate's root
            out.push(Token {
                tok: Tok::Ident("crate".into()),
                line,
            });
            i += 6;
        } else {
            out.push(Token {
                tok: Tok::Punct(ch),
                line,
            });
            i += 1;
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Per-file scan: module declarations, items, `use` trees and paths, with test code skipped.
// ------------------------------------------------------------------------------------------

/// A module path: the segments below the crate root (empty = the root itself).
type ModPath = Vec<String>;

/// One `use` leaf as written: `segs` relative to the module holding it.
#[derive(Clone, Debug)]
struct UseLeaf {
    segs: Vec<String>,
    /// the name it binds (alias or last segment); `None` for a glob or `as _`
    name: Option<String>,
    glob: bool,
    line: usize,
}

/// What one logical module (a file's module or an inline `mod x { … }`) holds.
#[derive(Clone, Debug, Default)]
struct ModData {
    /// the file module this logical module belongs to (the graph node)
    node: ModPath,
    /// the file holding it, relative to `src/`
    file: String,
    /// child modules, file-backed and inline
    children: BTreeSet<String>,
    /// items defined at module level (fn, struct, enum, trait, type, const, static, …)
    defined: BTreeSet<String>,
    /// names bound by `use`, to the path as written
    imports: BTreeMap<String, Vec<String>>,
    /// glob `use` paths as written
    globs: Vec<Vec<String>>,
    uses: Vec<UseLeaf>,
    /// paths of two or more segments in code, as written
    refs: Vec<(Vec<String>, usize)>,
}

/// `mod name;` found in a file: the logical module declaring it, the name, the line.
struct ChildDecl {
    parent: ModPath,
    name: String,
    line: usize,
}

struct FileScan {
    mods: BTreeMap<ModPath, ModData>,
    child_files: Vec<ChildDecl>,
}

const DEF_KEYWORDS: &[&str] = &[
    "fn", "struct", "enum", "union", "trait", "type", "const", "static",
];
const ITEM_KEYWORDS: &[&str] = &[
    "pub",
    "fn",
    "mod",
    "impl",
    "struct",
    "enum",
    "union",
    "use",
    "const",
    "static",
    "trait",
    "type",
    "unsafe",
    "extern",
    "macro_rules",
    "async",
];

fn ident(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn is_punct(toks: &[Token], i: usize, p: char) -> bool {
    matches!(toks.get(i).map(|t| &t.tok), Some(Tok::Punct(q)) if *q == p)
}

fn is_sep(toks: &[Token], i: usize) -> bool {
    matches!(toks.get(i).map(|t| &t.tok), Some(Tok::PathSep))
}

/// Index just after the bracket group opening at `i` (`(`, `[` or `{`).
fn skip_group(toks: &[Token], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < toks.len() {
        match toks[i].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    toks.len()
}

/// Whether an attribute's tokens (between `[` and `]`) make the item test-only.
fn is_test_attr(attr: &[Token]) -> bool {
    match ident(attr, 0) {
        Some("test") => attr.len() == 1,
        Some("cfg") => {
            let words: Vec<&str> = (1..attr.len()).filter_map(|k| ident(attr, k)).collect();
            // `cfg(test)`, `cfg(all(test, …))`; not `not(test)` / `any(test, …)`
            words.contains(&"test") && !words.contains(&"not") && !words.contains(&"any")
        }
        _ => false,
    }
}

/// Skips the item (or statement / field) starting at `i`, which follows a test-only
/// attribute. Returns the index after it.
fn skip_item(toks: &[Token], mut i: usize) -> usize {
    let item_mode = ident(toks, i).is_some_and(|w| ITEM_KEYWORDS.contains(&w));
    let mut depth = 0usize;
    while i < toks.len() {
        match toks[i].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(c @ (')' | ']' | '}')) => {
                if depth == 0 {
                    return i; // the enclosing group ends: stop before its closer
                }
                depth -= 1;
                if depth == 0 && c == '}' && item_mode {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return i + 1,
            Tok::Punct(',') if depth == 0 && !item_mode => return i + 1,
            _ => {}
        }
        i += 1;
    }
    toks.len()
}

/// Parses one use tree at `*i` with the given prefix, appending its leaves.
fn parse_use_tree(toks: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<UseLeaf>) {
    let mut segs = prefix.to_vec();
    loop {
        if let Some(w) = ident(toks, *i) {
            segs.push(w.to_string());
            let line = toks[*i].line;
            *i += 1;
            if is_sep(toks, *i) {
                *i += 1;
                continue;
            }
            let mut name = None;
            if ident(toks, *i) == Some("as") {
                name = ident(toks, *i + 1).map(str::to_string);
                *i += 2;
            }
            if segs.last().is_some_and(|s| s == "self") && segs.len() > 1 {
                segs.pop();
            }
            let name = match name {
                Some(n) if n == "_" => None,
                Some(n) => Some(n),
                None => segs.last().cloned(),
            };
            out.push(UseLeaf {
                segs,
                name,
                glob: false,
                line,
            });
            return;
        }
        if is_punct(toks, *i, '{') {
            *i += 1;
            while *i < toks.len() && !is_punct(toks, *i, '}') {
                let before = *i;
                parse_use_tree(toks, i, &segs, out);
                if is_punct(toks, *i, ',') {
                    *i += 1;
                }
                if *i == before {
                    *i += 1; // malformed: make progress
                }
            }
            *i += 1;
            return;
        }
        if is_punct(toks, *i, '*') {
            let line = toks[*i].line;
            *i += 1;
            out.push(UseLeaf {
                segs,
                name: None,
                glob: true,
                line,
            });
        }
        return;
    }
}

fn scan_file(file: &str, text: &str, module: &ModPath) -> FileScan {
    let toks = lex(text);
    let mut scan = FileScan {
        mods: BTreeMap::new(),
        child_files: Vec::new(),
    };
    let new_mod = || ModData {
        node: module.clone(),
        file: file.to_string(),
        ..ModData::default()
    };
    scan.mods.insert(module.clone(), new_mod());
    // inline modules: (logical path, brace depth inside it)
    let mut inline: Vec<(ModPath, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let (cur, mod_depth) = match inline.last() {
            Some((p, d)) => (p.clone(), *d),
            None => (module.clone(), 0),
        };
        // attributes
        if is_punct(&toks, i, '#') {
            let mut test = false;
            let start = i;
            while is_punct(&toks, i, '#') {
                let inner = is_punct(&toks, i + 1, '!');
                let open = if inner { i + 2 } else { i + 1 };
                if !is_punct(&toks, open, '[') {
                    break;
                }
                let end = skip_group(&toks, open);
                let attr = &toks[open + 1..end.saturating_sub(1).max(open + 1)];
                if is_test_attr(attr) {
                    if inner && depth == 0 {
                        return scan; // `#![cfg(test)]`: the whole file is test-only
                    }
                    test = true;
                }
                i = end;
            }
            if i == start {
                i += 1; // a `#` that starts no attribute (macro patterns like `$(#[$m:meta])*`)
                continue;
            }
            if test {
                i = skip_item(&toks, i);
            }
            continue;
        }
        let Some(word) = ident(&toks, i) else {
            match toks[i].tok {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|(_, d)| *d > depth) {
                        inline.pop();
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        };
        let data = scan.mods.entry(cur.clone()).or_insert_with(new_mod);
        match word {
            // visibility `pub(crate)`, `pub(in crate::a)`: not a path use
            "pub" if is_punct(&toks, i + 1, '(') => {
                i = skip_group(&toks, i + 1);
            }
            "use" => {
                i += 1;
                if is_sep(&toks, i) {
                    // `use ::ext::…`: another crate
                    while i < toks.len() && !is_punct(&toks, i, ';') {
                        i += 1;
                    }
                    continue;
                }
                let mut leaves = Vec::new();
                parse_use_tree(&toks, &mut i, &[], &mut leaves);
                for leaf in leaves {
                    if leaf.glob {
                        data.globs.push(leaf.segs.clone());
                    } else if let Some(n) = &leaf.name {
                        data.imports
                            .entry(n.clone())
                            .or_insert_with(|| leaf.segs.clone());
                    }
                    data.uses.push(leaf);
                }
                while i < toks.len() && !is_punct(&toks, i, ';') {
                    i += 1;
                }
            }
            "mod" if ident(&toks, i + 1).is_some() => {
                let name = ident(&toks, i + 1).unwrap_or_default().to_string();
                data.children.insert(name.clone());
                if is_punct(&toks, i + 2, ';') {
                    scan.child_files.push(ChildDecl {
                        parent: cur.clone(),
                        name,
                        line: toks[i].line,
                    });
                    i += 3;
                } else if is_punct(&toks, i + 2, '{') {
                    let mut path = cur.clone();
                    path.push(name);
                    depth += 1;
                    scan.mods.insert(path.clone(), new_mod());
                    inline.push((path, depth));
                    i += 3;
                } else {
                    i += 2;
                }
            }
            "macro_rules" if is_punct(&toks, i + 1, '!') => {
                if let Some(n) = ident(&toks, i + 2) {
                    if depth == mod_depth {
                        data.defined.insert(n.to_string());
                    }
                }
                i += 3;
            }
            w if DEF_KEYWORDS.contains(&w) && depth == mod_depth => {
                let mut k = i + 1;
                if ident(&toks, k) == Some("mut") {
                    k += 1;
                }
                match ident(&toks, k) {
                    Some("fn" | "unsafe" | "async" | "extern" | "_") | None => {}
                    Some(n) => {
                        data.defined.insert(n.to_string());
                    }
                }
                i += 1;
            }
            _ => {
                // a path of two or more segments (not the tail of `<T as X>::y` or `::ext::…`)
                let after_sep = i > 0 && is_sep(&toks, i - 1);
                let mut segs = vec![word.to_string()];
                let line = toks[i].line;
                let mut j = i + 1;
                while is_sep(&toks, j) {
                    match ident(&toks, j + 1) {
                        Some(s) => {
                            segs.push(s.to_string());
                            j += 2;
                        }
                        None => break,
                    }
                }
                if segs.len() >= 2 && !after_sep {
                    data.refs.push((segs, line));
                }
                i = j;
            }
        }
    }
    scan
}

// ------------------------------------------------------------------------------------------
// Crates and the module graph.
// ------------------------------------------------------------------------------------------

/// A crate's sources: file paths relative to `src/` (with `/`) to their text.
#[derive(Clone, Debug)]
pub struct Crate {
    /// name shown in reports (`nninit`, `nninit-cli (bin)`)
    pub name: String,
    /// prefix shown before file paths in reports (`crates/nninit/src/`)
    pub display_dir: String,
    /// the root file, relative to `src/` (`lib.rs` or `main.rs`)
    pub root: String,
    /// every `.rs` file under `src/`
    pub files: BTreeMap<String, String>,
}

impl Crate {
    /// A crate from in-memory files (for tests); the root is `lib.rs` if present, else
    /// `main.rs`.
    pub fn in_memory(name: &str, files: &[(&str, &str)]) -> Crate {
        let files: BTreeMap<String, String> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let root = if files.contains_key("lib.rs") {
            "lib.rs"
        } else {
            "main.rs"
        }
        .to_string();
        Crate {
            name: name.to_string(),
            display_dir: String::new(),
            root,
            files,
        }
    }

    /// Reads every `.rs` file under `src_dir`; `root` is the root file relative to it.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn from_dir(
        name: &str,
        src_dir: &Path,
        root: &str,
        display_dir: &str,
    ) -> Result<Crate, String> {
        fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, String>) -> Result<(), String> {
            let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = entry.path();
                let fname = entry.file_name().to_string_lossy().to_string();
                let relp = if rel.is_empty() {
                    fname.clone()
                } else {
                    format!("{rel}/{fname}")
                };
                if path.is_dir() {
                    walk(&path, &relp, out)?;
                } else if fname.ends_with(".rs") {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    out.insert(relp, text);
                }
            }
            Ok(())
        }
        let mut files = BTreeMap::new();
        walk(src_dir, "", &mut files)?;
        Ok(Crate {
            name: name.to_string(),
            display_dir: display_dir.to_string(),
            root: root.to_string(),
            files,
        })
    }
}

/// Where an edge was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// file path as shown in reports (display dir + path under `src/`)
    pub file: String,
    /// 1-based line
    pub line: usize,
    /// the source line, trimmed (at most 100 characters)
    pub text: String,
}

/// The module graph of one crate.
#[derive(Clone, Debug)]
pub struct Graph {
    /// the crate's report name
    pub crate_name: String,
    /// every module (file) of the crate, with its file shown as in reports
    pub modules: BTreeMap<ModPath, String>,
    /// `from -> to -> sites`, sites in source order
    pub edges: BTreeMap<ModPath, BTreeMap<ModPath, Vec<Site>>>,
}

/// A module path as reports show it: `crate` for the root, else `a::b`.
pub fn mod_name(p: &[String]) -> String {
    if p.is_empty() {
        "crate".to_string()
    } else {
        p.join("::")
    }
}

struct Resolver<'a> {
    mods: &'a BTreeMap<ModPath, ModData>,
}

const MAX_HOPS: u32 = 32;

impl Resolver<'_> {
    /// The absolute path (below the root) of `segs` as written in module `ctx`; `None` for a
    /// path into another crate, a generic or a local name.
    fn absolutize(&self, ctx: &[String], segs: &[String], hops: u32) -> Option<Vec<String>> {
        if hops > MAX_HOPS {
            return None;
        }
        let first = segs.first()?;
        let join = |base: &[String], rest: &[String]| {
            let mut v = base.to_vec();
            v.extend_from_slice(rest);
            v
        };
        match first.as_str() {
            "crate" => Some(segs[1..].to_vec()),
            "self" => Some(join(ctx, &segs[1..])),
            "super" => {
                let mut base = ctx.to_vec();
                let mut k = 0;
                while segs.get(k).is_some_and(|s| s == "super") {
                    base.pop()?;
                    k += 1;
                }
                Some(join(&base, &segs[k..]))
            }
            _ => {
                let m = self.mods.get(ctx)?;
                if m.children.contains(first) || m.defined.contains(first) {
                    Some(join(ctx, segs))
                } else if let Some(target) = m.imports.get(first) {
                    if target.len() == 1 && target[0] == *first {
                        return None; // `use other_crate;`
                    }
                    let t = self.absolutize(ctx, target, hops + 1)?;
                    Some(join(&t, &segs[1..]))
                } else {
                    None
                }
            }
        }
    }

    /// The graph node (file module) defining what the absolute path `abs` names.
    fn locate(&self, abs: &[String], hops: u32) -> Option<ModPath> {
        if hops > MAX_HOPS {
            return None;
        }
        let mut cur: ModPath = Vec::new();
        for (k, seg) in abs.iter().enumerate() {
            let m = self.mods.get(&cur)?;
            if m.children.contains(seg) {
                cur.push(seg.clone());
                continue;
            }
            if m.defined.contains(seg) {
                return Some(m.node.clone());
            }
            if let Some(target) = m.imports.get(seg) {
                // a re-export (or private import): follow it to where the item is defined
                let mut full = self.absolutize(&cur, target, hops + 1)?;
                full.extend_from_slice(&abs[k + 1..]);
                return self.locate(&full, hops + 1);
            }
            for g in &m.globs {
                let Some(gabs) = self.absolutize(&cur, g, hops + 1) else {
                    continue;
                };
                if let Some(gm) = self.mods.get(&gabs) {
                    if gm.children.contains(seg)
                        || gm.defined.contains(seg)
                        || gm.imports.contains_key(seg)
                    {
                        let mut full = gabs.clone();
                        full.extend_from_slice(&abs[k..]);
                        return self.locate(&full, hops + 1);
                    }
                }
            }
            // unknown name (a macro, an item we did not see): the module the path reaches
            return Some(m.node.clone());
        }
        Some(self.mods.get(&cur)?.node.clone())
    }

    fn resolve(&self, ctx: &[String], segs: &[String]) -> Option<ModPath> {
        let abs = self.absolutize(ctx, segs, 0)?;
        self.locate(&abs, 0)
    }
}

/// Builds the module graph of `krate`.
///
/// # Errors
/// A `mod x;` whose file is missing or ambiguous (both `x.rs` and `x/mod.rs`), or a missing
/// root file.
pub fn analyze(krate: &Crate) -> Result<Graph, String> {
    let mut mods: BTreeMap<ModPath, ModData> = BTreeMap::new();
    let mut files_of: BTreeMap<ModPath, String> = BTreeMap::new();
    let mut queue: VecDeque<(String, ModPath)> = VecDeque::new();
    if !krate.files.contains_key(&krate.root) {
        return Err(format!(
            "{}{}: root file not found",
            krate.display_dir, krate.root
        ));
    }
    queue.push_back((krate.root.clone(), Vec::new()));
    while let Some((file, module)) = queue.pop_front() {
        let text = krate
            .files
            .get(&file)
            .map(String::as_str)
            .unwrap_or_default();
        let scan = scan_file(&file, text, &module);
        files_of.insert(module.clone(), format!("{}{}", krate.display_dir, file));
        // directory holding this file's children
        let dir = if file == krate.root || file.ends_with("/mod.rs") || file == "mod.rs" {
            match file.rfind('/') {
                Some(k) => file[..k].to_string(),
                None => String::new(),
            }
        } else {
            file.trim_end_matches(".rs").to_string()
        };
        for decl in &scan.child_files {
            // inline modules between the file module and the declaration add directories
            let mut d = dir.clone();
            for seg in &decl.parent[module.len()..] {
                d = if d.is_empty() {
                    seg.clone()
                } else {
                    format!("{d}/{seg}")
                };
            }
            let base = if d.is_empty() {
                decl.name.clone()
            } else {
                format!("{d}/{}", decl.name)
            };
            let flat = format!("{base}.rs");
            let nested = format!("{base}/mod.rs");
            let child_file = match (
                krate.files.contains_key(&flat),
                krate.files.contains_key(&nested),
            ) {
                (true, false) => flat,
                (false, true) => nested,
                (true, true) => {
                    return Err(format!(
                        "{}{}:{}: `mod {};` is ambiguous: both {flat} and {nested} exist",
                        krate.display_dir, file, decl.line, decl.name
                    ))
                }
                (false, false) => {
                    return Err(format!(
                        "{}{}:{}: `mod {};` has no file ({flat} or {nested}; #[path] is not \
                         supported)",
                        krate.display_dir, file, decl.line, decl.name
                    ))
                }
            };
            let mut child = decl.parent.clone();
            child.push(decl.name.clone());
            queue.push_back((child_file, child));
        }
        for (path, data) in scan.mods {
            let entry = mods.entry(path).or_default();
            entry.node = data.node;
            entry.file = data.file;
            entry.children.extend(data.children);
            entry.defined.extend(data.defined);
            for (k, v) in data.imports {
                entry.imports.entry(k).or_insert(v);
            }
            entry.globs.extend(data.globs);
            entry.uses.extend(data.uses);
            entry.refs.extend(data.refs);
        }
    }

    let resolver = Resolver { mods: &mods };
    let mut edges: BTreeMap<ModPath, BTreeMap<ModPath, Vec<Site>>> = BTreeMap::new();
    for (path, data) in &mods {
        let src = krate
            .files
            .get(&data.file)
            .map(String::as_str)
            .unwrap_or_default();
        let lines: Vec<&str> = src.lines().collect();
        let mut seen: Vec<(ModPath, usize)> = Vec::new();
        let mentions = data
            .uses
            .iter()
            .map(|u| (&u.segs, u.line))
            .chain(data.refs.iter().map(|(s, l)| (s, *l)));
        for (segs, line) in mentions {
            let Some(target) = resolver.resolve(path, segs) else {
                continue;
            };
            if target == data.node || seen.contains(&(target.clone(), line)) {
                continue;
            }
            seen.push((target.clone(), line));
            let text: String = lines
                .get(line.saturating_sub(1))
                .map(|l| l.trim().chars().take(100).collect())
                .unwrap_or_default();
            edges
                .entry(data.node.clone())
                .or_default()
                .entry(target)
                .or_default()
                .push(Site {
                    file: format!("{}{}", krate.display_dir, data.file),
                    line,
                    text,
                });
        }
    }
    for targets in edges.values_mut() {
        for sites in targets.values_mut() {
            sites.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            sites.dedup();
        }
    }
    Ok(Graph {
        crate_name: krate.name.clone(),
        modules: files_of,
        edges,
    })
}

impl Graph {
    /// The same graph without the edges from a module to one of its ancestors (`super::X`
    /// where `X` lives in the parent's own file). Not used by the CI check; for a team that
    /// decides a facade parent calling into its children while they use its types is fine.
    pub fn without_child_to_ancestor_edges(&self) -> Graph {
        let mut g = self.clone();
        for (from, targets) in &mut g.edges {
            targets.retain(|to, _| !(to.len() < from.len() && from.starts_with(to)));
        }
        g
    }
}

// ------------------------------------------------------------------------------------------
// Cycles.
// ------------------------------------------------------------------------------------------

/// One import cycle: `modules[0] -> modules[1] -> … -> modules[0]`, with the first site of
/// each edge.
#[derive(Clone, Debug)]
pub struct Cycle {
    /// the modules in order; the chain closes back to the first
    pub modules: Vec<ModPath>,
    /// `edges[k]`: the first place `modules[k]` uses `modules[k + 1]` (cyclically), and how
    /// many places do
    pub edges: Vec<(Site, usize)>,
}

impl Cycle {
    /// `a::b -> c -> a::b`
    pub fn chain(&self) -> String {
        let mut names: Vec<String> = self.modules.iter().map(|m| mod_name(m)).collect();
        if let Some(first) = names.first().cloned() {
            names.push(first);
        }
        names.join(" -> ")
    }
}

/// Strongly connected components with more than one module, each sorted, in sorted order.
pub fn tangles(graph: &Graph) -> Vec<Vec<ModPath>> {
    // Tarjan's algorithm, recursive (module graphs are small)
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<ModPath, usize>,
        low: BTreeMap<ModPath, usize>,
        stack: Vec<ModPath>,
        on_stack: BTreeSet<ModPath>,
        next: usize,
        out: Vec<Vec<ModPath>>,
    }
    fn visit(s: &mut State, v: &ModPath) {
        s.index.insert(v.clone(), s.next);
        s.low.insert(v.clone(), s.next);
        s.next += 1;
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let succ: Vec<ModPath> = s
            .graph
            .edges
            .get(v)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        for w in succ {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let lw = s.low[&w];
                let lv = s.low[v];
                s.low.insert(v.clone(), lv.min(lw));
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low[v];
                s.low.insert(v.clone(), lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == *v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: BTreeSet<ModPath> = graph
        .modules
        .keys()
        .cloned()
        .chain(graph.edges.keys().cloned())
        .collect();
    for v in &nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

/// Every import cycle, as a set of short cycles that together cover every edge lying on a
/// cycle: for each such edge `u -> v` not yet shown, the shortest way back `v -> … -> u`.
pub fn cycles(graph: &Graph) -> Vec<Cycle> {
    let mut out = Vec::new();
    for comp in tangles(graph) {
        let inside: BTreeSet<&ModPath> = comp.iter().collect();
        let mut covered: BTreeSet<(ModPath, ModPath)> = BTreeSet::new();
        for u in &comp {
            let Some(targets) = graph.edges.get(u) else {
                continue;
            };
            for v in targets.keys().filter(|v| inside.contains(v)) {
                if covered.contains(&(u.clone(), v.clone())) {
                    continue;
                }
                // BFS from v back to u inside the component
                let mut prev: BTreeMap<ModPath, ModPath> = BTreeMap::new();
                let mut queue = VecDeque::from([v.clone()]);
                let mut seen = BTreeSet::from([v.clone()]);
                while let Some(x) = queue.pop_front() {
                    if x == *u {
                        break;
                    }
                    for y in graph.edges.get(&x).into_iter().flat_map(|t| t.keys()) {
                        if inside.contains(y) && seen.insert(y.clone()) {
                            prev.insert(y.clone(), x.clone());
                            queue.push_back(y.clone());
                        }
                    }
                }
                // path v … u, then the cycle u -> v -> … -> u
                let mut back = vec![u.clone()];
                let mut x = u.clone();
                while x != *v {
                    match prev.get(&x) {
                        Some(p) => {
                            x = p.clone();
                            back.push(x.clone());
                        }
                        None => break,
                    }
                }
                back.reverse(); // v … u
                let mut modules = vec![u.clone()];
                modules.extend(back.into_iter().filter(|m| m != u));
                // rotate so the smallest module name comes first (stable output)
                if let Some(k) = (0..modules.len()).min_by_key(|&k| &modules[k]) {
                    modules.rotate_left(k);
                }
                let mut edges = Vec::new();
                for k in 0..modules.len() {
                    let a = &modules[k];
                    let b = &modules[(k + 1) % modules.len()];
                    covered.insert((a.clone(), b.clone()));
                    let sites = graph.edges.get(a).and_then(|t| t.get(b));
                    if let Some(first) = sites.and_then(|s| s.first()) {
                        edges.push((first.clone(), sites.map_or(0, Vec::len)));
                    }
                }
                out.push(Cycle { modules, edges });
            }
        }
    }
    out
}

/// A readable report of the cycles (empty string if there are none).
pub fn format_cycles(graph: &Graph) -> String {
    let comps = tangles(graph);
    if comps.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "crate {}: {} group(s) of modules that import each other in a circle",
        graph.crate_name,
        comps.len()
    );
    for comp in &comps {
        let names: Vec<String> = comp.iter().map(|m| mod_name(m)).collect();
        let _ = writeln!(s, "  group of {} modules: {}", comp.len(), names.join(", "));
    }
    for c in cycles(graph) {
        let _ = writeln!(s, "  cycle: {}", c.chain());
        for (k, (site, n)) in c.edges.iter().enumerate() {
            let a = mod_name(&c.modules[k]);
            let b = mod_name(&c.modules[(k + 1) % c.modules.len()]);
            let more = if *n > 1 {
                format!(" (+{} more)", n - 1)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "      {a} -> {b}: {}:{}{more}  `{}`",
                site.file, site.line, site.text
            );
        }
    }
    s
}

/// The whole module graph, one line per module with its file and what it uses.
pub fn format_graph(graph: &Graph) -> String {
    let mut s = String::new();
    let n_edges: usize = graph.edges.values().map(BTreeMap::len).sum();
    let _ = writeln!(
        s,
        "crate {}: {} modules, {} module-to-module edges",
        graph.crate_name,
        graph.modules.len(),
        n_edges
    );
    for (m, file) in &graph.modules {
        let uses: Vec<String> = graph
            .edges
            .get(m)
            .map(|t| {
                t.iter()
                    .map(|(to, sites)| format!("{} ({})", mod_name(to), sites.len()))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(s, "  {} [{}]", mod_name(m), file);
        if !uses.is_empty() {
            let _ = writeln!(s, "      -> {}", uses.join(", "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> Graph {
        analyze(&Crate::in_memory("t", files)).unwrap()
    }

    fn edge_set(g: &Graph) -> Vec<String> {
        let mut v = Vec::new();
        for (a, ts) in &g.edges {
            for b in ts.keys() {
                v.push(format!("{} -> {}", mod_name(a), mod_name(b)));
            }
        }
        v
    }

    fn chains(g: &Graph) -> Vec<String> {
        cycles(g).iter().map(Cycle::chain).collect()
    }

    #[test]
    fn two_module_cycle_is_found_with_sites() {
        let g = graph(&[
            ("lib.rs", "pub mod a;\npub mod b;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            (
                "b.rs",
                "pub struct B;\n\nfn f() -> crate::a::A { crate::a::A }\n",
            ),
        ]);
        assert_eq!(chains(&g), vec!["a -> b -> a"]);
        let c = &cycles(&g)[0];
        assert_eq!(c.edges[0].0.file, "a.rs");
        assert_eq!(c.edges[0].0.line, 1);
        assert_eq!(c.edges[0].0.text, "use crate::b::B;");
        assert_eq!(c.edges[1].0.line, 3);
        let report = format_cycles(&g);
        assert!(report.contains("a -> b: a.rs:1"), "{report}");
        assert!(report.contains("b -> a: b.rs:3"), "{report}");
    }

    #[test]
    fn a_dag_passes() {
        let g = graph(&[
            ("lib.rs", "pub mod a; pub mod b; pub mod c;"),
            ("a.rs", "use crate::b::f; use crate::c::g;"),
            ("b.rs", "use crate::c::g; pub fn f() {}"),
            ("c.rs", "pub fn g() {}"),
        ]);
        assert_eq!(edge_set(&g), vec!["a -> b", "a -> c", "b -> c"]);
        assert!(cycles(&g).is_empty());
        assert_eq!(format_cycles(&g), "");
    }

    #[test]
    fn long_cycle_through_nested_files() {
        let g = graph(&[
            ("lib.rs", "mod x; mod y;"),
            ("x/mod.rs", "mod inner;\npub struct X;\n"),
            ("x/inner.rs", "pub fn f() { crate::y::g(); }"),
            ("y.rs", "pub fn g() {} pub fn h(_: &crate::x::X) {}"),
        ]);
        // inner -> y -> x; x does not use inner (a `mod` declaration is not an edge)
        assert_eq!(edge_set(&g), vec!["x::inner -> y", "y -> x"]);
        assert!(cycles(&g).is_empty());

        let g = graph(&[
            ("lib.rs", "mod x; mod y;"),
            ("x/mod.rs", "mod inner;\npub use inner::f;\npub struct X;\n"),
            ("x/inner.rs", "pub fn f() { crate::y::g(); }"),
            ("y.rs", "pub fn g() {} pub fn h(_: &crate::x::X) {}"),
        ]);
        // `pub use inner::f` in the parent is an edge parent -> child
        assert_eq!(chains(&g), vec!["x -> x::inner -> y -> x"]);
    }

    #[test]
    fn super_resolves_relative_to_the_module() {
        let files = [
            ("lib.rs", "pub mod p;"),
            ("p/mod.rs", "pub mod q;\npub mod r;\npub struct P;\n"),
            ("p/q.rs", "use super::r::R;\nfn f(_: super::P) {}\n"),
            (
                "p/r.rs",
                "pub struct R;\nfn g() { let _ = super::super::p::q::f; }\n",
            ),
        ];
        let g = graph(&files);
        assert_eq!(
            edge_set(&g),
            vec!["p::q -> p", "p::q -> p::r", "p::r -> p::q"]
        );
        assert_eq!(chains(&g), vec!["p::q -> p::r -> p::q"]);
    }

    #[test]
    fn super_inside_an_inline_module_is_its_own_file() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "pub fn f() {}\nmod inner {\n    use super::f;\n    fn g() { super::super::b::h() }\n}\n"),
            ("b.rs", "pub fn h() {}"),
        ]);
        // `super` in `a::inner` is `a` (same file: no edge); `super::super` is the root
        assert_eq!(edge_set(&g), vec!["a -> b"]);
    }

    #[test]
    fn grouped_use_and_self() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b; mod c; mod d;"),
            (
                "a.rs",
                "use crate::{b::{self, B}, c::{C as Cee, D}};\nfn f() { b::x(); }\n",
            ),
            ("b.rs", "pub struct B; pub fn x() {}"),
            ("c.rs", "pub struct C; pub struct D;"),
            ("d.rs", "use self::e::*; mod e { pub use crate::a::*; }"),
        ]);
        assert_eq!(edge_set(&g), vec!["a -> b", "a -> c", "d -> a"]);
        assert_eq!(
            g.edges[&vec!["a".to_string()]][&vec!["c".to_string()]].len(),
            1
        );
    }

    #[test]
    fn paths_through_reexports_reach_the_defining_module() {
        let g = graph(&[
            ("lib.rs", "pub mod error; pub mod fill;\npub use error::Error;\n"),
            ("error.rs", "pub struct Error;"),
            ("fill/mod.rs", "pub mod simd;\npub struct Par;\npub fn f() -> crate::Error { crate::error::Error }\n"),
            ("fill/simd.rs", "pub fn x(_: crate::fill::Par) {}"),
        ]);
        // crate::Error is `error::Error` (no edge to the root); fill::Par is defined in fill
        assert_eq!(
            edge_set(&g),
            vec!["crate -> error", "fill -> error", "fill::simd -> fill"]
        );
        assert!(cycles(&g).is_empty());
    }

    #[test]
    fn imported_module_names_and_child_paths_are_followed() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "mod kid;\nuse crate::b as bee;\nfn f() { bee::deep::g(); kid::k(); }\n",
            ),
            ("a/kid.rs", "pub fn k() {}"),
            ("b/mod.rs", "pub mod deep;"),
            ("b/deep.rs", "pub fn g() { crate::a::kid::k() }"),
        ]);
        assert_eq!(
            edge_set(&g),
            vec!["a -> a::kid", "a -> b", "a -> b::deep", "b::deep -> a::kid"]
        );
    }

    #[test]
    fn test_modules_and_test_items_are_ignored() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "pub fn f() {}\n\
                 #[cfg(test)]\nmod tests {\n    use crate::b::g;\n    fn t() { crate::b::g() }\n}\n\
                 #[test]\nfn direct() { crate::b::g(); }\n\
                 #[cfg(all(test, feature = \"x\"))]\nuse crate::b::G;\n\
                 #[cfg(test)]\nmod more_tests;\n",
            ),
            ("a/more_tests.rs", "use crate::b::g;"),
            ("b.rs", "pub fn g() { crate::a::f() }"),
        ]);
        assert_eq!(edge_set(&g), vec!["b -> a"]);
        assert!(cycles(&g).is_empty());
        assert!(!g
            .modules
            .contains_key(&vec!["a".to_string(), "more_tests".to_string()]));
        // …but cfg(not(test)) code is real code
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "#[cfg(not(test))]\nuse crate::b::g;\npub fn f() {}"),
            ("b.rs", "pub fn g() { crate::a::f() }"),
        ]);
        assert_eq!(chains(&g), vec!["a -> b -> a"]);
    }

    #[test]
    fn comments_and_literals_are_ignored() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "//! Uses crate::b::g in a doc example:\n\
                 //! ```\n//! crate::b::g();\n//! ```\n\
                 /// see crate::b::g\n\
                 // crate::b::g();\n\
                 /* crate::b::g(); /* nested crate::b::g */ crate::b::g() */\n\
                 pub fn f() -> &'static str { let _c = '\"'; let _q = '\\''; \"crate::b::g()\" }\n\
                 pub fn r() -> &'static str { r#\"crate::b::g(\"\"#; b\"crate::b\"; 'x'; \"\" }\n",
            ),
            ("b.rs", "pub fn g() { crate::a::f(); }"),
        ]);
        assert_eq!(edge_set(&g), vec!["b -> a"]);
        // the same text as real code is an edge (the checker is not blind)
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "pub fn f() { let _c = '\"'; crate::b::g(); }"),
            ("b.rs", "pub fn g() { crate::a::f(); }"),
        ]);
        assert_eq!(chains(&g), vec!["a -> b -> a"]);
    }

    #[test]
    fn lines_are_counted_through_multiline_literals_and_comments() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "/* one\n two */\nconst S: &str = \"x\n y\";\nfn f() { crate::b::g() }\n",
            ),
            ("b.rs", "pub fn g() {}"),
        ]);
        let sites = &g.edges[&vec!["a".to_string()]][&vec!["b".to_string()]];
        assert_eq!(sites[0].line, 5);
        assert_eq!(sites[0].text, "fn f() { crate::b::g() }");
    }

    #[test]
    fn other_crates_generics_and_visibility_are_not_edges() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "use std::fmt;\nuse ::b::x;\nuse nninit::b;\n\
                 pub(in crate::b) fn f<T: Default>() -> T { T::default() }\n\
                 fn g() { let _ = <u8 as Default>::default(); Vec::<u8>::new(); b::y(); }\n",
            ),
            ("b.rs", "pub fn z() { crate::a::g() }"),
        ]);
        assert_eq!(edge_set(&g), vec!["b -> a"]);
    }

    #[test]
    fn hashes_that_start_no_attribute_do_not_stall_the_scan() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b;"),
            (
                "a.rs",
                "macro_rules! m { ($(#[$meta:meta])* $name:ident) => { $(#[$meta])* fn $name() {} } }\n\
                 m!(#[inline] f);\nfn g() { crate::b::h() }\n",
            ),
            ("b.rs", "pub fn h() {}"),
        ]);
        assert_eq!(edge_set(&g), vec!["a -> b"]);
    }

    #[test]
    fn facade_cycles_can_be_dropped_on_request() {
        let g = graph(&[
            ("lib.rs", "mod p;"),
            (
                "p/mod.rs",
                "mod c;\npub struct T;\npub fn run() { c::go() }\n",
            ),
            ("p/c.rs", "pub fn go() { let _ = super::T; }"),
        ]);
        assert_eq!(chains(&g), vec!["p -> p::c -> p"]);
        assert!(cycles(&g.without_child_to_ancestor_edges()).is_empty());
    }

    #[test]
    fn missing_module_file_is_an_error_naming_the_declaration() {
        let err = analyze(&Crate::in_memory("t", &[("lib.rs", "\nmod gone;\n")])).unwrap_err();
        assert!(err.contains("lib.rs:2") && err.contains("gone.rs"), "{err}");
    }

    #[test]
    fn every_edge_of_a_tangle_is_shown_in_some_cycle() {
        // a -> b -> c -> a and b -> a: two cycles share the component
        let g = graph(&[
            ("lib.rs", "mod a; mod b; mod c;"),
            ("a.rs", "use crate::b::B; pub struct A;"),
            ("b.rs", "use crate::c::C; use crate::a::A; pub struct B;"),
            ("c.rs", "use crate::a::A; pub struct C;"),
        ]);
        assert_eq!(tangles(&g).len(), 1);
        let cs = chains(&g);
        assert_eq!(cs, vec!["a -> b -> a", "a -> b -> c -> a"]);
    }

    #[test]
    fn the_checker_has_no_cycles_itself_and_sees_its_own_test_module_as_test_code() {
        let src = include_str!("lib.rs");
        let g = graph(&[("lib.rs", src)]);
        assert_eq!(g.modules.len(), 1);
        assert!(g.edges.is_empty());
    }
}
