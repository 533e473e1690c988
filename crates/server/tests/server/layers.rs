//! The server's layers, read from its source: `flows/` and `store/` know no HTTP (neither
//! `crate::http` nor axum), `store/` does not call up into `crate::flows`, and no two of the
//! crate's top-level modules reach each other in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its path relative to `src/`.
fn sources(src: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(src, &path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
            files.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The code of a file without its comments (a comment may name anything).
fn code_of(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules `code` names through `crate::` (`crate::x::…`, `crate::{x, y::…}`).
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or("").trim();
                if !first.is_empty() {
                    named.insert(first.to_string());
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                named.insert(name);
            }
        }
    }
    named
}

/// The top-level module a file under `src/` belongs to (`flows/pin.rs` → `flows`), or `None`
/// for the crate's root files.
fn top_level(relative: &str) -> Option<String> {
    let first = relative.split('/').next()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(module, "lib" | "main")).then(|| module.to_string())
}

/// The problems the rules find in `files` (each file's path under `src/` and its text).
fn check(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let code = &code_of(text);
        let names = crate_paths(code);
        let lower = path.starts_with("flows/") || path.starts_with("store/");
        if lower && (names.contains("http") || code.contains("axum")) {
            problems.push(format!("{path} knows HTTP (crate::http or axum)"));
        }
        if path.starts_with("store/") && names.contains("flows") {
            problems.push(format!("{path} calls up into crate::flows"));
        }
        if let Some(module) = top_level(path) {
            let targets = edges.entry(module.clone()).or_default();
            targets.extend(names.into_iter().filter(|name| *name != module));
        }
    }
    // A cycle: a module that reaches itself again.
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((module, path)) = stack.pop() {
            for next in edges.get(&module).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    cycle.push(next.clone());
                    problems.push(format!("import cycle: {}", cycle.join(" → ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[test]
fn flows_and_store_know_no_http_and_no_top_level_modules_form_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    assert!(files.iter().any(|(path, _)| path == "flows/movement.rs"), "the tree is where it should be");
    let problems = check(&files);
    assert!(problems.is_empty(), "the server's layers are broken:\n{}", problems.join("\n"));
}

#[test]
fn the_check_finds_each_kind_of_back_edge() {
    let file = |path: &str, code: &str| (path.to_string(), code.to_string());
    let clean = vec![
        file("http/mod.rs", "use axum::Router;\nuse crate::flows::Flows;"),
        file("flows/mod.rs", "use crate::store::{Db, people::UserRow};\nuse crate::time::Time;"),
        file("store/mod.rs", "use crate::{ids::PersonId, time::Time};"),
        file("time.rs", "// crate::http is only named in a comment"),
    ];
    assert_eq!(check(&clean), Vec::<String>::new());

    let mut http_in_flows = clean.clone();
    http_in_flows.push(file("flows/pin.rs", "use crate::http::ApiError;"));
    let mut axum_in_store = clean.clone();
    axum_in_store.push(file("store/reader.rs", "fn f() -> axum::response::Response { todo!() }"));
    let mut flows_in_store = clean.clone();
    flows_in_store.push(file("store/payments.rs", "use crate::{flows::FlowError};"));
    let mut cycle = clean.clone();
    cycle.push(file("time.rs", "use crate::http::AppState;"));
    for (broken, expected) in [
        (http_in_flows, "flows/pin.rs knows HTTP"),
        (axum_in_store, "store/reader.rs knows HTTP"),
        (flows_in_store, "store/payments.rs calls up into crate::flows"),
        (cycle, "import cycle: "),
    ] {
        let problems = check(&broken);
        assert!(problems.iter().any(|problem| problem.starts_with(expected)), "{expected}: {problems:?}");
    }
}
