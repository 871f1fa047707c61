//! The crate's layering, checked from its source: imports between files of `src/` may only
//! point down the stack in [`LAYERS`], and no set of files may import each other in a cycle.
//!
//! A file's module comes from its path (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`, `lib.rs`
//! and `main.rs` are the root); its layer is the module's first segment. Every `crate::`,
//! `super::` and `self::` path in code counts as an import of the longest prefix that is a
//! file's module, whether written in a `use` (grouped or not) or inline. Comments, string and
//! character literals, and everything from the first `#[cfg(test)]` on are not read, so prose
//! and tests do not count. This is the Rust mirror of `hooks/module_cycles.py`, plus layers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, top to bottom: a module may import its own layer and the layers below it.
/// `main` is the crate root (`main.rs`, `lib.rs`), which may import everything.
const LAYERS: [&str; 10] = [
    "main", "app", "exit", "cli", "commands", "engine", "settings", "adapters", "domain", "error",
];

/// Whether a module may sit outside every layer (then it is only checked for cycles). False:
/// every module of the crate sits in a layer; a new top-level module must be given one.
const ALLOW_UNLAYERED: bool = false;

/// A module path without the leading `crate`; empty for the crate root.
type Module = Vec<String>;

/// One thing the layering forbids, shown as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Violation {
    /// A file imports a module of a higher layer.
    Upward {
        file: String,
        line: usize,
        from: Module,
        to: Module,
        written: String,
    },
    /// Files that import each other; `edges` are the imports inside the set, to show where
    /// it could be cut.
    Cycle {
        members: Vec<Module>,
        edges: Vec<Import>,
    },
    /// A file whose module's first segment names no layer.
    Unlayered { file: String, module: Module },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Upward {
                file,
                line,
                from,
                to,
                written,
            } => write!(
                f,
                "{file}:{line}: upward import of {} in `{written}` ({})",
                name_module(to),
                describe_allowed(from)
            ),
            Violation::Cycle { members, .. } => {
                write!(f, "cycle: {}", name_modules(members))
            }
            Violation::Unlayered { file, module } => write!(
                f,
                "{file}: {} is not in a layer (its first segment must be one of: {})",
                name_module(module),
                LAYERS.join(", ")
            ),
        }
    }
}

/// One resolved reference from a file to another file's module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    file: String,
    line: usize,
    from: Module,
    to: Module,
    written: String,
}

/// A source file and the module it defines.
struct SourceFile {
    /// As shown in messages: `src/a/b.rs`.
    shown: String,
    path: PathBuf,
    module: Module,
}

/// A path as written in code, before it is resolved against the file's module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WrittenPath {
    segments: Vec<String>,
    line: usize,
}

/// Everything the layering forbids in the source tree at `src`, in a stable order.
fn check_layering(src: &Path, allow_unlayered: bool) -> Vec<Violation> {
    let files = list_source_files(src);
    let modules: BTreeSet<Module> = files.iter().map(|f| f.module.clone()).collect();
    let imports: Vec<Import> = files
        .iter()
        .flat_map(|file| collect_imports(file, &modules))
        .collect();

    let mut violations = Vec::new();
    if !allow_unlayered {
        violations.extend(find_unlayered(&files));
    }
    violations.extend(imports.iter().filter_map(find_upward));
    violations.extend(find_cycles(&modules, &imports));
    violations
}

/// Every `.rs` file under `src`, sorted by path so reports are stable.
fn list_source_files(src: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    walk_rs_files(src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(src).expect("walked from src");
            let parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_str().expect("UTF-8 file name").to_owned())
                .collect();
            SourceFile {
                shown: format!("src/{}", parts.join("/")),
                module: name_file_module(&parts),
                path,
            }
        })
        .collect()
}

fn walk_rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk_rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` → `a::b`, `a/mod.rs` → `a`, `lib.rs` and `main.rs` → the root.
fn name_file_module(parts: &[String]) -> Module {
    let mut module: Module = parts.to_vec();
    let last = module.pop().expect("a file name");
    let stem = last.strip_suffix(".rs").expect("a .rs file");
    let is_root = module.is_empty() && (stem == "lib" || stem == "main");
    if stem != "mod" && !is_root {
        module.push(stem.to_owned());
    }
    module
}

/// The imports of one file that count: to another file's module, not to the root, and not
/// to the file's own descendants (a parent re-exporting its children is no layering question).
/// A child naming its parent does count: that is how a parent and child can form a cycle.
fn collect_imports(file: &SourceFile, modules: &BTreeSet<Module>) -> Vec<Import> {
    let text = fs::read_to_string(&file.path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.path.display()));
    let blanked = blank_comments_and_strings(&text);
    let code = cut_tests(&blanked);
    let mut seen = BTreeSet::new();
    let mut imports = Vec::new();
    for written in find_paths(&tokenize(code)) {
        let Some(absolute) = resolve_relative(&file.module, &written.segments) else {
            continue;
        };
        let to = find_longest_module(&absolute, modules);
        if to.is_empty() || to.starts_with(&file.module) {
            continue;
        }
        // One report per module per line, however often the line names it.
        if seen.insert((written.line, to.clone())) {
            imports.push(Import {
                file: file.shown.clone(),
                line: written.line,
                from: file.module.clone(),
                to,
                written: written.segments.join("::"),
            });
        }
    }
    imports
}

/// The text with every comment and string or character literal replaced by spaces, newlines
/// kept, so what remains is code and line numbers still match the file.
fn blank_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        let end = match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => skip_line_comment(&chars, i),
            '/' if chars.get(i + 1) == Some(&'*') => skip_block_comment(&chars, i),
            '"' => skip_string(&chars, i),
            'r' if starts_raw_string(&chars, i) => skip_raw_string(&chars, i),
            '\'' => skip_char_literal(&chars, i),
            _ => i + 1,
        };
        // Only comments and literals span more than the character they start at.
        if end > i + 1 {
            blank(&mut out[i..end.min(chars.len())]);
        }
        i = end.max(i + 1);
    }
    out.into_iter().collect()
}

fn blank(span: &mut [char]) {
    for c in span.iter_mut().filter(|c| **c != '\n') {
        *c = ' ';
    }
}

fn skip_line_comment(chars: &[char], start: usize) -> usize {
    (start..chars.len())
        .find(|&i| chars[i] == '\n')
        .unwrap_or(chars.len())
}

/// Block comments nest in Rust.
fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    chars.len()
}

fn skip_string(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// `r"…"`, `r#"…"#`, and with a `b` or `c` prefix; not the `r` ending an identifier, and not
/// a raw identifier such as `r#type`.
fn starts_raw_string(chars: &[char], i: usize) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let word_start = match i.checked_sub(1).map(|p| chars[p]) {
        Some('b' | 'c') => i < 2 || !is_ident(chars[i - 2]),
        Some(c) => !is_ident(c),
        None => true,
    };
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    word_start && chars.get(i + 1 + hashes) == Some(&'"')
}

fn skip_raw_string(chars: &[char], start: usize) -> usize {
    let hashes = chars[start + 1..].iter().take_while(|&&c| c == '#').count();
    let mut i = start + 2 + hashes;
    while i < chars.len() {
        let closes = chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#'));
        if closes {
            return i + 1 + hashes;
        }
        i += 1;
    }
    chars.len()
}

/// `'x'` and `'\n'` are literals; `'a` in `&'a str` is a lifetime and is left alone.
fn skip_char_literal(chars: &[char], start: usize) -> usize {
    match (chars.get(start + 1), chars.get(start + 2)) {
        // The escaped character sits at `start + 2`; `\u{…}` runs on to the quote.
        (Some('\\'), _) => (start + 3..chars.len())
            .find(|&i| chars[i] == '\'')
            .map_or(chars.len(), |i| i + 1),
        (Some(_), Some('\'')) => start + 3,
        _ => start + 1,
    }
}

/// Code before the first `#[cfg(test)]`: the tests of a file may import anything.
fn cut_tests(code: &str) -> &str {
    code.find("#[cfg(test)]").map_or(code, |i| &code[..i])
}

/// The tokens paths are made of; everything else is `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other(char),
}

/// Tokens with their line numbers (1-based).
fn tokenize(code: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        i += 1;
        let token = match c {
            '\n' => {
                line += 1;
                continue;
            }
            c if c.is_whitespace() => continue,
            ':' if chars.get(i) == Some(&':') => {
                i += 1;
                Token::PathSep
            }
            '{' => Token::Open,
            '}' => Token::Close,
            ',' => Token::Comma,
            '*' => Token::Star,
            c if c.is_alphanumeric() || c == '_' => {
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                // A number such as `1u8` is no identifier.
                if c.is_ascii_digit() {
                    continue;
                }
                Token::Ident(chars[start..i].iter().collect())
            }
            c => Token::Other(c),
        };
        tokens.push((token, line));
    }
    tokens
}

/// Every path starting with `crate::`, `super::` or `self::`; a grouped `use` gives one path
/// per leaf, each with the line of its leaf.
fn find_paths(tokens: &[(Token, usize)]) -> Vec<WrittenPath> {
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if starts_path(tokens, i) && !is_visibility(tokens, i) {
            i = parse_tree(tokens, i, &[], &mut paths);
        } else {
            i += 1;
        }
    }
    paths
}

fn starts_path(tokens: &[(Token, usize)], i: usize) -> bool {
    let is_anchor =
        matches!(&tokens[i].0, Token::Ident(w) if w == "crate" || w == "super" || w == "self");
    let follows_sep = i > 0 && tokens[i - 1].0 == Token::PathSep;
    is_anchor && !follows_sep && tokens.get(i + 1).is_some_and(|t| t.0 == Token::PathSep)
}

/// `pub(in crate::a)` restricts visibility; it imports nothing.
fn is_visibility(tokens: &[(Token, usize)], i: usize) -> bool {
    i >= 3
        && tokens[i - 1].0 == Token::Ident("in".into())
        && tokens[i - 2].0 == Token::Other('(')
        && tokens[i - 3].0 == Token::Ident("pub".into())
}

/// Parses `a::b`, `a::{b, c::{d}}`, `a::*` from `i`, pushing each leaf under `prefix`;
/// returns the index after the tree.
fn parse_tree(
    tokens: &[(Token, usize)],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<WrittenPath>,
) -> usize {
    let mut segments = prefix.to_vec();
    let mut line = tokens.get(i).map_or(0, |t| t.1);
    while let Some((Token::Ident(word), word_line)) = tokens.get(i) {
        segments.push(word.clone());
        line = *word_line;
        i += 1;
        if tokens.get(i).map(|t| &t.0) != Some(&Token::PathSep) {
            out.push(WrittenPath { segments, line });
            return i;
        }
        i += 1;
    }
    match tokens.get(i).map(|t| &t.0) {
        Some(Token::Open) => parse_group(tokens, i + 1, &segments, out),
        Some(Token::Star) => {
            out.push(WrittenPath {
                segments,
                line: tokens[i].1,
            });
            i + 1
        }
        // `a::<T>` and the like: the path ends before the turbofish.
        _ => {
            out.push(WrittenPath { segments, line });
            i
        }
    }
}

/// Parses the items of `{…}` from just after the brace; returns the index after `}`.
fn parse_group(
    tokens: &[(Token, usize)],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<WrittenPath>,
) -> usize {
    while let Some((token, _)) = tokens.get(i) {
        match token {
            Token::Close => return i + 1,
            Token::Comma => i += 1,
            Token::Ident(_) | Token::Open | Token::Star => {
                i = parse_tree(tokens, i, prefix, out);
                // Skip an `as alias` up to the next item.
                while tokens
                    .get(i)
                    .is_some_and(|t| !matches!(t.0, Token::Comma | Token::Close))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// The absolute module path a written path names, seen from `module`: `crate` is the root,
/// each `super` one level up, `self` the module itself (and, in a group, the group's prefix).
/// None when `super` climbs above the root.
fn resolve_relative(module: &Module, segments: &[String]) -> Option<Module> {
    let mut rest = segments.iter().peekable();
    let mut absolute: Module = match rest.peek().map(|s| s.as_str()) {
        Some("crate") => {
            rest.next();
            Vec::new()
        }
        _ => module.clone(),
    };
    while let Some(segment) = rest.peek() {
        match segment.as_str() {
            "super" => {
                absolute.pop()?;
            }
            "self" => {}
            _ => break,
        }
        rest.next();
    }
    absolute.extend(rest.filter(|s| *s != "self").cloned());
    Some(absolute)
}

/// The longest prefix of `path` that is a file's module; the root when none is.
fn find_longest_module(path: &Module, modules: &BTreeSet<Module>) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

/// The rank of a module's layer, higher is further up; None when it sits in no layer.
fn rank_layer(module: &Module) -> Option<usize> {
    let layer = module.first().map_or(LAYERS[0], |s| s.as_str());
    let position = LAYERS.iter().position(|l| *l == layer)?;
    Some(LAYERS.len() - 1 - position)
}

fn find_upward(import: &Import) -> Option<Violation> {
    let (from, to) = (rank_layer(&import.from)?, rank_layer(&import.to)?);
    (from < to).then(|| Violation::Upward {
        file: import.file.clone(),
        line: import.line,
        from: import.from.clone(),
        to: import.to.clone(),
        written: import.written.clone(),
    })
}

fn find_unlayered(files: &[SourceFile]) -> Vec<Violation> {
    files
        .iter()
        .filter(|f| rank_layer(&f.module).is_none())
        .map(|f| Violation::Unlayered {
            file: f.shown.clone(),
            module: f.module.clone(),
        })
        .collect()
}

/// "domain may import only error": the layers below the importing module's own.
fn describe_allowed(from: &Module) -> String {
    let layer = from.first().map_or(LAYERS[0], |s| s.as_str());
    let below: Vec<&str> = LAYERS
        .iter()
        .skip_while(|l| **l != layer)
        .skip(1)
        .copied()
        .collect();
    if below.is_empty() {
        format!("{layer} may import no lower layer")
    } else {
        format!("{layer} may import only {}", below.join(", "))
    }
}

fn name_module(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

fn name_modules(modules: &[Module]) -> String {
    let names: Vec<String> = modules.iter().map(name_module).collect();
    names.join(", ")
}

/// Every strongly connected set of more than one module, as a cycle violation.
fn find_cycles(modules: &BTreeSet<Module>, imports: &[Import]) -> Vec<Violation> {
    let nodes: Vec<&Module> = modules.iter().collect();
    let index_of: BTreeMap<&Module, usize> =
        nodes.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
    for import in imports {
        edges[index_of[&import.from]].insert(index_of[&import.to]);
    }
    let adjacency: Vec<Vec<usize>> = edges.into_iter().map(|e| e.into_iter().collect()).collect();

    let mut cycles: Vec<Violation> = find_components(&adjacency)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let members: BTreeSet<Module> = component.iter().map(|&i| nodes[i].clone()).collect();
            let edges = imports
                .iter()
                .filter(|im| members.contains(&im.from) && members.contains(&im.to))
                .cloned()
                .collect();
            Violation::Cycle {
                members: members.into_iter().collect(),
                edges,
            }
        })
        .collect();
    cycles.sort_by_key(|c| c.to_string());
    cycles
}

/// Tarjan's strongly connected components, iterative so deep import chains cannot overflow
/// the stack.
fn find_components(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = adjacency.len();
    let (mut index, mut low, mut on_stack) = (vec![UNSEEN; n], vec![0; n], vec![false; n]);
    let (mut stack, mut components, mut counter) = (Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // Each frame is a node and how many of its edges have been followed.
        let mut frames = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(frame) = frames.last_mut() {
            let v = frame.0;
            if let Some(&w) = adjacency[v].get(frame.1) {
                frame.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// The violations one per line, then the imports inside each cycle, to show where to cut it.
fn format_report(violations: &[Violation]) -> String {
    let mut report: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
    for violation in violations {
        if let Violation::Cycle { members, edges } = violation {
            report.push(format!(
                "imports inside the cycle {}:",
                name_modules(members)
            ));
            report.extend(edges.iter().map(|e| {
                format!(
                    "  {}:{}: {} -> {}",
                    e.file,
                    e.line,
                    name_module(&e.from),
                    name_module(&e.to)
                )
            }));
        }
    }
    report.join("\n")
}

#[test]
fn the_crate_imports_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let violations = check_layering(&src, ALLOW_UNLAYERED);
    assert!(
        violations.is_empty(),
        "{} layering violations in src/:\n{}",
        violations.len(),
        format_report(&violations)
    );
}

/// Writes `files` (path under `src/`, contents) to a fresh tree and checks it.
fn check_fixture(files: &[(&str, &str)], allow_unlayered: bool) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let src = dir.path().join("src");
    for (path, contents) in files {
        let path = src.join(path);
        fs::create_dir_all(path.parent().expect("a parent"))
            .expect("create the fixture's directories");
        fs::write(&path, contents).expect("write a fixture file");
    }
    check_layering(&src, allow_unlayered)
        .iter()
        .map(|v| v.to_string())
        .collect()
}

#[test]
fn a_clean_layered_tree_passes() {
    let violations = check_fixture(
        &[
            ("main.rs", "use crate::exit::run;\nfn main() { run() }\n"),
            (
                "lib.rs",
                "pub mod cli;\npub mod domain;\npub mod engine;\npub mod error;\npub mod exit;\n",
            ),
            (
                "exit.rs",
                "use crate::cli::Args;\nuse crate::error::Error;\npub fn run() {}\n",
            ),
            (
                "cli.rs",
                "pub struct Args;\npub fn go() { crate::engine::start() }\n",
            ),
            (
                "engine/mod.rs",
                "mod plan;\npub use self::plan::start;\npub struct Shared;\n",
            ),
            (
                "engine/plan.rs",
                "use super::Shared;\nuse crate::domain::thing::Thing;\npub fn start() {}\n",
            ),
            ("domain/mod.rs", "pub mod thing;\n"),
            (
                "domain/thing.rs",
                "use crate::error::Error;\npub struct Thing;\n",
            ),
            ("error.rs", "pub struct Error;\n"),
        ],
        false,
    );
    assert_eq!(violations, Vec::<String>::new());
}

#[test]
fn an_upward_import_is_reported_with_its_line() {
    let violations = check_fixture(
        &[
            (
                "domain/x.rs",
                "use crate::error::Error;\n\nuse crate::engine::y;\n",
            ),
            ("engine/y.rs", "pub fn go() {}\n"),
            ("error.rs", ""),
        ],
        false,
    );
    assert_eq!(
        violations,
        [
            "src/domain/x.rs:3: upward import of engine::y in `crate::engine::y` (domain may import only error)"
        ]
    );
}

#[test]
fn an_inline_path_is_an_import_and_lifetimes_do_not_hide_it() {
    let violations = check_fixture(
        &[
            (
                "domain/x.rs",
                "fn f<'a>(s: &'a str) -> char {\n    let c = '\"';\n    crate::engine::y::go::<u8>(s)\n}\n",
            ),
            ("engine/y.rs", ""),
        ],
        true,
    );
    assert_eq!(
        violations,
        [
            "src/domain/x.rs:3: upward import of engine::y in `crate::engine::y::go` (domain may import only error)"
        ]
    );
}

#[test]
fn each_upward_leaf_of_a_grouped_use_is_reported() {
    let violations = check_fixture(
        &[
            (
                "domain/x.rs",
                "use crate::{\n    error::Error,\n    domain::y::{self, Y as Why},\n    engine::{z::{Z}, w::*},\n    settings::s,\n};\n",
            ),
            ("domain/y.rs", ""),
            ("engine/z.rs", ""),
            ("engine/w.rs", ""),
            ("settings/s.rs", ""),
            ("error.rs", ""),
        ],
        false,
    );
    assert_eq!(
        violations,
        [
            "src/domain/x.rs:4: upward import of engine::z in `crate::engine::z::Z` (domain may import only error)",
            "src/domain/x.rs:4: upward import of engine::w in `crate::engine::w` (domain may import only error)",
            "src/domain/x.rs:5: upward import of settings::s in `crate::settings::s` (domain may import only error)",
        ]
    );
}

#[test]
fn a_two_file_cycle_is_reported() {
    let violations = check_fixture(
        &[
            ("engine/a.rs", "use super::b::B;\npub struct A;\n"),
            (
                "engine/b.rs",
                "pub struct B;\nfn f() -> crate::engine::a::A { todo!() }\n",
            ),
        ],
        false,
    );
    assert_eq!(violations, ["cycle: engine::a, engine::b"]);
}

#[test]
fn imports_in_tests_comments_and_strings_are_ignored() {
    let source = r####"// use crate::engine::y;
/// See [`crate::engine::y`].
//! crate::engine::y
/* crate::engine::y /* nested */ crate::engine::y */
const A: &str = "crate::engine::y \" crate::engine::y";
const B: &str = r#"crate::engine::y " crate::engine::y"#;
const C: &[u8] = br"crate::engine::y";
const D: char = '\'';
pub(in crate::domain) struct Hidden;

#[cfg(test)]
mod tests {
    use crate::engine::y;
}
"####;
    let violations = check_fixture(&[("domain/x.rs", source), ("engine/y.rs", "")], false);
    assert_eq!(violations, Vec::<String>::new());
}

#[test]
fn cfg_test_in_a_comment_does_not_end_the_scan() {
    let source = "// Tests sit below #[cfg(test)].\nuse crate::engine::y;\n";
    let violations = check_fixture(&[("domain/x.rs", source), ("engine/y.rs", "")], false);
    assert_eq!(
        violations,
        [
            "src/domain/x.rs:2: upward import of engine::y in `crate::engine::y` (domain may import only error)"
        ]
    );
}

#[test]
fn a_mod_rs_re_exporting_its_children_is_fine() {
    let violations = check_fixture(
        &[
            (
                "engine/mod.rs",
                "mod a;\nmod b;\npub use self::a::A;\npub use crate::engine::b::B;\npub struct Shared;\n",
            ),
            ("engine/a.rs", "use super::Shared;\npub struct A;\n"),
            (
                "engine/b.rs",
                "use crate::engine::{Shared, a::A};\npub struct B;\n",
            ),
        ],
        false,
    );
    assert_eq!(violations, Vec::<String>::new());
}

#[test]
fn a_child_importing_its_parent_is_an_import() {
    // The parent's imports of its children do not count, but the child's of its parent do:
    // `a` → `b` → `a::child` → `a` is a cycle.
    let violations = check_fixture(
        &[
            (
                "a/mod.rs",
                "mod child;\nuse crate::b::B;\npub struct Thing;\n",
            ),
            ("a/child.rs", "use super::Thing;\npub struct C;\n"),
            ("b.rs", "use crate::a::child::C;\npub struct B;\n"),
        ],
        true,
    );
    assert_eq!(violations, ["cycle: a, a::child, b"]);
}

#[test]
fn super_names_the_parent_of_the_file_module() {
    // From `domain/x.rs` and from `domain/z/mod.rs` alike, `super` is `domain`: each pair
    // below is a cycle only if `super::` resolved to the sibling.
    let violations = check_fixture(
        &[
            ("domain/x.rs", "use super::y::Y;\n"),
            ("domain/y.rs", "pub struct Y;\nuse crate::domain::x;\n"),
            (
                "domain/z/mod.rs",
                "use super::w::W;\nuse self::k::K;\nmod k;\n",
            ),
            ("domain/z/k.rs", "pub struct K;\n"),
            ("domain/w.rs", "pub struct W;\nuse crate::domain::z;\n"),
            // Two levels up from `domain::inner` is the root.
            ("domain/inner.rs", "use super::super::engine::E;\n"),
            ("engine.rs", "pub struct E;\n"),
        ],
        false,
    );
    assert_eq!(
        violations,
        [
            "src/domain/inner.rs:1: upward import of engine in `super::super::engine::E` (domain may import only error)",
            "cycle: domain::w, domain::z",
            "cycle: domain::x, domain::y",
        ]
    );
}

#[test]
fn an_unlayered_module_is_reported_unless_allowed() {
    let files = [
        ("domain/x.rs", "use crate::misc::M;\n"),
        ("misc.rs", "pub struct M;\n"),
        ("loose/a.rs", "use crate::loose::b;\n"),
        ("loose/b.rs", "use crate::loose::a;\n"),
    ];
    let layers = "main, app, exit, cli, commands, engine, settings, adapters, domain, error";
    assert_eq!(
        check_fixture(&files, false),
        [
            format!(
                "src/loose/a.rs: loose::a is not in a layer (its first segment must be one of: {layers})"
            ),
            format!(
                "src/loose/b.rs: loose::b is not in a layer (its first segment must be one of: {layers})"
            ),
            format!(
                "src/misc.rs: misc is not in a layer (its first segment must be one of: {layers})"
            ),
            "cycle: loose::a, loose::b".to_owned(),
        ]
    );
    // While unlayered modules are allowed, they are still checked for cycles.
    assert_eq!(check_fixture(&files, true), ["cycle: loose::a, loose::b"]);
}
