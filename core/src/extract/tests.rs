use super::*;

const SEED: &str = include_str!("../../../tests/fixtures/extraction/fr-venezuela.json");

fn passage(json: &str) -> eval::Passage {
    serde_json::from_str(json).expect("labelled passage")
}

fn run(p: &eval::Passage) -> Extraction {
    extract(&Input {
        text: p.text.clone(),
        html: false,
        language: Some(p.language.clone()),
        published: p.published,
        url: None,
    })
    .expect("extraction")
}

fn kind_name(kind: SourceKind) -> &'static str {
    kind.as_str()
}

#[test]
fn the_seed_article_gives_every_attributed_claim_and_nothing_else() {
    let p = passage(SEED);
    let x = run(&p);
    let s = eval::score(&p, &x);
    assert!(s.misses.is_empty(), "{:#?}\n{:#?}", s.misses, x.candidates);
    assert_eq!((s.claims.correct, s.claims.predicted, s.claims.found, s.claims.labelled), (9, 9, 9, 9));
    assert_eq!(s.speakers.precision(), 1.0);
    let contractual = x.candidates.iter().find(|c| c.sentence.contains("obligations")).expect("candidate");
    assert_eq!(contractual.claim, "La Russie et le Venezuela sont liés par des « obligations contractuelles ».");
    let quoted = x.candidates.iter().find(|c| c.sentence.contains("Nous sommes")).expect("candidate");
    assert_eq!(quoted.claim, "Nous sommes en contact avec nos amis vénézuéliens.");
    assert_eq!(s.speakers.recall(), 1.0);
    assert_eq!(s.relays.recall(), 1.0);
    assert_eq!(s.stances.recall(), 1.0);
    for not in &p.not_claims {
        assert!(!x.candidates.iter().any(|c| c.sentence.contains(not.as_str())), "{not} is not a claim");
    }
    // Kinds as labelled.
    for gold in &p.claims {
        let c = x.candidates.iter().find(|c| c.sentence.contains(gold.quote.as_str())).expect(&gold.quote);
        for g in &gold.attributions {
            let a = c.attributions.iter().find(|a| eval::same_name(&a.speaker.name, &g.speaker)).expect(&g.speaker);
            assert_eq!(kind_name(a.speaker.kind), g.kind, "{}", g.speaker);
        }
    }
}

#[test]
fn the_two_wordings_are_one_candidate_with_both_spans() {
    let p = passage(SEED);
    let x = run(&p);
    let merged: Vec<&Candidate> =
        x.candidates.iter().filter(|c| c.sentence.contains("Maduro a demandé l’aide")).collect();
    assert_eq!(merged.len(), 1);
    let c = merged[0];
    assert_eq!(c.merged_spans.len(), 1);
    let span = &c.merged_spans[0];
    let chars: Vec<char> = p.text.chars().collect();
    let merged_text: String = chars[span.start..span.end].iter().collect();
    assert!(merged_text.starts_with("Selon le Washington Post, Maduro a sollicité"), "{merged_text}");
    assert_eq!(span.selector.exact, merged_text);
    // Offsets are characters of the text, and the selector quotes them.
    let exact: String = chars[c.start..c.end].iter().collect();
    assert_eq!(exact, c.selector.exact);
    assert_eq!(c.selector.exact, c.sentence);
    assert!(c.selector.suffix.starts_with("\nLe Kremlin"), "{:?}", c.selector.suffix);
    assert_eq!(c.selector.prefix, "");
    assert!(!x.candidates.iter().any(|c| c.sentence.contains("Maduro a sollicité")), "not a candidate of its own");
}

#[test]
fn dates_and_the_sum_are_resolved_and_checked() {
    let p = passage(SEED);
    let x = run(&p);
    for g in &p.dates {
        let found =
            x.candidates.iter().flat_map(|c| &c.dates).find(|d| d.expression == g.expression).expect(&g.expression);
        assert_eq!(found.value.map(|v| v.to_string()).as_deref(), Some(g.value.as_str()), "{}", g.expression);
        let chars: String = p.text.chars().skip(found.start).take(found.end - found.start).collect();
        assert_eq!(chars, g.expression);
    }
    for g in &p.numbers {
        let n = x.candidates.iter().flat_map(|c| &c.numbers).find(|n| n.text == g.text).expect(&g.text);
        assert_eq!(n.check, Some(g.check.as_str()));
        assert_eq!(n.detail.as_deref(), Some("8 + 3 + 1 = 12, not 13"));
    }
    let parts: Vec<&str> = x
        .candidates
        .iter()
        .flat_map(|c| &c.numbers)
        .filter(|n| n.check == Some("part"))
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(parts, ["huit", "trois", "un"]);
}

#[test]
fn english_reported_speech() {
    let text = "\"We will not back down,\" Prime Minister Jane Doe told Reuters on Tuesday. \
        The ministry said that 40 people had been arrested. \
        According to the Associated Press, the talks collapsed late on Monday. \
        Officials denied that troops had crossed the border. \
        The weather was mild.";
    let x = extract(&Input {
        text: text.into(),
        html: false,
        language: None,
        published: "2025-09-03".parse().ok(),
        url: None,
    })
    .expect("extraction");
    assert_eq!(x.language, "en");
    let summary: Vec<(String, String, Vec<String>, &str)> = x
        .candidates
        .iter()
        .flat_map(|c| {
            c.attributions.iter().map(move |a| {
                (
                    c.claim.clone(),
                    a.speaker.name.clone(),
                    a.relays.iter().map(|r| r.name.clone()).collect(),
                    a.stance.as_str(),
                )
            })
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("We will not back down.".to_owned(), "Jane Doe".to_owned(), vec!["Reuters".to_owned()], "asserts"),
            ("40 people had been arrested.".to_owned(), "ministry".to_owned(), vec![], "asserts"),
            ("The talks collapsed late on Monday.".to_owned(), "Associated Press".to_owned(), vec![], "asserts"),
            ("Troops had crossed the border.".to_owned(), "Officials".to_owned(), vec![], "denies"),
        ]
    );
}

#[test]
fn html_pages_are_read_as_text_and_scripts_never_come_back() {
    let page = "<html><body><nav>Accueil</nav><p>Selon l'AFP, le port a été bombardé <script>alert(1)</script>dimanche.</p></body></html>";
    let x = extract(&Input { text: page.into(), html: true, language: Some("fr".into()), published: None, url: None })
        .expect("extraction");
    assert_eq!(x.text.as_deref(), Some("Selon l'AFP, le port a été bombardé dimanche."));
    assert_eq!(x.candidates.len(), 1);
    assert!(!x.candidates[0].sentence.contains("alert"));
    assert_eq!(x.candidates[0].attributions[0].speaker.name, "AFP");
    assert_eq!(x.candidates[0].attributions[0].speaker.kind, SourceKind::NewsAgency);
    assert_eq!(x.candidates[0].dates[0].value, None, "no publication date, no resolution");
}

#[test]
fn bad_input_is_refused_with_the_field() {
    let refused = |input: Input| match extract(&input) {
        Err(Error::Validation(v)) => v.into_iter().map(|f| f.field).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(refused(Input { text: "  ".into(), ..Input::default() }), ["text"]);
    assert_eq!(refused(Input { text: "a\u{0}b".into(), language: Some("fr".into()), ..Input::default() }), ["text"]);
    assert_eq!(refused(Input { text: "x".repeat(MAX_TEXT_CHARS + 1), ..Input::default() }), ["text"]);
    assert_eq!(refused(Input { text: "Hallo".into(), language: Some("de".into()), ..Input::default() }), ["language"]);
    assert_eq!(refused(Input { text: "Hallo".into(), language: Some("??".into()), ..Input::default() }), ["language"]);
    assert_eq!(refused(Input { text: "Hallo".into(), language: Some(" ".into()), ..Input::default() }), ["language"]);
    let javascript =
        Input { text: "Selon l'AFP, il pleut.".into(), url: Some("javascript:alert(1)".into()), ..Input::default() };
    assert_eq!(refused(javascript), ["url"]);
    let spanish = "El presidente dijo que la economía crecerá este año, según el ministerio de Hacienda, y que los precios bajarán pronto.";
    assert_eq!(refused(Input { text: spanish.into(), ..Input::default() }), ["language"]);
}

#[test]
fn the_longest_text_accepted_is_read_whole() {
    let p = passage(SEED);
    let body = p.text.trim_end().replace("Par RSA", "");
    let big = body.repeat(MAX_TEXT_CHARS / body.chars().count());
    let x = extract(&Input { text: big, html: false, language: Some("fr".into()), published: p.published, url: None })
        .expect("extraction");
    // The repeated article merges into the same nine claims.
    assert_eq!(x.candidates.len(), 9);
    assert!(x.candidates.iter().map(|c| c.merged_spans.len()).sum::<usize>() > 9 * 10);
}

#[test]
fn text_fragments_quote_the_sentence() {
    let selector = Selector {
        exact: "Nous sommes en contact".into(),
        prefix: "de Vladimir Poutine.\n« ".into(),
        suffix: " », a déclaré le porte-parole".into(),
    };
    assert_eq!(
        text_fragment_url("https://example.org/a#top", &selector),
        "https://example.org/a#:~:text=Vladimir%20Poutine.%20%C2%AB-,Nous%20sommes%20en%20contact,-%C2%BB%2C%20a%20d%C3%A9clar%C3%A9"
    );
    let long = Selector {
        exact: "one two three four five six seven eight nine ten eleven twelve".into(),
        prefix: String::new(),
        suffix: String::new(),
    };
    assert_eq!(
        text_fragment_url("https://example.org/a", &long),
        "https://example.org/a#:~:text=one%20two%20three%20four,nine%20ten%20eleven%20twelve"
    );
}

/// Every attribution's speaker and relays, in order.
fn chains(text: &str, language: &str) -> Vec<(String, Vec<String>)> {
    let x =
        extract(&Input { text: text.into(), html: false, language: Some(language.into()), published: None, url: None })
            .expect("extraction");
    x.candidates
        .iter()
        .flat_map(|c| c.attributions.iter())
        .map(|a| (a.speaker.name.clone(), a.relays.iter().map(|r| r.name.clone()).collect()))
        .collect()
}

/// Who said what, as (claim, speaker) pairs.
fn speakers(text: &str, language: &str) -> Vec<(String, String)> {
    let x = extract(&Input {
        text: text.into(),
        html: false,
        language: Some(language.into()),
        published: "2025-06-02".parse().ok(),
        url: None,
    })
    .expect("extraction");
    x.candidates
        .iter()
        .flat_map(|c| c.attributions.iter().map(move |a| (c.claim.clone(), a.speaker.name.clone())))
        .collect()
}

#[test]
fn a_title_without_a_name_is_named_by_the_next_sentences() {
    // The title first, the name with the same title a sentence later: one person.
    let found = speakers(
        "Le ministre de la Justice a démenti toute arrestation lundi. \
         « Personne n'a été interpellé », a précisé le ministre Jean-Marc Delorme.",
        "fr",
    );
    assert!(found.iter().all(|(_, s)| s == "Jean-Marc Delorme"), "{found:?}");
    assert_eq!(found.len(), 2, "{found:?}");
    // Too far on, or another title: the description stays as it was.
    let found = speakers(
        "Le ministre de la Justice a démenti toute arrestation lundi. La pluie est tombée. \
         Le vent a soufflé. « Personne n'a été interpellé », a précisé le ministre Jean-Marc Delorme.",
        "fr",
    );
    assert!(found.iter().any(|(_, s)| s.starts_with("ministre de la Justice")), "{found:?}");
    let found = speakers(
        "The interior minister denied that anyone had been arrested. \
         \"Nobody was detained,\" said spokesman John Baird.",
        "en",
    );
    assert!(found.iter().any(|(_, s)| s.contains("minister")), "{found:?}");
    // An elided article before the complement keeps it a description, not a name.
    let found = speakers("Le ministre de l'Intérieur a démenti toute arrestation lundi.", "fr");
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("ministre de l'Intérieur"), "{found:?}");
}

#[test]
fn an_apposition_names_the_one_before_it() {
    let found = speakers(
        "Rien, en revanche, sur les révélations concernant Paul Durand, l'ancien conseiller du maire \
         qui a reconnu avoir menti sur ses comptes de campagne.",
        "fr",
    );
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("Paul Durand"), "{found:?}");
}

#[test]
fn a_clause_after_the_verb_is_not_a_speaker_and_a_pronoun_keeps_the_relay() {
    let text = "The head of the port authority, Maria Lopez, said she had three witnesses for the claim that \
        the ship had sunk. Army spokesman Col. Ivan Petrov told Reuters that the convoy was never attacked. \
        \"Nothing happened on that road,\" he said.";
    let who = chains(text, "en");
    assert!(who.iter().all(|(s, _)| !s.contains("witnesses")), "{who:?}");
    assert!(who.iter().any(|(s, _)| s == "Maria Lopez"), "{who:?}");
    let petrov: Vec<_> = who.iter().filter(|(s, _)| s == "Ivan Petrov").collect();
    assert_eq!(petrov.len(), 2, "{who:?}");
    assert!(petrov.iter().all(|(_, r)| r == &["Reuters".to_owned()]), "{who:?}");
}

#[test]
fn a_speech_verbs_form_after_an_indefinite_article_is_a_noun() {
    // "un démenti" is not "a démenti": the verb that names the speaker comes after the quote.
    let found = speakers(
        "Un porte-parole de la police a apporté un démenti : « Ce n'est pas vrai », a déclaré Paul Ngoma.",
        "fr",
    );
    assert_eq!(found, [("Ce n'est pas vrai.".to_owned(), "Paul Ngoma".to_owned())]);
    // The participle after its auxiliary stays a verb.
    let found = speakers("La préfecture a démenti toute évacuation du quartier.", "fr");
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("préfecture"), "{found:?}");
}

#[test]
fn a_title_in_another_titles_complement_is_not_the_speaker() {
    // The spokesman speaks, not the President; the next sentence names the spokesman.
    let found = speakers(
        "A spokesman for President Anna Berg denied that the palace had been sold. \
         Spokesman Tomas Lind on Monday said the reports were \"pure invention.\"",
        "en",
    );
    assert!(!found.iter().any(|(_, s)| s.contains("Anna Berg")), "{found:?}");
    assert!(found.iter().filter(|(_, s)| s == "Tomas Lind").count() == 2, "{found:?}");
    // A possessive description is named the same way.
    let found = speakers(
        "Prime Minister Anna Berg's spokesman said the talks had failed. \
         \"There is nothing left to discuss,\" spokesman Tomas Lind told reporters.",
        "en",
    );
    assert!(found.iter().all(|(_, s)| s == "Tomas Lind"), "{found:?}");
    // Without a name later, the title with its complement stays.
    let found = speakers("A spokesman for President Anna Berg denied that the palace had been sold.", "en");
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("spokesman for President Anna Berg"), "{found:?}");
    // A title and its own name are still read as one.
    let found = speakers("President Anna Berg said the palace had not been sold.", "en");
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("Anna Berg"), "{found:?}");
}

#[test]
fn a_clause_after_a_postposed_verb_is_its_complement() {
    // "…, also said Russia is committed…": Russia is what was said, the subject said it.
    let found = speakers(
        "Ivan Sokolov, responding to reports about the treaty, also said Russia is committed to its obligations.",
        "en",
    );
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("Ivan Sokolov"), "{found:?}");
    // "à l'AFP" is no auxiliary: the speaker after the verb stays the speaker.
    let found = speakers(
        "Le président n'est pas attendu à Paris, a déclaré mercredi à l'AFP le ministère des Affaires étrangères.",
        "fr",
    );
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("ministère des Affaires étrangères"), "{found:?}");
}

#[test]
fn a_title_between_commas_describes_the_name_before_it() {
    let found = speakers("Dmitri Novak, le porte-parole du ministère, a déclaré que le port était fermé.", "fr");
    assert_eq!(found, [("Le port était fermé.".to_owned(), "Dmitri Novak".to_owned())]);
    let found = speakers("Ana Silva, the ministry's spokeswoman, said that the port was closed.", "en");
    assert_eq!(found.first().map(|(_, s)| s.as_str()), Some("Ana Silva"), "{found:?}");
}

#[test]
fn who_a_relay_cites_is_the_speaker() {
    let text = "Des attentats auraient été déjoués à Lyon. La nouvelle a été rapportée mardi par la radio \
        Europe Info, qui citait des sources policières. Selon les sources policières citées par la radio, \
        les suspects ont été arrêtés.";
    let who = chains(text, "fr");
    assert!(
        who.iter().all(|(s, r)| s.starts_with("sources policières") && r == &["Europe Info".to_owned()]),
        "{who:?}"
    );
    assert_eq!(who.len(), 2, "{who:?}");
}

#[test]
fn a_source_marker_after_the_attribution_is_its_relay() {
    let who = chains("\"The plan was abandoned in May,\" the sources said, according to the Daily Courier.", "en");
    assert_eq!(who, [("sources".to_owned(), vec!["Daily Courier".to_owned()])]);
}

/// Who said what with which stance, as (speaker, stance) pairs.
fn stances(text: &str, language: &str) -> Vec<(String, Stance)> {
    let x =
        extract(&Input { text: text.into(), html: false, language: Some(language.into()), published: None, url: None })
            .expect("extraction");
    x.candidates.iter().flat_map(|c| c.attributions.iter()).map(|a| (a.speaker.name.clone(), a.stance)).collect()
}

#[test]
fn a_subject_that_cites_someone_relays_them() {
    let who = chains(
        "The Daily Courier, citing three senior European diplomats, reported on Monday that the summit \
         would be postponed.",
        "en",
    );
    assert_eq!(who, [("three senior European diplomats".to_owned(), vec!["Daily Courier".to_owned()])]);
    // A possessive name before the outlet's description.
    let who = chains("Norway's public radio, quoting a police source, said that the ferry had been found.", "en");
    assert_eq!(who, [("police source".to_owned(), vec!["Norway's public radio".to_owned()])]);
}

#[test]
fn the_report_is_the_outlet_that_reported_it() {
    let text = "The Lisbon Herald reported that the minister would resign. The report said the decision was \
                taken on Friday.";
    let who = speakers(text, "en");
    assert!(who.iter().all(|(_, s)| s == "Lisbon Herald"), "{who:?}");
    assert_eq!(who.len(), 2, "{who:?}");
}

#[test]
fn who_reported_what_the_claim_is_about_is_context_and_as_reported_by_asserts() {
    let text = "La police n'a trouvé aucune trace des armes telles que rapportées par la radio Europe Info, \
                selon un responsable policier.";
    let got = stances(text, "fr");
    assert!(got.contains(&("responsable policier".to_owned(), Stance::Asserts)), "{got:?}");
    assert!(got.contains(&("Europe Info".to_owned(), Stance::Context)), "{got:?}");
    let text = "Des policiers ont affirmé jeudi que le suspect avait été arrêté à Lyon, comme l'a rapporté le \
                quotidien Le Progrès.";
    let got = stances(text, "fr");
    assert!(got.contains(&("Le Progrès".to_owned(), Stance::Asserts)), "{got:?}");
}

#[test]
fn contrary_to_what_someone_said_they_dispute_it() {
    let text = "Le ministre n'a pas démissionné, contrairement à ce que le journal La Voix avait affirmé, a \
                déclaré vendredi le gouvernement.";
    let got = stances(text, "fr");
    assert!(got.contains(&("La Voix".to_owned(), Stance::Disputes)), "{got:?}");
}

#[test]
fn a_speech_noun_with_its_content_names_its_author() {
    let got = stances(
        "The ministry rejected on Tuesday an allegation by opposition leader Maria Lind that the vote had \
         been rigged.",
        "en",
    );
    assert!(got.contains(&("Maria Lind".to_owned(), Stance::Asserts)), "{got:?}");
    assert!(got.contains(&("ministry".to_owned(), Stance::Denies)), "{got:?}");
    let got = stances("The company disputed Swedish regulators’ conclusion that it had hidden losses.", "en");
    assert!(got.iter().any(|(s, st)| s.contains("regulators") && *st == Stance::Asserts), "{got:?}");
}

#[test]
fn a_title_with_a_complement_stands_for_whom_the_same_title_named() {
    let text = "« Ces rumeurs sont absurdes », a déclaré Ana Silva. La porte-parole du gouvernement portugais \
                a ajouté que le budget serait voté. « Nous ne reculerons pas », a conclu la porte-parole de \
                l'exécutif.";
    let who = speakers(text, "fr");
    assert!(who.iter().all(|(_, s)| s == "Ana Silva"), "{who:?}");
    assert_eq!(who.len(), 3, "{who:?}");
}
