//! A synthetic newsroom corpus for the search benchmark, and its bulk loader.
//!
//! Claims in French and English (half each) with a news-like vocabulary: function words, a few
//! hundred common news words, and a long tail of names and rare words (tens of thousands per
//! language), drawn from a Zipf distribution as words are in real text; 10 to 45 words
//! (about 60 to 320 characters), 40 % with a context sentence. Deterministic for a seed.
//!
//! `load-claims` writes them straight into the database in large transactions, indexed for
//! search exactly as core indexes a claim (the same analysis, the same tables and keys), so
//! that a million claims load in minutes instead of the hours the API would take; and writes
//! the queries the benchmark runs: search queries made of words of stored claims, and
//! similar-claim texts made by rewording stored claims.

use std::collections::HashMap;

use anyhow::Context;
use claimdesk_core::{
    domain::{Change, ClaimInput, ClaimSnapshot, Event, text},
    storage::{self, Database, DatabaseConfig, claims, events, search},
};

const FR_FUNCTION: &[&str] = &[
    "le", "la", "les", "de", "des", "du", "un", "une", "et", "à", "en", "dans", "pour", "sur", "par", "avec", "que",
    "qui", "a", "est", "sont", "ont", "au", "aux", "ce", "cette", "ses", "son", "leur", "plus", "pas", "ne", "selon",
];
const EN_FUNCTION: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "for", "on", "that", "is", "was", "with", "by", "as", "at", "from", "has",
    "have", "are", "its", "their", "this", "it", "be", "will", "not", "an", "said", "over", "after",
];
const FR_COMMON: &str = "gouvernement président ministre pays guerre armée militaire sécurité attaque frappe \
    navire navires sous-marin défense défenses aide soutien accord partenariat stratégique visite contacts \
    informations démenti démentis rapport rapports journalistes sources administration présidence porte-parole \
    agence presse région frontière élection élections vote résultats économie inflation prix hausse baisse \
    millions milliards euros dollars emplois chômage entreprises usine énergie pétrole gaz électricité climat \
    réchauffement température record sécheresse inondations incendie forêt santé hôpital vaccin vaccins virus \
    épidémie pandémie malades décès victimes police enquête justice tribunal procès condamné prison arrestation \
    manifestation manifestants grève syndicats réforme retraites loi projet assemblée sénat députés opposition \
    majorité parti campagne candidat sondage électeurs immigration migrants réfugiés asile école écoles élèves \
    enseignants université étudiants logement loyers impôts taxe budget dette déficit banque marchés bourse \
    commerce exportations importations sanctions embargo diplomatie ambassade sommet négociations paix cessez-le-feu \
    offensive bombardement bombarder renforcer renforcent renforcement déployer déploiement menace menaces \
    tentatives renverser dénoncé affirmé déclaré annoncé révélé confirmé démenti assuré estimé souligné admis \
    préparaient envisagent publiés indiquent craindre moment semaine jours mois année dernier prochain hier \
    dimanche lundi mardi mercredi jeudi vendredi samedi mai juin juillet octobre novembre décembre européen \
    européenne américain américaines russe chinois iranien vénézuélien français allemande britannique";
const EN_COMMON: &str = "government president minister country war army military security attack strike ship \
    ships submarine defense defenses aid support agreement partnership strategic visit contacts reports report \
    journalists sources administration spokesman agency press region border election elections vote results \
    economy inflation prices rise fall millions billions dollars jobs unemployment companies factory energy oil \
    gas electricity climate warming temperature record drought floods fire forest health hospital vaccine \
    vaccines virus epidemic pandemic patients deaths victims police investigation justice court trial convicted \
    prison arrest protest protesters strike unions reform pensions law bill congress senate lawmakers opposition \
    majority party campaign candidate poll voters immigration migrants refugees asylum school schools students \
    teachers university housing rents taxes tax budget debt deficit bank markets stocks trade exports imports \
    sanctions embargo diplomacy embassy summit negotiations peace ceasefire offensive bombing bomb deploying \
    deployment deployed threat threats attempts overthrow denounced claimed stated announced revealed confirmed \
    denied insisted estimated stressed admitted preparing considering published indicate fears moment week days \
    month year last next yesterday sunday monday tuesday wednesday thursday friday saturday may june july october \
    november december european american russian chinese iranian venezuelan french german british";

const FR_SYLLABLES: &[&str] = &[
    "ba", "be", "bou", "ca", "cha", "co", "da", "de", "du", "fa", "fi", "ga", "gi", "la", "le", "lou", "ma", "me",
    "mi", "na", "ni", "no", "pa", "pe", "pi", "ra", "re", "ri", "sa", "se", "si", "ta", "te", "ti", "va", "vi", "ron",
    "lin", "tan", "mon", "sin", "ville", "court", "mont", "eau", "ier",
];
const EN_SYLLABLES: &[&str] = &[
    "ba", "ber", "bo", "ca", "car", "co", "da", "den", "do", "fa", "fer", "ga", "gor", "ha", "har", "ja", "ka", "la",
    "ler", "lo", "ma", "mar", "mo", "na", "nor", "pa", "per", "ra", "ro", "sa", "son", "ta", "ter", "to", "va", "win",
    "ton", "ley", "field", "wood", "ford", "ham", "ing", "ers",
];

/// Words of a language with their Zipf weights, and how to draw them.
struct Language {
    code: &'static str,
    function: &'static [&'static str],
    words: Vec<String>,
    /// Cumulative Zipf weights of `words`.
    cumulative: Vec<f64>,
}

impl Language {
    fn new(
        code: &'static str,
        function: &'static [&'static str],
        common: &str,
        syllables: &[&str],
        rng: &mut fastrand::Rng,
    ) -> Self {
        let mut words: Vec<String> = common.split_whitespace().map(str::to_owned).collect();
        // The long tail: names and rare words, 2 to 4 syllables.
        let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
        while words.len() < 60_000 {
            let n = rng.usize(2..=4);
            let word: String = (0..n).map(|_| syllables[rng.usize(..syllables.len())]).collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.05);
                total
            })
            .collect();
        Language { code, function, words, cumulative }
    }

    fn content_word(&self, rng: &mut fastrand::Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.f64() * total;
        let i = self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1);
        &self.words[i]
    }

    fn sentence(&self, rng: &mut fastrand::Rng, words: usize) -> String {
        let mut out: Vec<String> = Vec::with_capacity(words);
        for i in 0..words {
            let word = if i > 0 && rng.f64() < 0.4 {
                self.function[rng.usize(..self.function.len())].to_owned()
            } else {
                self.content_word(rng).to_owned()
            };
            out.push(word);
        }
        let mut sentence = out.join(" ");
        if let Some(first) = sentence.get(..1) {
            sentence = first.to_uppercase() + &sentence[1..];
        }
        if rng.f64() < 0.3 {
            let n = rng.u32(2..500);
            sentence.push_str(&format!(" {n}"));
        }
        sentence
    }
}

/// Generates claims, the same ones for the same seed.
pub struct Corpus {
    rng: fastrand::Rng,
    languages: [Language; 2],
}

pub struct Generated {
    pub text: String,
    pub language: &'static str,
    pub context: Option<String>,
}

impl Corpus {
    pub fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let fr = Language::new("fr", FR_FUNCTION, FR_COMMON, FR_SYLLABLES, &mut rng);
        let en = Language::new("en", EN_FUNCTION, EN_COMMON, EN_SYLLABLES, &mut rng);
        Corpus { rng, languages: [fr, en] }
    }

    pub fn claim(&mut self) -> Generated {
        let language = &self.languages[self.rng.usize(..2)];
        let words = self.rng.usize(10..=45);
        let text = language.sentence(&mut self.rng, words);
        let context = (self.rng.f64() < 0.4).then(|| {
            let words = self.rng.usize(8..=20);
            language.sentence(&mut self.rng, words)
        });
        Generated { text, language: language.code, context }
    }

    /// A search query of 1 to 3 content words of `claim` (what an editor remembers of it).
    pub fn search_query(&mut self, claim: &Generated) -> Option<String> {
        let language = self.languages.iter().find(|l| l.code == claim.language)?;
        let content: Vec<&str> =
            claim.text.split_whitespace().filter(|w| !language.function.contains(&w.to_lowercase().as_str())).collect();
        if content.is_empty() {
            return None;
        }
        let n = self.rng.usize(1..=3).min(content.len());
        let start = self.rng.usize(..=content.len() - n);
        Some(content[start..start + n].join(" "))
    }

    /// `claim` reworded: a fifth of its words replaced, a few dropped.
    pub fn reworded(&mut self, claim: &Generated) -> String {
        let language = &self.languages[usize::from(claim.language == "en")];
        let rng = &mut self.rng;
        let mut out = Vec::new();
        for word in claim.text.split_whitespace() {
            let roll = rng.f64();
            if roll < 0.1 {
                continue;
            }
            out.push(if roll < 0.3 { language.content_word(rng).to_owned() } else { word.to_owned() });
        }
        out.join(" ")
    }
}

/// Loads `count` generated claims into the database at `url` (migrating it first), indexed for
/// search; writes `queries` search queries and as many similar-claim texts to `queries_path`
/// (JSON lines `{"kind": "search"|"similar", "text", "language"}`).
pub async fn load_claims(url: &str, count: usize, seed: u64, queries: usize, queries_path: &str) -> anyhow::Result<()> {
    let config = DatabaseConfig {
        url: url.to_owned(),
        // One SQLite connection: the one given the large page cache.
        pool_size: if url.starts_with("sqlite") { 1 } else { 2 },
        connect_timeout: std::time::Duration::from_secs(10),
        busy_timeout: DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
    };
    let db = Database::open(&config).await.context("database opens")?;
    let sqlite = url.starts_with("sqlite");
    let secondary = drop_posting_indexes(&db, sqlite).await?;
    let mut corpus = Corpus::new(seed);
    let mut out = Vec::new();
    let every = (count / queries.max(1)).max(1);
    // Statistics are added up here and written once at the end, by shard.
    let mut stats: HashMap<(i32, String), i64> = HashMap::new();
    let started = std::time::Instant::now();
    let batch = 2000;
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let mut rows = Vec::with_capacity(n);
        for i in 0..n {
            let generated = corpus.claim();
            if (done + i) % every == 0 && out.len() < queries * 2 {
                if let Some(q) = corpus.search_query(&generated) {
                    out.push(serde_json::json!({"kind": "search", "text": q, "language": generated.language}));
                }
                let similar = corpus.reworded(&generated);
                out.push(serde_json::json!({"kind": "similar", "text": similar, "language": generated.language}));
            }
            rows.push(generated);
        }
        let deltas = db
            .run(move |conn| {
                storage::write(conn, |conn| {
                    let mut deltas: Vec<((i32, String), i64)> = Vec::new();
                    let mut postings: Vec<Vec<search::Bind>> = Vec::new();
                    let mut docs: Vec<Vec<search::Bind>> = Vec::new();
                    for generated in &rows {
                        let input = ClaimInput {
                            text: generated.text.clone(),
                            language: generated.language.to_owned(),
                            context: generated.context.clone(),
                            ..ClaimInput::default()
                        };
                        let claim = input.into_new_claim(chrono::Utc::now())?.0;
                        claims::insert(conn, &claim)?;
                        events::append(
                            conn,
                            &Event {
                                claim_id: claim.id,
                                version: 1,
                                actor: "bench".into(),
                                at: claim.created_at,
                                change: Change::Created { claim: ClaimSnapshot::of(&claim) },
                            },
                        )?;
                        let shard = search::shard(claim.id);
                        let id = claim.id.to_string();
                        let mut terms: HashMap<String, i32> = HashMap::new();
                        let mut len = 0;
                        for part in std::iter::once(&claim.text).chain(claim.context.iter()) {
                            for term in text::terms(part, &claim.language) {
                                *terms.entry(term).or_insert(0) += 1;
                                len += 1;
                            }
                        }
                        let sim_text = text::similarity_text(&claim.text, claim.context.as_deref());
                        for (term, tf) in &terms {
                            postings.push(vec![
                                search::Bind::Text(search::word_key(term)),
                                search::Bind::Text(id.clone()),
                                search::Bind::Int(*tf),
                                search::Bind::Float(search::impact(*tf, len)),
                            ]);
                            deltas.push(((shard, search::word_key(term)), 1));
                        }
                        for (gram, _) in text::grams(&sim_text) {
                            deltas.push(((shard, search::gram_key(gram)), 1));
                        }
                        deltas.push(((shard, search::DOCS.to_owned()), 1));
                        deltas.push(((shard, search::LENGTH.to_owned()), i64::from(len)));
                        docs.push(vec![search::Bind::Text(id), search::Bind::Int(len), search::Bind::Text(sim_text)]);
                    }
                    for chunk in postings.chunks(500) {
                        let mut sql =
                            search::Sql::new("INSERT INTO search_postings (term, claim_id, tf, impact) VALUES ");
                        sql.rows(chunk.to_vec());
                        sql.execute(conn)?;
                    }
                    for chunk in docs.chunks(300) {
                        let mut sql = search::Sql::new("INSERT INTO search_docs (claim_id, len, sim_text) VALUES ");
                        sql.rows(chunk.to_vec());
                        sql.execute(conn)?;
                    }
                    Ok(deltas)
                })
            })
            .await
            .map_err(|e| anyhow::anyhow!("batch at {done}: {e}"))?;
        for (key, d) in deltas {
            *stats.entry(key).or_default() += d;
        }
        done += n;
        if done % 50_000 < batch {
            eprintln!("{done}/{count} claims, {:.0}/s", done as f64 / started.elapsed().as_secs_f64());
        }
    }
    let mut by_shard: HashMap<i32, Vec<(String, i64)>> = HashMap::new();
    for ((shard, key), d) in stats {
        by_shard.entry(shard).or_default().push((key, d));
    }
    let stats_rows: usize = by_shard.values().map(Vec::len).sum();
    for (shard, mut delta) in by_shard {
        delta.sort();
        for chunk in delta.chunks(20_000) {
            let chunk = chunk.to_vec();
            db.run(move |conn| storage::write(conn, |conn| search::add_stats(conn, shard, chunk.clone())))
                .await
                .map_err(|e| anyhow::anyhow!("statistics: {e}"))?;
        }
    }
    for definition in secondary {
        db.run(move |conn| search::Sql::new(definition.clone()).execute(conn))
            .await
            .map_err(|e| anyhow::anyhow!("index rebuilt: {e}"))?;
    }
    // Feed positions, as a running core's sequencer gives them (PostgreSQL; SQLite numbered
    // each event as it was written).
    db.run(|conn| {
        while events::sequence(conn, 100_000)? == 100_000 {}
        Ok(())
    })
    .await
    .map_err(|e| anyhow::anyhow!("feed positions: {e}"))?;
    // Planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` at start-up (SQLite)
    // would gather them on a live database.
    let analyze = if sqlite { "ANALYZE" } else { "VACUUM ANALYZE" };
    db.run(move |conn| search::Sql::new(analyze).execute(conn)).await.map_err(|e| anyhow::anyhow!("{analyze}: {e}"))?;
    let lines: Vec<String> = out.iter().map(serde_json::Value::to_string).collect();
    std::fs::write(queries_path, lines.join("\n") + "\n").context("queries written")?;
    println!(
        "{}",
        serde_json::json!({
            "claims": count,
            "secs": started.elapsed().as_secs_f64(),
            "statistics_rows": stats_rows,
            "queries": out.len(),
        })
    );
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Definition {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    definition: String,
}

/// Drops the secondary indexes of `search_postings` for the load and answers their definitions,
/// read from the catalog, to be run again at its end: an index built once, sorted, costs a
/// fraction of twenty million random insertions into it. SQLite also gets a page cache large
/// enough for the whole index (this process only).
async fn drop_posting_indexes(db: &Database, sqlite: bool) -> anyhow::Result<Vec<String>> {
    let catalog = if sqlite {
        "SELECT name, sql AS definition FROM sqlite_master WHERE type = 'index' AND tbl_name = 'search_postings' \
         AND sql IS NOT NULL"
    } else {
        "SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'search_postings' \
         AND indexname NOT LIKE '%pkey'"
    };
    let indexes: Vec<Definition> = db
        .run(move |conn| {
            if sqlite {
                search::Sql::new("PRAGMA cache_size = -4000000").execute(conn)?;
            }
            search::Sql::new(catalog).load(conn)
        })
        .await
        .map_err(|e| anyhow::anyhow!("indexes read: {e}"))?;
    for index in &indexes {
        let drop = format!("DROP INDEX {}", index.name);
        db.run(move |conn| search::Sql::new(drop.clone()).execute(conn)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(indexes.into_iter().map(|i| i.definition).collect())
}
