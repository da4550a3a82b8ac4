//! `docs/ARCHITECTURE.md` stays true where a machine can tell: every workspace crate is in its
//! components table, every port trait in its ports table with the number of methods it has,
//! every engine module in its modules table, every DynamoDB key prefix in its key design (and
//! the functions and tests guides list the function crates, their routes and the corpus) —
//! and nothing listed there is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// The text of the section that starts with `heading`, up to the next `## `.
fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let start = doc
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("docs/ARCHITECTURE.md has no section {heading:?}"));
    let body = &doc[start + heading.len() + 2..];
    &body[..body.find("\n## ").unwrap_or(body.len())]
}

/// The first two cells of each table row of `text` whose first cell is `` `name` ...``.
fn rows(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().strip_prefix('|')?.split('|').collect();
            let first = cells.first()?.trim().strip_prefix('`')?;
            let name = &first[..first.find('`')?];
            Some((
                name.to_owned(),
                cells.get(1).map_or("", |c| c.trim()).to_owned(),
            ))
        })
        .collect()
}

/// The workspace members' package names.
fn crates() -> BTreeSet<String> {
    let manifest: toml_like::Members = toml_like::members(&read("Cargo.toml"));
    manifest
        .into_iter()
        .map(|member| {
            let text = read(Path::new(&member).join("Cargo.toml"));
            text.lines()
                .find_map(|l| l.trim().strip_prefix("name = "))
                .map(|n| n.trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("{member} has a package name"))
        })
        .collect()
}

/// A tiny reader of the `[workspace] members` list (the only TOML read here).
mod toml_like {
    pub type Members = Vec<String>;

    pub fn members(manifest: &str) -> Members {
        let start = manifest.find("members = [").expect("a members list") + "members = [".len();
        let list = &manifest[start..start + manifest[start..].find(']').expect("closed")];
        list.split(',')
            .map(|m| m.trim().trim_matches('"').to_owned())
            .filter(|m| !m.is_empty())
            .collect()
    }
}

/// Every `pub trait` under `shared/ports/src`, with the number of `fn`s in its body.
fn port_traits() -> BTreeMap<String, usize> {
    rust_files("shared/ports/src")
        .iter()
        .flat_map(|(_, text)| traits_in(text))
        .collect()
}

fn traits_in(source: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (at, _) in source.match_indices("pub trait ") {
        let rest = &source[at + "pub trait ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = rest.find('{') else { continue };
        let mut depth = 0;
        let mut end = open;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &rest[open..end];
        let fns = body
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                !l.starts_with("//") && (l.starts_with("fn ") || l.starts_with("async fn "))
            })
            .count();
        out.push((name, fns));
    }
    out
}

/// The modules `shared/engine/src/lib.rs` declares.
fn engine_modules() -> BTreeSet<String> {
    read("shared/engine/src/lib.rs")
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_workspace_crate_is_a_component_and_every_component_a_crate() {
    let doc = read("docs/ARCHITECTURE.md");
    let listed: BTreeSet<String> = rows(section(&doc, "## 1. Components"))
        .into_keys()
        .filter(|name| name != "fuzz/")
        .collect();
    assert_eq!(listed, crates());
}

#[test]
fn every_port_trait_is_listed_with_the_methods_it_has() {
    let doc = read("docs/ARCHITECTURE.md");
    let listed: BTreeMap<String, usize> = rows(section(&doc, "## 2. The ports"))
        .into_iter()
        .filter_map(|(name, methods)| Some((name, methods.parse().ok()?)))
        .collect();
    let traits = port_traits();
    assert!(traits.len() > 15, "{traits:?}");
    assert_eq!(
        listed, traits,
        "docs/ARCHITECTURE.md's ports table against shared/ports"
    );
    // Small ports: no trait over six methods.
    let big: Vec<_> = traits.iter().filter(|(_, n)| **n > 6).collect();
    assert!(big.is_empty(), "split these: {big:?}");
}

#[test]
fn every_engine_module_is_listed() {
    let doc = read("docs/ARCHITECTURE.md");
    let listed: BTreeSet<String> = rows(section(&doc, "## 3. Engine modules"))
        .into_keys()
        .collect();
    assert_eq!(listed, engine_modules());
}

#[test]
fn the_trait_reader_counts_methods_and_marker_traits() {
    let source = "pub trait A: Send {\n    /// doc\n    async fn a(&self);\n    fn b(&self) -> u8 {\n        1\n    }\n}\npub trait B: A {}\n";
    assert_eq!(traits_in(source), vec![("A".into(), 2), ("B".into(), 0)]);
}

/// The key prefixes (`T#`, `CAMPAIGN#`, …) and fixed sort keys (`STATS`, …) the store builds.
fn key_prefixes() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in [
        "shared/adapters/src/store/keys.rs",
        "shared/adapters/src/store/webhooks.rs",
        "shared/adapters/src/store/leads/number_calls.rs",
    ] {
        let source = read(file);
        for piece in source.split("format!(\"").skip(1) {
            let word: String = piece
                .chars()
                .take_while(|c| c.is_ascii_uppercase())
                .collect();
            if !word.is_empty() && piece[word.len()..].starts_with('#') {
                found.insert(format!("{word}#"));
            }
        }
        for line in source.lines().filter(|l| l.contains("_SK: &str = \"")) {
            let value = line.split('"').nth(1).expect("a quoted sort key");
            found.insert(value.to_owned());
        }
    }
    found
}

#[test]
fn every_key_the_store_builds_is_in_the_key_design() {
    let doc = read("docs/ARCHITECTURE.md");
    let keys = section(&doc, "## 5. DynamoDB key design");
    let prefixes = key_prefixes();
    assert!(
        prefixes.len() >= 20,
        "the reader found the keys: {prefixes:?}"
    );
    let missing: Vec<&String> = (prefixes.iter())
        .filter(|p| !keys.contains(&format!("= {p}")) && !keys.contains(&format!("`{p}")))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from section 5: {missing:?}"
    );
}

#[test]
fn the_functions_guide_lists_every_function_crate_and_provider_route() {
    let guide = read("functions/README.md");
    let listed = rows(&guide);
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(crates.len() >= 7, "{crates:?}");
    let names: BTreeSet<String> = listed.keys().cloned().collect();
    assert_eq!(
        names, crates,
        "functions/README.md rows against functions/*"
    );
    let template = read("template.yaml");
    for line in template.lines().map(str::trim) {
        if let Some(path) = line.strip_prefix("Path: /v1/call") {
            assert!(
                guide.contains(&format!("/v1/call{path}")),
                "functions/README.md misses the route /v1/call{path}"
            );
        }
    }
}

#[test]
fn the_test_guide_counts_the_import_corpus() {
    let expected = std::fs::read_dir(root().join("tests/import-corpus"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".expected.json"))
        .count();
    assert!(expected > 40, "{expected}");
    let guide = read("tests/README.md");
    assert!(
        guide.contains(&format!("bad-input corpus: {expected} files")),
        "tests/README.md should count {expected} corpus files"
    );
}

/// Every `.rs` file under `dir`, relative to the workspace root.
fn rust_files(dir: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![root().join(dir)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root()).unwrap().display().to_string();
                files.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files
}

#[test]
fn function_libraries_reach_the_store_only_through_ports() {
    // Only a function's `main.rs` (its wiring) names the concrete store; its library takes the
    // repositories as bounds, so each handler can be tested against any implementation.
    let named: Vec<String> = rust_files("functions")
        .into_iter()
        .filter(|(path, text)| {
            path.contains("/src/")
                && !path.ends_with("/src/main.rs")
                && text.contains("DynamoStore")
        })
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        named,
        Vec::<String>::new(),
        "name DynamoStore outside main.rs"
    );
}

#[test]
fn function_libraries_build_no_aws_clients() {
    // Every function library reaches AWS through ports: SDK clients are built in `main.rs`
    // (and in the wiring crate) only.
    let known: BTreeSet<&str> = BTreeSet::new();
    let using: BTreeSet<String> = rust_files("functions")
        .into_iter()
        .filter(|(path, text)| {
            path.contains("/src/") && !path.ends_with("/src/main.rs") && text.contains("aws_sdk_")
        })
        .map(|(path, _)| path)
        .collect();
    let unknown: Vec<&String> = using
        .iter()
        .filter(|p| !known.contains(p.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "new raw AWS clients in function libraries: {unknown:?}"
    );
}
