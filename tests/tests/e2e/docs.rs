//! The documents a newcomer reads name files of this repository: every one of them exists.

use std::path::Path;

/// Top folders of the repository: a word starting with one of them names a repository path.
const TOP: [&str; 12] = [
    "api/",
    "core/",
    "proto/",
    "tests/",
    "bench/",
    "migrations/",
    "openapi/",
    "docs/",
    "examples/",
    "src/",
    ".ci/",
    "shared/",
];

/// The repository paths named in `text`: words (split at spaces, backticks, quotes and brackets)
/// that start with a top folder, trailing punctuation removed; patterns and placeholders left out.
fn named_paths(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "`'\"()[]<>|,;".contains(c))
        .map(|w| w.trim_end_matches(['.', ':']))
        .filter(|w| TOP.iter().any(|top| w.starts_with(top)))
        .filter(|w| !w.contains(['{', '}', '$', '*', '…']) && !w.contains("..."))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_repository_path_named_in_readme_and_architecture_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing = Vec::new();
    let mut named = 0;
    for doc in ["README.md", "ARCHITECTURE.md"] {
        let text = std::fs::read_to_string(root.join(doc)).expect("document read");
        for path in named_paths(&text) {
            named += 1;
            // A path with a line number or a Rust item after it ("core/src/x.rs:10").
            let file = path.split([':', '#']).next().unwrap_or(&path);
            if !root.join(file).exists() {
                missing.push(format!("{doc}: {path}"));
            }
        }
    }
    assert!(named > 20, "only {named} paths found: the parser missed them");
    assert!(missing.is_empty(), "named but not in the repository:\n{}", missing.join("\n"));
}

#[test]
fn paths_are_found_in_prose_and_code() {
    let text = "see `core/src/domain/text.rs`, (tests/fixtures/a.txt). And api/src/{x}.rs or `bench/*.py`";
    assert_eq!(named_paths(text), ["core/src/domain/text.rs", "tests/fixtures/a.txt"]);
}
