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

/// The part of `script` between its walk-through markers.
fn walkthrough_body(script: &str) -> Option<&str> {
    let begin = "# --- walk-through (the README shows what follows, up to the closing marker) ---\n";
    let (_, rest) = script.split_once(begin)?;
    let (body, _) = rest.split_once("# --- end of the walk-through ---\n")?;
    Some(body)
}

/// The code block that follows the README's walk-through comment.
fn readme_walkthrough(readme: &str) -> Option<&str> {
    let (_, rest) = readme.split_once("<!-- walkthrough: examples/walkthrough.sh")?;
    let (_, rest) = rest.split_once("```sh\n")?;
    let (block, _) = rest.split_once("```\n")?;
    Some(block)
}

#[test]
fn the_readme_shows_the_walkthrough_script_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = std::fs::read_to_string(root.join("examples/walkthrough.sh")).expect("script read");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README read");
    let body = walkthrough_body(&script).expect("examples/walkthrough.sh has its two markers");
    let shown = readme_walkthrough(&readme).expect("README.md has the walk-through block");
    assert!(body.lines().filter(|l| l.starts_with("#> ")).count() > 10, "the outputs are shown");
    if shown != body {
        let first = shown.lines().zip(body.lines()).position(|(a, b)| a != b);
        panic!(
            "README.md's walk-through differs from examples/walkthrough.sh (first at block line {:?}); \
             copy the script's part between its markers into the README",
            first.map(|i| i + 1)
        );
    }
}
