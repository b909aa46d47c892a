//! The search index's reading order, on both backends: a word's best postings are cut at a
//! number (`per_term`), and postings of equal impact (same tf, same length: most of a common
//! word's) must make that cut in one order whatever order they were written in, the oldest claim
//! first (ids are UUIDv7), or similar claims differ from one load of the same claims to the next
//! and between the backends.

use claimdesk_core::storage::{self, DatabaseUrl, search};
use claimdesk_tests::{TestDatabase, postgres_available};
use diesel::{RunQueryDsl, sql_query};

/// Claim ids in the order they were written: the newest first, the oldest in the middle.
const WRITTEN: [&str; 6] = [
    "019ad000-0000-7000-8000-000000000006",
    "019ad000-0000-7000-8000-000000000004",
    "019ad000-0000-7000-8000-000000000001",
    "019ad000-0000-7000-8000-000000000005",
    "019ad000-0000-7000-8000-000000000002",
    "019ad000-0000-7000-8000-000000000003",
];

fn ties_are_cut_in_claim_order(url: &str) {
    let url = DatabaseUrl::parse(url).expect("url");
    let mut conn = url.connect().expect("connects");
    storage::run_migrations(&mut conn).expect("migrations");
    for id in WRITTEN {
        // One transaction each, as concurrent creations write them.
        sql_query(format!(
            "INSERT INTO search_postings (term, claim_id, tf, impact) VALUES ('w:rapport', '{id}', 1, 1.25)"
        ))
        .execute(&mut conn)
        .expect("posting");
        sql_query(format!("INSERT INTO search_docs (claim_id, len, sim_text) VALUES ('{id}', 6, 'rapport {id}')"))
            .execute(&mut conn)
            .expect("document");
    }
    // A common word (held by more claims than are read of it): its 3 best postings, all tied.
    let word = search::Weighted { key: "w:rapport".into(), word: 0, df: 1000, idf: 2.0 };
    let found = search::candidates(&mut conn, &[word], 3, 0.0, 10).expect("candidates");
    let ids: Vec<&str> = found.iter().map(|c| &c.claim_id[c.claim_id.len() - 1..]).collect();
    assert_eq!(ids, ["1", "2", "3"], "the three oldest claims, by id");
    assert!(found.iter().all(|c| (c.score - 2.5).abs() < 1e-9), "{found:?}");
}

#[test]
fn sqlite_ties_are_cut_in_claim_order() {
    let dir = tempfile::tempdir().expect("dir");
    ties_are_cut_in_claim_order(&format!("sqlite://{}", dir.path().join("t.db").display()));
}

#[test]
fn postgres_ties_are_cut_in_claim_order() {
    if postgres_available() {
        let db = TestDatabase::create();
        ties_are_cut_in_claim_order(&db.url);
    }
}
