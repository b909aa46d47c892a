//! `claimdesk-bench extract-eval [DIR]`: precision and recall of claim extraction on labelled
//! passages (`tests/fixtures/extraction/*.json`, format in `claimdesk_core::extract::eval`), per
//! passage and overall, for claims, speakers, relay chains and stances. Runs the extractor the
//! service runs, on each passage's text, language and publication date.

use std::path::Path;

use anyhow::Context;
use claimdesk_core::extract::{
    self, Input,
    eval::{self, Count, Passage, Score},
};

fn cell(c: &Count) -> String {
    format!("{:.2} / {:.2}", c.precision(), c.recall())
}

pub fn run(dir: &Path, verbose: bool) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no labelled passage (*.json) in {}", dir.display());
    println!(
        "{:<40} {:>5} {:>13} {:>13} {:>13} {:>13}",
        "passage (precision / recall)", "lang", "claims", "speakers", "relays", "stances"
    );
    let mut total = Score::default();
    let mut by_language: std::collections::BTreeMap<String, Score> = Default::default();
    for path in &files {
        let passage: Passage = serde_json::from_str(&std::fs::read_to_string(path)?)
            .with_context(|| format!("{} is not a labelled passage", path.display()))?;
        let input = Input {
            text: passage.text.clone(),
            html: false,
            language: Some(passage.language.clone()),
            published: passage.published,
            url: None,
        };
        let extraction = extract::extract(&input).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let score = eval::score(&passage, &extraction);
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        println!(
            "{:<40} {:>5} {:>13} {:>13} {:>13} {:>13}",
            name,
            passage.language,
            cell(&score.claims),
            cell(&score.speakers),
            cell(&score.relays),
            cell(&score.stances)
        );
        if verbose {
            for miss in &score.misses {
                println!("    {miss}");
            }
        }
        by_language.entry(passage.language.clone()).or_default().add(score.clone());
        total.add(score);
    }
    println!();
    for (language, score) in by_language.iter().chain(std::iter::once((&"all".to_owned(), &total))) {
        println!(
            "{:<40} {:>5} {:>13} {:>13} {:>13} {:>13}",
            format!("{} passage(s)", if language == "all" { files.len().to_string() } else { language.clone() }),
            language,
            cell(&score.claims),
            cell(&score.speakers),
            cell(&score.relays),
            cell(&score.stances)
        );
    }
    println!(
        "\nclaims: {} proposed, {} right; {} labelled, {} found. speakers: {} proposed, {} right; {} labelled, {} found.",
        total.claims.predicted,
        total.claims.correct,
        total.claims.labelled,
        total.claims.found,
        total.speakers.predicted,
        total.speakers.correct,
        total.speakers.labelled,
        total.speakers.found
    );
    Ok(())
}
