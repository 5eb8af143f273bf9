//! The crate's modules import one another in one direction only: a check
//! over the sources in `src/` that fails on any cycle among file-level
//! modules.
//!
//! An edge runs from a file to the file of every module it names through
//! `use crate::…`, a `crate::…` path in code, `super::…`, or a path through
//! one of its own child modules (`seed::routes()` in `api/mod.rs`), in a
//! `use` or in code. Two things are not edges: a parent declaring and
//! re-exporting its children (`mod reply;`, `pub use reply::Reply;`), which
//! is how a module presents its parts; and a module naming its own ancestors
//! (`super::Store` in `store/reads`), which enclose it.
//! Comments (doc comments and their links included) and string literals are
//! not code and are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// A module path below the crate root: `["api", "v1", "reply"]`; the root
/// (`lib.rs`) is the empty path.
type ModulePath = Vec<String>;

/// Module → the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn the_crate_has_no_module_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_sources(&src);
    let graph = import_graph(&files);
    assert!(
        graph.len() > 50,
        "only {} modules found under {}",
        graph.len(),
        src.display()
    );
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "{} module cycle(s) among crate:: imports:\n{}",
        cycles.len(),
        describe(&graph, &cycles)
    );
}

#[test]
fn the_two_http_surfaces_do_not_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = import_graph(&read_sources(&src));
    let crossings: Vec<String> = graph
        .iter()
        .flat_map(|(from, targets)| targets.iter().map(move |to| (from, to)))
        .filter(|(from, to)| {
            let surface = |module: &str| {
                ["api::seed", "api::v1"]
                    .into_iter()
                    .find(|base| module == *base || module.starts_with(&format!("{base}::")))
            };
            matches!((surface(from), surface(to)), (Some(a), Some(b)) if a != b)
        })
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(
        crossings.is_empty(),
        "/api and /v1 share only what lies below them: {crossings:?}"
    );
}

#[test]
fn a_planted_cycle_is_found() {
    let graph = graph_of(&[
        ("api", &["api::v1", "usecases"]),
        ("api::v1", &["api::seed", "usecases"]),
        ("api::seed", &["api", "domain"]),
        ("usecases", &["domain"]),
        ("domain", &[]),
        ("store::reads", &["store::writes"]),
        ("store::writes", &["store::reads"]),
    ]);
    let found = cycles(&graph);
    assert_eq!(
        found,
        vec![
            set(&["api", "api::seed", "api::v1"]),
            set(&["store::reads", "store::writes"])
        ]
    );
    let text = describe(&graph, &found);
    assert!(
        text.contains("api -> api::v1 -> api::seed -> api"),
        "{text}"
    );
}

#[test]
fn a_graph_without_cycles_passes() {
    let graph = graph_of(&[
        ("service", &["api", "store"]),
        ("api", &["usecases"]),
        ("store", &["usecases", "domain"]),
        ("usecases", &["domain"]),
        ("domain", &[]),
    ]);
    assert!(cycles(&graph).is_empty());
}

#[test]
fn imports_are_read_from_use_trees_paths_and_super() {
    let files = vec![
        (
            module(&["api", "v1", "shows"]),
            "//! Shows; see [`crate::service`] (a doc link, not an import).\n\
             use crate::{domain::{ids::ShowId, rules}, usecases::Bookings as B};\n\
             use super::reply::{self, Reply};\n\
             use rocket::get;\n\
             fn f() -> crate::api::error::Error { let _ = \"crate::config\"; \
             super::super::seed::x(); todo!() }\n\
             #[cfg(test)] mod tests { use super::*; use crate::store::Store; }\n"
                .to_owned(),
        ),
        (module(&["api", "v1", "reply"]), String::new()),
        (module(&["api", "v1"]), String::new()),
        (module(&["api", "error"]), String::new()),
        (module(&["api", "seed"]), String::new()),
        (module(&["api"]), String::new()),
        (module(&["domain", "ids"]), String::new()),
        (module(&["domain", "rules"]), String::new()),
        (module(&["domain"]), String::new()),
        (module(&["usecases"]), String::new()),
        (module(&["store"]), String::new()),
        (module(&["service"]), String::new()),
        (module(&["config"]), String::new()),
    ];
    let graph = import_graph(&files);
    assert_eq!(
        graph["api::v1::shows"],
        set(&[
            "api::error",
            "api::seed",
            "api::v1::reply",
            "domain::ids",
            "domain::rules",
            "store",
            "usecases",
        ])
    );
}

#[test]
fn two_files_that_import_each_other_are_a_cycle() {
    let files = vec![
        (
            module(&["domain", "rules"]),
            "use super::sales::Sale;".to_owned(),
        ),
        (
            module(&["domain", "sales"]),
            "pub fn f() { crate::domain::rules::check(); }".to_owned(),
        ),
        (module(&["domain"]), String::new()),
    ];
    let graph = import_graph(&files);
    assert_eq!(
        cycles(&graph),
        vec![set(&["domain::rules", "domain::sales"])]
    );
}

/// Every `.rs` file under `src` as (its module path, its text); `main.rs` is
/// the binary's crate and not part of the library.
fn read_sources(src: &Path) -> Vec<(ModulePath, String)> {
    let mut files = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/") {
            let path = entry.expect("read src/").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src/");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().expect("a file name");
            match file.as_str() {
                "main.rs" if parts.is_empty() => continue,
                "lib.rs" if parts.is_empty() => {}
                "mod.rs" => {}
                _ => parts.push(file.trim_end_matches(".rs").to_owned()),
            }
            let text = std::fs::read_to_string(&path).expect("read a source file");
            files.push((parts, text));
        }
    }
    files
}

/// The import graph of the given files, over their module names.
fn import_graph(files: &[(ModulePath, String)]) -> Graph {
    let modules: BTreeSet<&ModulePath> = files.iter().map(|(module, _)| module).collect();
    let mut graph = Graph::new();
    for (module, text) in files {
        let from = name(module);
        let targets = graph.entry(from.clone()).or_default();
        for path in imported_paths(module, text) {
            let to = file_module(&modules, &path);
            // A module's own file, and its ancestors', enclose it: reaching
            // up into them is being inside them, not depending on them.
            if !module.starts_with(to) {
                targets.insert(name(to));
            }
        }
    }
    graph
}

/// The longest prefix of `path` that is a file's module (the root at worst).
fn file_module<'a>(modules: &BTreeSet<&'a ModulePath>, path: &[String]) -> &'a ModulePath {
    (0..=path.len())
        .rev()
        .find_map(|length| modules.get(&path[..length].to_vec()).copied())
        .expect("the crate root is a module")
}

fn name(module: &ModulePath) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// A token of Rust code, as far as imports need one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// The absolute module paths a file names through `crate::` and `super::`,
/// resolved from the module the file (or an inline module in it) is.
fn imported_paths(module: &ModulePath, text: &str) -> Vec<ModulePath> {
    let tokens = tokens(text);
    let children: BTreeSet<&str> = tokens
        .windows(3)
        .filter_map(|window| match window {
            [Token::Ident(word), Token::Ident(child), Token::Punct(';')] if word == "mod" => {
                Some(child.as_str())
            }
            _ => None,
        })
        .collect();
    let mut paths = Vec::new();
    // Inline modules (`mod tests { … }`) open below the file's module.
    let mut scope = module.clone();
    let mut inline_opened_at: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut pending_inline = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(inner)), Some(Token::Punct('{'))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    scope.push(inner.clone());
                    pending_inline = true;
                    i += 2;
                    continue;
                }
            }
            Token::Ident(word) if word == "use" => {
                let public = is_public(&tokens[..i]);
                let end = tokens[i..]
                    .iter()
                    .position(|token| *token == Token::Punct(';'))
                    .map_or(tokens.len(), |offset| i + offset);
                let mut trees = Vec::new();
                expand_use_tree(&tokens[i + 1..end], &[], &mut trees);
                let own = (scope == *module && !public).then_some(&children);
                paths.extend(trees.iter().filter_map(|path| absolute(&scope, own, path)));
                i = end;
                continue;
            }
            Token::Ident(word)
                if (word == "crate"
                    || word == "super"
                    || (scope == *module && children.contains(word.as_str())))
                    && tokens.get(i + 1) == Some(&Token::PathSep)
                    && !(i > 0 && matches!(tokens[i - 1], Token::Punct('$') | Token::PathSep)) =>
            {
                let mut path = vec![word.clone()];
                let mut j = i + 1;
                while tokens.get(j) == Some(&Token::PathSep) {
                    match tokens.get(j + 1) {
                        Some(Token::Ident(segment)) => path.push(segment.clone()),
                        _ => break,
                    }
                    j += 2;
                }
                paths.extend(absolute(&scope, Some(&children), &path));
                i = j;
                continue;
            }
            Token::Punct('{') => {
                depth += 1;
                if pending_inline {
                    inline_opened_at.push(depth);
                    pending_inline = false;
                }
            }
            Token::Punct('}') => {
                if inline_opened_at.last() == Some(&depth) {
                    inline_opened_at.pop();
                    scope.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    paths
}

/// Whether the item that ends `before` is `pub`, `pub(crate)` or the like.
fn is_public(before: &[Token]) -> bool {
    match before {
        [.., Token::Ident(word)]
        | [.., Token::Ident(word), Token::Punct('('), _, Token::Punct(')')] => word == "pub",
        _ => false,
    }
}

/// `crate::a::b` → `[a, b]`; `super::c` from `x::y` → `[x, c]`; `self::d`
/// or `d` from `x` with a child `d` → `[x, d]`; anything else (another
/// crate, a name in scope) is not an import between this crate's modules.
fn absolute(
    scope: &ModulePath,
    children: Option<&BTreeSet<&str>>,
    path: &[String],
) -> Option<ModulePath> {
    let first = path.first().map(String::as_str);
    if let (Some(children), Some(first)) = (children, first) {
        if children.contains(first) {
            let mut base = scope.clone();
            base.extend(path.iter().cloned());
            return Some(base);
        }
    }
    match first {
        Some("crate") => Some(path[1..].to_vec()),
        Some("super") => {
            let mut base = scope.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
            if rest.first().map(String::as_str) == Some("self") {
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            Some(base)
        }
        Some("self") if path.len() > 1 => absolute(scope, children, &path[1..]),
        _ => None,
    }
}

/// Every path a use tree names (`a::{b, c::{d, e}}` → `a::b`, `a::c::d`,
/// `a::c::e`), without `as` renames, globs or `self` at the end.
fn expand_use_tree(tokens: &[Token], prefix: &[String], out: &mut Vec<Vec<String>>) {
    for branch in split_top_level(tokens) {
        let mut path = prefix.to_vec();
        let mut i = 0;
        let mut grouped = false;
        while i < branch.len() {
            match &branch[i] {
                Token::Ident(word) if word == "as" => break,
                Token::Ident(word) if word == "self" && !path.is_empty() => {}
                Token::Ident(word) => path.push(word.clone()),
                Token::Punct('{') => {
                    let close = matching_brace(branch, i);
                    expand_use_tree(&branch[i + 1..close], &path, out);
                    grouped = true;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        if !grouped && !path.is_empty() {
            out.push(path);
        }
    }
}

/// `tokens` split at the commas outside braces.
fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => depth = depth.saturating_sub(1),
            Token::Punct(',') if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The code of `text` as tokens, with comments and string, byte-string and
/// character literals left out.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&chars, i) {
            i = end;
        } else if c == '"' || (c == 'b' && next == Some('"')) {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' || (c == 'b' && next == Some('\'')) {
            let start = if c == 'b' { i + 1 } else { i };
            if chars.get(start + 1) == Some(&'\\') {
                i = start + 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(start + 2) == Some(&'\'') {
                i = start + 3;
            } else {
                // A lifetime or a label.
                tokens.push(Token::Punct('\''));
                i = start + 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(Token::Ident(word.trim_start_matches("r#").to_owned()));
        } else if c == ':' && next == Some(':') {
            tokens.push(Token::PathSep);
            i += 2;
        } else if c.is_whitespace() || c.is_numeric() {
            i += 1;
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br#"…"#`) starting at `i` ends.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r')
        || (i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
    {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The strongly connected components of more than one module (Tarjan's
/// algorithm), each as its set of modules, in name order.
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Search<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'g> Search<'g> {
        fn visit(&mut self, node: &'g str) {
            let index = self.index.len();
            self.index.insert(node, index);
            self.low.insert(node, index);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = BTreeSet::new();
                loop {
                    let member = self.stack.pop().expect("on the stack");
                    self.on_stack.remove(member);
                    component.insert(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    search.found.sort();
    search.found
}

/// Each cycle's modules and one loop through them, shortest first found.
fn describe(graph: &Graph, cycles: &[BTreeSet<String>]) -> String {
    let mut text = String::new();
    for component in cycles {
        let start = component.first().expect("a cycle has members");
        let members: Vec<&str> = component.iter().map(String::as_str).collect();
        let _ = writeln!(text, "- {} modules: {}", members.len(), members.join(", "));
        if let Some(path) = shortest_loop(graph, component, start) {
            let _ = writeln!(text, "  e.g. {}", path.join(" -> "));
        }
    }
    text
}

/// The shortest walk from `start` back to itself inside `component`.
fn shortest_loop(graph: &Graph, component: &BTreeSet<String>, start: &str) -> Option<Vec<String>> {
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten() {
            if !component.contains(next) {
                continue;
            }
            if next == start {
                let mut inner = Vec::new();
                let mut at = node;
                while at != start {
                    inner.push(at.to_owned());
                    at = previous[at];
                }
                inner.reverse();
                let mut path = vec![start.to_owned()];
                path.extend(inner);
                path.push(start.to_owned());
                return Some(path);
            }
            if !previous.contains_key(next.as_str()) && next != start {
                previous.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

fn module(parts: &[&str]) -> ModulePath {
    parts.iter().map(|part| (*part).to_owned()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn graph_of(edges: &[(&str, &[&str])]) -> Graph {
    edges
        .iter()
        .map(|(from, to)| ((*from).to_owned(), set(to)))
        .collect()
}
