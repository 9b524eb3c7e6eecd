//! The layering check: top-level modules of `src/` import one way only, down the ranks below,
//! so each layer can be read (and changed) without the ones above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's rank. A module may import only modules of a lower rank; two
/// modules of one rank (`db` and `connectors`) meet through a lower one (`domain`).
const RANKS: &[(&str, u8)] = &[
    ("domain", 0),
    ("measure", 1),
    ("views", 2),
    ("config", 2),
    ("secrets", 2),
    ("records", 2),
    ("db", 3),
    ("connectors", 3),
    ("sim", 3),
    ("telemetry", 3),
    ("actors", 4),
    ("error", 5),
    ("http", 6),
    ("console", 7),
    ("application", 8),
    ("sandbox", 9),
    ("bench", 10),
    ("demo", 10),
];

/// Names at the crate root that are not modules: re-exports and exported macros.
fn module_of(name: &str) -> Option<&str> {
    match name {
        "Application" => Some("application"),
        "per_backend" | "upsert_rows" => Some("db"),
        other => RANKS.iter().find(|(m, _)| *m == other).map(|(m, _)| *m),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::x` a file names, as top-level module names (grouped `crate::{a, b}` too).
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                found.insert(name);
            }
        } else {
            found.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    found
}

#[test]
fn modules_import_down_the_layers_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let rank = |m: &str| RANKS.iter().find(|(name, _)| *name == m).map(|(_, r)| *r);
    let mut upward: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unranked = BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let top = relative.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_string();
        if matches!(top.as_str(), "lib" | "main") {
            continue;
        }
        let Some(own) = rank(&top) else {
            unranked.insert(top);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a source file is readable");
        for name in imports(&text) {
            let Some(target) = module_of(&name) else { continue };
            if target != top && rank(target).is_some_and(|r| r >= own) {
                upward.entry(format!("{top} -> {target}")).or_default().push(relative.clone());
            }
        }
    }
    assert!(unranked.is_empty(), "top-level modules without a rank in tests/api/layers.rs: {unranked:?}");
    assert!(upward.is_empty(), "imports against the layers (a module may import only lower ranks): {upward:#?}");
}

#[test]
fn the_check_sees_grouped_and_plain_imports() {
    let found = imports("use crate::{db, domain::order};\nlet x = crate::http::time(1);");
    assert_eq!(found, BTreeSet::from(["db".to_string(), "domain".to_string(), "http".to_string()]));
}
