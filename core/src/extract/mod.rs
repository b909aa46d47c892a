//! Claim extraction: the attributed claims of a French or English article, proposed for the
//! desk to track. Rule-based and explainable (ARCHITECTURE.md, "Claim extraction"):
//!
//! 1. The text (HTML is turned into text first) is cut into sentences by the Unicode rules
//!    (UAX #29), mended where an abbreviation or an open quotation cut it.
//! 2. In each sentence the cues of the language's lexicon (`core/lexicons/*.toml`) are looked
//!    for: a source marker ("selon", "according to"), a speech verb with its subject and its
//!    complement ("a souligné que", "said that", a quotation before or after), speech nouns
//!    ("les démentis de"), relays ("à l'agence TASS", "citant", "quoted by") and context
//!    phrases ("sans mentionner"). A sentence without a cue proposes nothing: narration is not
//!    a claim.
//! 3. Speakers and relays are read from their noun phrases: a name (capitalised words), a
//!    description's head word ("agence", "sources") and the shared list of known names give
//!    the kind of source.
//! 4. Dates and numbers of each claim's sentence are resolved and checked; candidates that say
//!    the same thing are merged.
//!
//! Nothing here touches storage: the service resolves speakers to stored sources and finds
//! stored claims like each candidate.

mod dates;
pub mod eval;
mod html;
pub mod lexicon;
mod numbers;

use chrono::NaiveDate;
use unicode_segmentation::UnicodeSegmentation;

use crate::domain::{Error, PartialDate, SourceKind, Stance, Violations, text};
pub use lexicon::Lexicon;

/// Longest text extracted from, in characters (a long feature is about 60,000).
pub const MAX_TEXT_CHARS: usize = 200_000;
/// Characters of context kept on each side of a quote selector.
const SELECTOR_CONTEXT: usize = 32;
/// Dice similarity of character grams above which two candidates say the same thing.
const SAME_CLAIM: f64 = 0.6;

/// What to extract from.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub text: String,
    /// The text is an HTML page (scripts, styles and page furniture are dropped).
    pub html: bool,
    /// BCP 47 tag, or none to detect French or English.
    pub language: Option<String>,
    /// The date relative expressions are resolved against; none leaves them unresolved.
    pub published: Option<NaiveDate>,
    /// The article's address: checked, and answered back for the acceptance.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    pub language: String,
    /// The text the offsets count in, when it is not the input (HTML was turned into text).
    pub text: Option<String>,
    pub candidates: Vec<Candidate>,
    /// The article's address, as given.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub claim: String,
    pub sentence: String,
    /// Offsets of the sentence, in characters (Unicode scalar values) of the text.
    pub start: usize,
    pub end: usize,
    pub selector: Selector,
    pub attributions: Vec<Attribution>,
    pub dates: Vec<DateMention>,
    pub numbers: Vec<NumberMention>,
    /// Other sentences that say the same thing, merged into this candidate.
    pub merged_spans: Vec<Span>,
    /// Stored claims like this one, best first (claim id, score from 0 to 1), filled by the
    /// service.
    pub matches: Vec<(String, f64)>,
}

/// W3C Web Annotation TextQuoteSelector.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub exact: String,
    pub prefix: String,
    pub suffix: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub selector: Selector,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    /// As written ("Dmitri Peskov", "sources proches de l'administration Trump").
    pub name: String,
    pub kind: SourceKind,
    /// The stored source of that name, filled by the service.
    pub source_id: Option<String>,
}

impl Party {
    /// A news outlet or agency: what may relay a statement to the newsroom.
    fn is_press(&self) -> bool {
        matches!(self.kind, SourceKind::NewsAgency | SourceKind::NewsOutlet)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub speaker: Party,
    /// From the speaker towards the article: Peskov → TASS.
    pub relays: Vec<Party>,
    pub stance: Stance,
    /// The words that triggered it, as written ("selon", "a déclaré", "démentis").
    pub cue: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DateMention {
    pub expression: String,
    /// None when the range spans two years, or no publication date was given.
    pub value: Option<PartialDate>,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumberMention {
    pub text: String,
    pub value: f64,
    pub start: usize,
    pub end: usize,
    /// `part` (of a total), `total_ok` or `total_mismatch`; none for a lone number.
    pub check: Option<&'static str>,
    /// "8 + 3 + 1 = 12, not 13".
    pub detail: Option<String>,
}

/// A token of a sentence: a word (letters and digits) or one punctuation character. Apostrophes
/// and hyphens only separate words.
#[derive(Debug, Clone)]
pub struct Tok<'a> {
    pub text: &'a str,
    pub fold: String,
    /// Byte offsets in the whole text.
    pub start: usize,
    pub end: usize,
    pub word: bool,
}

impl Tok<'_> {
    fn cap(&self) -> bool {
        self.word && self.text.starts_with(char::is_uppercase)
    }

    fn is(&self, punct: &str) -> bool {
        !self.word && self.text == punct
    }

    fn acronym(&self) -> bool {
        self.word && self.text.chars().count() >= 2 && self.text.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
    }
}

/// A token as the lexicons match it: its folded form.
impl AsRef<str> for Tok<'_> {
    fn as_ref(&self) -> &str {
        &self.fold
    }
}

fn joiner(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '-' | '‐' | '‑')
}

/// The tokens of `text`, whose first byte is at `offset` in the whole text.
pub fn tokens<'a>(text: &'a str, offset: usize) -> Vec<Tok<'a>> {
    let mut out = Vec::new();
    let mut begin: Option<usize> = None;
    let push_word = |out: &mut Vec<Tok<'a>>, b: usize, e: usize| {
        let t = &text[b..e];
        out.push(Tok { text: t, fold: text::fold(t), start: offset + b, end: offset + e, word: true });
    };
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            begin.get_or_insert(i);
            continue;
        }
        if let Some(b) = begin.take() {
            push_word(&mut out, b, i);
        }
        if !c.is_whitespace() && !joiner(c) {
            let t = &text[i..i + c.len_utf8()];
            out.push(Tok {
                text: t,
                fold: t.to_owned(),
                start: offset + i,
                end: offset + i + c.len_utf8(),
                word: false,
            });
        }
    }
    if let Some(b) = begin {
        push_word(&mut out, b, text.len());
    }
    out
}

/// A sentence: byte range in the whole text and its tokens.
struct Sentence<'a> {
    start: usize,
    end: usize,
    toks: Vec<Tok<'a>>,
}

fn open_quotes(s: &str) -> bool {
    let count = |c: char| s.chars().filter(|x| *x == c).count();
    count('«') > count('»') || count('“') > count('”') || count('"') % 2 == 1
}

/// Sentences of a text: paragraphs (lines) cut by UAX #29, mended after abbreviations, initials
/// and inside quotations.
fn sentences<'a>(text: &'a str, lexicon: &Lexicon) -> Vec<Sentence<'a>> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let mut pending: Option<(usize, usize)> = None;
        for (i, piece) in line.split_sentence_bound_indices() {
            let (s, e) = (line_start + i, line_start + i + piece.len());
            let joined = match pending.take() {
                Some((ps, _)) => (ps, e),
                None => (s, e),
            };
            let current = &text[joined.0..joined.1];
            let trimmed = current.trim_end();
            let abbreviation = trimmed.ends_with('.')
                && text::words(trimmed).last().is_some_and(|w| {
                    lexicon.abbreviations.contains(&text::fold(w.text))
                        || (w.text.chars().count() == 1 && w.text.starts_with(char::is_uppercase))
                });
            if abbreviation || open_quotes(current) {
                pending = Some(joined);
            } else {
                spans.push(joined);
            }
        }
        if let Some(p) = pending {
            spans.push(p);
        }
        line_start += line.len();
    }
    spans
        .into_iter()
        .filter_map(|(s, e)| {
            let piece = &text[s..e];
            let lead = piece.len() - piece.trim_start().len();
            let piece = piece.trim();
            if piece.is_empty() {
                return None;
            }
            let start = s + lead;
            Some(Sentence { start, end: start + piece.len(), toks: tokens(piece, start) })
        })
        .collect()
}

/// The language of a text: French or English (whatlang's trigram models); another language or
/// too little text to tell is an error saying so.
pub fn detect_language(text: &str) -> Result<&'static str, Error> {
    let sample: String = text.chars().take(20_000).collect();
    match crate::domain::review_import::detected_language(&sample) {
        Some(code @ ("fr" | "en")) => Ok(code),
        Some(code) => Err(Error::invalid(
            "language",
            format!("the text looks like `{code}`; extraction reads French (fr) and English (en) only"),
        )),
        None => Err(Error::invalid(
            "language",
            "could not tell the text's language: give `language` (fr or en), or a text of a few sentences",
        )),
    }
}

/// Extracts the candidate claims of a text. Errors name the field at fault.
pub fn extract(input: &Input) -> Result<Extraction, Error> {
    let mut v = Violations::default();
    // An HTML page may be five times the text it holds; the text itself is held to the limit.
    let limit = if input.html { MAX_TEXT_CHARS * 5 } else { MAX_TEXT_CHARS };
    if input.text.chars().count() > limit {
        return Err(too_long());
    }
    let plain = if input.html { Some(html::to_text(&input.text)) } else { None };
    let text = plain.as_deref().unwrap_or(&input.text);
    if plain.is_some() && text.chars().count() > MAX_TEXT_CHARS {
        return Err(too_long());
    }
    if text.trim().is_empty() {
        v.push("text", "must not be empty");
    } else if text.chars().any(|c| c == '\u{0}' || (c.is_control() && !c.is_whitespace())) {
        v.push("text", "holds control characters: send text or HTML, not binary data");
    }
    let language = match input.language.as_deref().map(str::trim) {
        Some("") => {
            v.push("language", "must be a BCP 47 tag (fr, en), or absent to detect the language");
            None
        }
        Some(tag) => match crate::domain::language::normalize(tag) {
            Ok(tag) => {
                let primary = text::primary(&tag);
                match lexicon::supported().find(|c| *c == primary) {
                    Some(code) => Some(code),
                    None => {
                        v.push(
                            "language",
                            format!("`{tag}` is not supported: extraction reads French (fr) and English (en)"),
                        );
                        None
                    }
                }
            }
            Err(e) => {
                v.push("language", e);
                None
            }
        },
        None => None,
    };
    let url = match input.url.as_deref().map(str::trim) {
        Some(u) => v.check("url", crate::domain::source::web_url(u)),
        None => None,
    };
    v.into_result()?;
    let language = match language {
        Some(l) => l,
        None => detect_language(text)?,
    };
    let lexicon = Lexicon::of(language).ok_or_else(|| Error::Internal(format!("no lexicon for {language}")))?;
    let candidates = Reader::new(text, lexicon, input.published).read();
    Ok(Extraction { language: language.to_owned(), text: plain, candidates, url })
}

fn too_long() -> Error {
    Error::invalid("text", format!("is longer than {MAX_TEXT_CHARS} characters: send one article at a time"))
}

/// Character offsets from byte offsets, for one text.
struct Offsets {
    /// Character index of every byte that starts a character, and of the end.
    chars: Vec<u32>,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let mut chars = vec![0u32; text.len() + 1];
        let mut n = 0u32;
        for (i, c) in text.char_indices() {
            for slot in &mut chars[i..i + c.len_utf8()] {
                *slot = n;
            }
            n += 1;
        }
        chars[text.len()] = n;
        Offsets { chars }
    }

    fn at(&self, byte: usize) -> usize {
        self.chars[byte] as usize
    }
}

/// A claim found in one sentence, before merging.
struct Found {
    /// The sentence's position among the text's sentences.
    no: usize,
    sentence: (usize, usize),
    claim: (usize, usize),
    attributions: Vec<Attribution>,
    dates: Vec<DateMention>,
    numbers: Vec<NumberMention>,
    terms: Vec<String>,
}

/// A context attribution waiting for the claim it is about: "sans mentionner la demande de
/// Maduro" attaches Peskov to the candidate about Maduro's request.
struct Pending {
    attribution: Attribution,
    about: Vec<String>,
}

struct Reader<'a> {
    text: &'a str,
    lexicon: &'static Lexicon,
    published: Option<NaiveDate>,
    offsets: Offsets,
    /// The last named speaker, for "il a ajouté que…".
    last_speaker: Option<Party>,
    /// Speakers and relays met so far, latest last, with the title or head word that described
    /// them ("porte-parole" for Dmitri Peskov): "le porte-parole" or "the newspaper" later in
    /// the text stands for them.
    met: std::cell::RefCell<Vec<Met>>,
    /// The position of the sentence being read.
    sentence_no: usize,
    /// The relays of the last named speaker's statement, and its sentence.
    last_relays: (usize, Vec<Party>),
    /// This sentence's speaker was a pronoun standing for the last speaker.
    pronoun: std::cell::Cell<bool>,
}

/// A party met in the text: the head word that described it, and the sentence it was met in.
struct Met {
    head: Option<String>,
    party: Party,
    at: usize,
}

/// How many sentences on a title without a name may find its name ("Le ministre … a démenti.
/// « … », a souligné le ministre Issa Tchiroma Bakary").
const CATAPHORA_SENTENCES: usize = 2;

/// A preposed speech verb's subject: who speaks, where the subject starts, and who relayed it.
struct Subject {
    speakers: Vec<Party>,
    start: usize,
    relays: Vec<Party>,
}

/// How many sentences back a title with a complement ("le porte-parole du Kremlin") may stand
/// for the one it named.
const RECENT_SENTENCES: usize = 3;

/// Where a speech verb's subject and complement were found.
struct Reported {
    speakers: Vec<Party>,
    relays: Vec<Party>,
    /// The relays relayed the speakers each on their own ("X and Y, citing sources"): one
    /// attribution per relay.
    separate_relays: bool,
    /// Token range of the claim in the sentence.
    claim: (usize, usize),
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, lexicon: &'static Lexicon, published: Option<NaiveDate>) -> Self {
        Reader {
            text,
            lexicon,
            published,
            offsets: Offsets::new(text),
            last_speaker: None,
            met: Default::default(),
            sentence_no: 0,
            last_relays: (0, Vec::new()),
            pronoun: Default::default(),
        }
    }

    fn read(mut self) -> Vec<Candidate> {
        let mut found = Vec::new();
        let mut pending = Vec::new();
        for (no, sentence) in sentences(self.text, self.lexicon).iter().enumerate() {
            self.sentence_no = no;
            self.pronoun.set(false);
            if let Some(f) = self.sentence(sentence, &mut pending) {
                found.push(f);
            }
        }
        self.name_titles(&mut found);
        for p in pending {
            let best = found
                .iter_mut()
                .map(|f| {
                    let shared = p.about.iter().filter(|t| f.terms.contains(t)).count();
                    (shared, f)
                })
                .filter(|(shared, f)| {
                    *shared >= 2 && !f.attributions.iter().any(|a| a.speaker.name == p.attribution.speaker.name)
                })
                .max_by_key(|(shared, _)| *shared);
            if let Some((_, f)) = best {
                f.attributions.push(p.attribution);
            }
        }
        self.merge(found)
    }

    /// Cataphora: a speaker described by a title and no name ("le ministre camerounais de la
    /// Communication") is the one the next sentences name with the same title ("le ministre
    /// Issa Tchiroma Bakary"), when they do.
    fn name_titles(&self, found: &mut [Found]) {
        let lx = self.lexicon;
        let met = self.met.borrow();
        for f in found.iter_mut() {
            for a in &mut f.attributions {
                // A title without a name reads as an official body ("le porte-parole de …"), and
                // so does a possessive one ("Vladimir Putin's spokesman").
                if !matches!(a.speaker.kind, SourceKind::Person | SourceKind::OfficialBody) {
                    continue;
                }
                let words = tokens(&a.speaker.name, 0);
                let is_title = |t: &Tok<'_>| t.word && lx.heads.get(&t.fold) == Some(&SourceKind::Person);
                let head = if has_name(&a.speaker) {
                    words.last().filter(|t| is_title(t) && words.len() > 2 && words[words.len() - 2].fold == "s")
                } else {
                    words.iter().find(|t| is_title(t))
                };
                let Some(head) = head.map(|t| t.fold.clone()) else {
                    continue;
                };
                let named = met.iter().find(|m| {
                    m.head.as_deref() == Some(head.as_str())
                        && has_name(&m.party)
                        && m.at > f.no
                        && m.at <= f.no + CATAPHORA_SENTENCES
                });
                if let Some(m) = named {
                    a.speaker = m.party.clone();
                }
            }
        }
    }

    fn slice(&self, toks: &[Tok<'_>]) -> &'a str {
        match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => &self.text[a.start..b.end],
            _ => "",
        }
    }

    fn selector(&self, start: usize, end: usize) -> Selector {
        let before = &self.text[..start];
        let prefix_start = before.char_indices().rev().nth(SELECTOR_CONTEXT - 1).map_or(0, |(i, _)| i);
        let after = &self.text[end..];
        let suffix_end = after.char_indices().nth(SELECTOR_CONTEXT).map_or(after.len(), |(i, _)| i);
        Selector {
            exact: self.text[start..end].to_owned(),
            prefix: self.text[prefix_start..start].to_owned(),
            suffix: after[..suffix_end].to_owned(),
        }
    }

    fn sentence(&mut self, s: &Sentence<'a>, pending: &mut Vec<Pending>) -> Option<Found> {
        let toks = &s.toks[dateline_end(&s.toks)..];
        let lx = self.lexicon;
        let quotes = quote_pairs(toks);
        let quoted = |i: usize| quotes.iter().any(|&(o, c)| o < i && i < c);

        let mut attributions: Vec<Attribution> = Vec::new();
        let mut claim: Option<(usize, usize)> = None;
        let mut primary: Option<Party> = None;

        // A speech verb, its subject and its complement.
        let mut i = 0;
        while i < toks.len() && claim.is_none() {
            if quoted(i) {
                i += 1;
                continue;
            }
            // "des menaces telles que rapportées par Sky News": not the sentence's speech verb.
            if let Some((len, ())) = lx.described_by.at(&toks[i..]) {
                i += len;
                continue;
            }
            if let Some((len, stance)) = lx.verbs.at(&toks[i..]) {
                // "a apporté un démenti : « … », a déclaré X": after an indefinite article, a
                // verb's form is a noun; the verb is further on.
                if i > 0 && toks[i - 1].word && lx.indefinite.contains(&toks[i - 1].fold) {
                    i += len;
                    continue;
                }
                if let Some(r) = self.reported(toks, &quotes, i, i + len) {
                    let cue = self.slice(&toks[aux_start(toks, i, lx)..i + len]).to_owned();
                    let chains: Vec<Vec<Party>> = if r.separate_relays && r.relays.len() > 1 {
                        r.relays.iter().map(|p| vec![p.clone()]).collect()
                    } else {
                        vec![r.relays.clone()]
                    };
                    for speaker in &r.speakers {
                        for relays in &chains {
                            attributions.push(Attribution {
                                speaker: speaker.clone(),
                                relays: relays.clone(),
                                stance: *stance,
                                cue: cue.clone(),
                            });
                        }
                    }
                    primary = r.speakers.first().cloned();
                    claim = Some(r.claim);
                    break;
                }
                i += len;
                continue;
            }
            i += 1;
        }

        // Source markers: "Selon X, …", "…, d'après X." Before a speech verb's attribution, or
        // after it at the end ("…, the sources said, according to Politico"), they are its
        // relays; otherwise they are speakers.
        let mut i = 0;
        while i < toks.len() {
            if quoted(i) {
                i += 1;
                continue;
            }
            let marker = lx
                .source_markers
                .at(&toks[i..])
                .or_else(|| (i == 0).then(|| lx.initial_source_markers.at(&toks[i..])).flatten());
            let Some((len, ())) = marker else {
                i += 1;
                continue;
            };
            let np_end = phrase_end(toks, i + len);
            // "Selon les sources du renseignement citées par la chaîne": the sources speak, the
            // channel relayed them.
            let (np, via) = self.cut_relayed(&toks[i + len..np_end]);
            let parties = self.parties(np);
            let cue = self.slice(&toks[i..i + len]).to_owned();
            if parties.is_empty() {
                i = np_end;
                continue;
            }
            let asserted = |parties: Vec<Party>| {
                attributed(parties, Stance::Asserts, &cue)
                    .map(|a| Attribution { relays: via.clone(), ..a })
                    .collect::<Vec<_>>()
            };
            let outside_claim = i == 0 || claim.is_some_and(|(_, end)| i >= end && verb_before(toks, i, lx));
            match claim {
                Some(_)
                    if !attributions.is_empty()
                        && attributions.iter().all(|a| a.stance != Stance::Context)
                        && outside_claim =>
                {
                    for a in &mut attributions {
                        a.relays.extend(parties.iter().cloned());
                    }
                }
                Some(_) => attributions.extend(asserted(parties)),
                None => {
                    // The claim is the rest of the sentence: after the marker's phrase when the
                    // sentence begins with it, before it otherwise.
                    let range = if i == 0 || toks[..i].iter().all(|t| !t.word) {
                        let from = if toks.get(np_end).is_some_and(|t| t.is(",")) { np_end + 1 } else { np_end };
                        (from, toks.len())
                    } else {
                        let mut to = i;
                        while to > 0 && !toks[to - 1].word {
                            to -= 1;
                        }
                        (0, to)
                    };
                    if range.1 > range.0 + 2 {
                        claim = Some(range);
                        primary = parties.first().cloned();
                        attributions.extend(asserted(parties));
                    }
                }
            }
            i = np_end;
        }

        // Speech nouns: "malgré les démentis de Donald Trump", "despite Trump's denials".
        for i in 0..toks.len() {
            if quoted(i) {
                continue;
            }
            let Some((len, stance)) = lx.nouns.at(&toks[i..]) else { continue };
            let complementizer =
                |k: usize| toks.get(k).is_some_and(|t| t.word && lx.complementizers.at(&toks[k..]).is_some());
            // Whose words the noun names, and whether their content follows ("an allegation by
            // Putin that…", "the agencies' conclusion that…").
            let (party, stated) = if toks.get(i + len).is_some_and(|t| t.word && lx.of.contains(&t.fold)) {
                let end = phrase_end_before(toks, i + len + 1, lx);
                (self.parties(&toks[i + len + 1..end]).into_iter().next(), complementizer(end))
            } else if let Some((b, e)) = self.possessor(toks, i) {
                (self.parties(&toks[b..e]).into_iter().next(), complementizer(i + len))
            } else {
                (None, false)
            };
            let Some(party) = party else { continue };
            if *stance == Stance::Asserts && claim.is_some() && !stated {
                continue;
            }
            if claim.is_none() {
                let end = concession_start(toks, lx).unwrap_or(toks.len());
                if end > 3 {
                    claim = Some((0, end));
                }
            }
            if claim.is_some() {
                attributions.push(Attribution {
                    speaker: party,
                    relays: vec![],
                    stance: *stance,
                    cue: self.slice(&toks[i..i + len]).to_owned(),
                });
            }
        }

        // Relayed by: "…, cité par Reuters".
        for i in 0..toks.len() {
            if let Some((len, ())) = lx.relayed_by.at(&toks[i..])
                && !quoted(i)
                && (i == 0 || toks[i - 1].is(","))
            {
                let end = phrase_end(toks, i + len);
                let relays: Vec<Party> = self.parties(&toks[i + len..end]);
                if let Some(a) = attributions.first_mut() {
                    a.relays.extend(relays);
                }
            }
        }

        // Contrary to what someone said: "contrairement à ce qu'un de ses conseillers avait
        // affirmé" (that speaker said otherwise).
        if claim.is_some() {
            for i in 0..toks.len() {
                let Some((len, ())) = lx.concessive.at(&toks[i..]).filter(|_| !quoted(i)) else { continue };
                let Some((n, ())) = lx.what.at(&toks[i + len..]) else { continue };
                let from = i + len + n;
                let end = phrase_end(toks, from);
                let Some((v, vlen)) = (from..end).find_map(|v| lx.verbs.at(&toks[v..]).map(|(l, _)| (v, l))) else {
                    continue;
                };
                let cue = self.slice(&toks[i..v + vlen]);
                let speakers = self.parties(&toks[from..aux_start(toks, v, lx).max(from)]);
                attributions.extend(attributed(speakers, Stance::Disputes, cue));
            }
        }

        // Described by: "des menaces telles que rapportées par Sky News": the outlet said what
        // the claim is about.
        if claim.is_some() {
            for i in 0..toks.len() {
                if let Some((len, ())) = lx.described_by.at(&toks[i..])
                    && !quoted(i)
                {
                    let end = phrase_end(toks, i + len);
                    let speakers = self.parties(&toks[i + len..end]);
                    attributions.extend(attributed(speakers, Stance::Context, self.slice(&toks[i..i + len])));
                }
            }
        }

        // Context: "sans mentionner directement la demande présumée de Maduro".
        if let Some(speaker) = primary.clone().or_else(|| attributions.first().map(|a| a.speaker.clone())) {
            for i in 0..toks.len() {
                if let Some((len, ())) = lx.context.at(&toks[i..]) {
                    let end = phrase_end(toks, i + len);
                    let about = text::terms(self.slice(&toks[i + len..end]), lx.language);
                    pending.push(Pending {
                        attribution: Attribution {
                            speaker: speaker.clone(),
                            relays: vec![],
                            stance: Stance::Context,
                            cue: self.slice(&toks[i..i + len]).to_owned(),
                        },
                        about,
                    });
                }
            }
        }

        // "X told The Associated Press that … « … », he said.": the next sentence's quote, given
        // by a pronoun, reached the newsroom the same way.
        if self.pronoun.get()
            && let (Some(last), (at, relays)) = (&self.last_speaker, &self.last_relays)
            && at + 1 == self.sentence_no
        {
            for a in attributions.iter_mut().filter(|a| a.relays.is_empty() && a.speaker == *last) {
                a.relays = relays.clone();
            }
        }
        if let Some(p) = primary.as_ref().or_else(|| attributions.first().map(|a| &a.speaker)) {
            self.last_speaker = Some(p.clone());
            let relays = attributions.iter().find(|a| a.speaker == *p).map(|a| a.relays.clone()).unwrap_or_default();
            self.last_relays = (self.sentence_no, relays);
        }
        for a in &attributions {
            for p in std::iter::once(&a.speaker).chain(&a.relays) {
                self.meet(None, p);
            }
        }
        let (from, to) = claim?;
        let to = trim_claim(toks, from, to, lx);
        if to <= from || attributions.is_empty() {
            return None;
        }
        // A claim that calls what it answers false is a denial: "Ces accusations sont ridicules".
        let claim_words = &toks[from..to];
        if (0..claim_words.len()).any(|k| lx.denial_words.at(&claim_words[k..]).is_some()) {
            for a in attributions.iter_mut().filter(|a| a.stance == Stance::Asserts) {
                a.stance = Stance::Denies;
            }
        }
        dedup_attributions(&mut attributions);
        let claim_toks = &toks[from..to];
        let published = self.published;
        let dates = dates::find(toks, lx, published.unwrap_or_default())
            .into_iter()
            .map(|d| {
                let (a, b) = (toks[d.first].start, toks[d.last].end);
                DateMention {
                    expression: self.text[a..b].to_owned(),
                    value: published.and_then(|_| d.value()),
                    start: self.offsets.at(a),
                    end: self.offsets.at(b),
                }
            })
            .collect();
        let numbers = self.numbers(toks);
        let claim_text = normalise(self.slice(claim_toks));
        Some(Found {
            no: self.sentence_no,
            sentence: (s.start, s.end),
            claim: (claim_toks[0].start, claim_toks[claim_toks.len() - 1].end),
            terms: text::terms(&claim_text, lx.language),
            attributions,
            dates,
            numbers,
        })
    }

    fn numbers(&self, toks: &[Tok<'_>]) -> Vec<NumberMention> {
        let found = numbers::find(toks, self.lexicon);
        found
            .iter()
            .map(|n| {
                let t = &toks[n.index];
                let (check, detail) = match &n.check {
                    None => (None, None),
                    Some(numbers::Check::Part) => (Some("part"), None),
                    Some(numbers::Check::Total { sum, parts }) => {
                        let terms: Vec<String> = parts.iter().map(|p| format_number(*p)).collect();
                        let ok = (sum - n.value).abs() < 1e-9;
                        let detail = if ok {
                            format!("{} = {}", terms.join(" + "), format_number(*sum))
                        } else {
                            format!("{} = {}, not {}", terms.join(" + "), format_number(*sum), format_number(n.value))
                        };
                        (Some(if ok { "total_ok" } else { "total_mismatch" }), Some(detail))
                    }
                };
                NumberMention {
                    text: t.text.to_owned(),
                    value: n.value,
                    start: self.offsets.at(t.start),
                    end: self.offsets.at(t.end),
                    check,
                    detail,
                }
            })
            .collect()
    }

    /// The subject and complement of the speech verb at `v..ve`, if it reports a claim.
    fn reported(&mut self, toks: &[Tok<'a>], quotes: &[(usize, usize)], v: usize, ve: usize) -> Option<Reported> {
        let lx = self.lexicon;
        let a = aux_start(toks, v, lx);
        let sentence_end = last_word_end(toks);
        // A verb whose object is the relay: "told Reuters".
        let told = lx.relayed_by.at(&toks[v..ve]).is_some_and(|(n, _)| n == ve - v);

        // Passive: "L'information a été démentie par le Quai d'Orsay", "the report was denied by
        // the ministry": the agent speaks; the claim is the sentence's subject, often a pointer
        // to a claim before ("l'information"), so the sentence is proposed whole.
        if toks[a..v].iter().any(|t| t.word && lx.passive.contains(&t.fold)) {
            let agent = self.skip_insertions(toks, ve);
            if toks.get(agent).is_some_and(|t| t.word && lx.agent.contains(&t.fold)) {
                let end = phrase_end(toks, agent + 1);
                let mut speakers = self.parties(&toks[agent + 1..end]);
                let mut relays = Vec::new();
                // "…a été rapportée par Sky News, qui citait des sources du renseignement": the
                // agent relayed whom it cited.
                let mut k = end;
                if toks.get(k).is_some_and(|t| t.is(",")) {
                    k += 1;
                }
                if toks.get(k).is_some_and(|t| t.word && matches!(t.fold.as_str(), "qui" | "which" | "who")) {
                    k += 1;
                }
                if let Some((n, ())) = lx.citing.at(&toks[k.min(toks.len())..]) {
                    let cited_end = phrase_end(toks, k + n);
                    let cited = self.parties(&toks[k + n..cited_end]);
                    if !cited.is_empty() && speakers.iter().all(Party::is_press) {
                        relays = std::mem::replace(&mut speakers, cited);
                    }
                }
                if !speakers.is_empty() && a > 0 {
                    return Some(Reported { speakers, relays, separate_relays: false, claim: (0, toks.len()) });
                }
            }
            return None;
        }

        // Postposed: "« … », a déclaré X", "…, a affirmé X", "\"…,\" said X".
        let opens = |t: &Tok<'_>| t.is("«") || t.is("“") || t.is("\"");
        let complement_follows = toks
            .get(ve)
            .is_some_and(|t| t.is(":") || opens(t) || (t.word && lx.complementizers.at(&[t.fold.as_str()]).is_some()))
            || (toks.get(ve).is_some_and(|t| t.is(",")) && toks.get(ve + 1).is_some_and(opens));
        let after_quote = a > 0 && quotes.iter().any(|&(_, c)| c + 1 == a);
        // "…, also said Russia is committed to…": a clause after the verb (an auxiliary before
        // the next comma) is its complement, not a postposed speaker. Accents count here: "à
        // l'AFP" holds no "a".
        let clause_after = toks[ve..sentence_end]
            .iter()
            .take_while(|t| !t.is(","))
            .any(|t| t.word && !t.cap() && lx.auxiliaries.contains(&t.text.to_lowercase()));
        if a > 0 && (toks[a - 1].is(",") || after_quote) && ve < sentence_end && !complement_follows && !clause_after {
            let (speakers, relays) = self.speaker_after(toks, ve, sentence_end);
            if !speakers.is_empty() {
                let claim = match quotes.iter().find(|&&(_, c)| c + 1 == a - 1 || c + 2 == a || c + 1 == a) {
                    Some(&(o, c)) => (o + 1, c),
                    None => (0, a - 1),
                };
                return (claim.1 > claim.0).then_some(Reported { speakers, relays, separate_relays: false, claim });
            }
        }
        // Postposed, subject first: "\"…,\" the minister said." / "…, the New York Times
        // reported on Thursday, citing two people briefed on the matter."
        let tail = &toks[ve..];
        let citing_at = (1..tail.len()).find(|&k| tail[k - 1].is(",") && lx.citing.at(&tail[k..]).is_some());
        let before_citing = &tail[..citing_at.map_or(tail.len(), |k| k - 1)];
        let short_tail = before_citing.iter().filter(|t| t.word).count() <= 6
            && !before_citing.iter().any(|t| t.word && lx.complementizers.at(&[t.fold.as_str()]).is_some())
            && !before_citing.iter().any(|t| t.is("«") || t.is("“") || t.is("\"") || t.is(":"));
        if (ve >= sentence_end || short_tail)
            && let Some(comma) = toks[..a].iter().rposition(|t| t.is(","))
        {
            let mut speakers = self.parties(&toks[comma + 1..a]);
            if !speakers.is_empty() && a - comma <= 9 {
                let claim = match quotes.iter().find(|&&(_, c)| c + 1 == comma || c == comma + 1) {
                    Some(&(o, c)) => (o + 1, c),
                    None => (0, comma),
                };
                let mut relays = Vec::new();
                // "… told Reuters on Tuesday."
                if told {
                    let end = before_citing.iter().position(|t| !t.cap() && t.word).unwrap_or(before_citing.len());
                    relays.extend(self.parties(&before_citing[..end]).into_iter().filter(Party::is_press));
                }
                if let Some(k) = citing_at {
                    let (n, ()) = lx.citing.at(&tail[k..]).unwrap_or((1, &()));
                    let end = phrase_end(tail, k + n);
                    let cited = self.parties(&tail[k + n..end]);
                    if !cited.is_empty() {
                        relays = std::mem::replace(&mut speakers, cited);
                    }
                }
                if claim.1 > claim.0 {
                    let separate_relays = relays.len() > 1;
                    return Some(Reported { speakers, relays, separate_relays, claim });
                }
            }
        }

        // Preposed: the subject is before the verb.
        let Subject { mut speakers, start: subject_start, mut relays } = self.subject(&toks[..a], quotes);
        if speakers.is_empty() {
            return None;
        }
        // "told Reuters", "a déclaré à l'agence TASS".
        let mut j = ve;
        if told {
            let end = phrase_end_before(toks, j, lx);
            let rs = self.parties(&toks[j..end]);
            if rs.iter().all(Party::is_press) {
                relays.extend(rs);
            }
            j = end;
        }
        j = self.skip_insertions(toks, j);
        if toks.get(j).is_some_and(|t| t.word && lx.relay_to.contains(&t.fold)) {
            let end = phrase_end_before(toks, j + 1, lx);
            let rs = self.parties(&toks[j + 1..end]);
            if !rs.is_empty() && rs.iter().all(Party::is_press) {
                relays.extend(rs);
                j = end;
            }
        }
        // "citant des sources proches de…": the subject relays them.
        let mut separate_relays = false;
        let window = ve..toks.len().min(ve + 24);
        for k in window.clone() {
            if let Some((len, ())) = lx.citing.at(&toks[k..]).filter(|_| k == ve || toks[k - 1].is(",")) {
                let end = phrase_end_before(toks, k + len, lx);
                let cited = self.parties(&toks[k + len..end]);
                if !cited.is_empty() {
                    relays = std::mem::take(&mut speakers);
                    speakers = cited;
                    separate_relays = true;
                }
                break;
            }
        }
        // "said he had two sources for the report that…": a new subject after the verb means
        // its complement began there; a later "that" is not the verb's.
        let complementizer = window
            .take_while(|&k| {
                !(toks[k].is(".") || toks[k].is(";") || (toks[k].word && lx.pronouns.contains(&toks[k].fold)))
            })
            .find(|&k| !quotes.iter().any(|&(o, c)| o < k && k < c) && lx.complementizers.at(&toks[k..]).is_some());
        let claim = if let Some(c) = complementizer {
            (c + 1, toks.len())
        } else if let Some(&(o, c)) = quotes.iter().find(|&&(o, _)| o == j || (o == j + 1 && toks[j].is(":"))) {
            (o + 1, c)
        } else if toks.get(j).is_some_and(|t| t.word && !t.cap() && is_infinitive(t, lx)) {
            (subject_start, clause_end(toks, j, lx))
        } else if lx.language == "en"
            && toks.get(j).is_some_and(|t| {
                t.word && (t.cap() || lx.determiners.contains(&t.fold) || lx.pronouns.contains(&t.fold))
            })
            && toks.len() - j >= 5
        {
            (j, toks.len())
        } else if lx.object_verbs.at(&toks[v..]).is_some() && toks.get(j).is_some_and(|t| t.word) {
            (subject_start, clause_end(toks, j, lx))
        } else if let Some(&(o, c)) =
            quotes.iter().find(|&&(_, c)| c < subject_start && toks[c + 1..subject_start].iter().all(|t| !t.word))
        {
            // "\"…,\" the minister said on Tuesday."
            (o + 1, c)
        } else {
            return None;
        };
        (claim.1 > claim.0 + 1).then_some(Reported { speakers, relays, separate_relays, claim })
    }

    /// Speaker and relays after a postposed verb: "a déclaré le porte-parole, Dmitri Peskov, à
    /// l'agence de presse TASS."
    fn speaker_after(&mut self, toks: &[Tok<'a>], from: usize, to: usize) -> (Vec<Party>, Vec<Party>) {
        let lx = self.lexicon;
        let mut speakers: Vec<Party> = Vec::new();
        let mut relays = Vec::new();
        for segment in toks[from..to].split(|t| t.is(",")) {
            // "a déclaré mercredi à l'AFP le ministère…": past the date, the relay, then the
            // speaker.
            let mut segment = segment;
            // (Dates only: folded, "à" is the auxiliary "a".)
            while segment.first().is_some_and(|t| self.is_date_word(t)) {
                segment = &segment[1..];
            }
            if segment.first().is_some_and(|t| t.word && lx.relay_to.contains(&t.fold))
                && let Some(next) = (2..segment.len()).find(|&k| {
                    segment[k].word && lx.determiners.contains(&segment[k].fold) && !lx.of.contains(&segment[k].fold)
                })
            {
                let rs = self.parties(&segment[1..next]);
                if !rs.is_empty() && rs.iter().all(Party::is_press) {
                    relays.extend(rs);
                    segment = &segment[next..];
                }
            }
            let Some(first) = segment.first() else { continue };
            if let Some((n, ())) = lx.relayed_by.at(segment) {
                relays.extend(self.parties(&segment[n..]));
                continue;
            }
            if first.word && lx.relay_to.contains(&first.fold) {
                let rs = self.parties(&segment[1..]);
                if rs.iter().any(Party::is_press) {
                    relays.extend(rs);
                    continue;
                }
                // "à plusieurs reprises", "à Moscou": not a relay, not a speaker.
                continue;
            }
            // Cut "à l'agence TASS" off a segment that holds the name too.
            let cut = segment.iter().position(|t| t.word && lx.relay_to.contains(&t.fold)).unwrap_or(segment.len());
            if cut < segment.len() {
                let rs = self.parties(&segment[cut + 1..]);
                if rs.iter().any(Party::is_press) {
                    relays.extend(rs);
                }
            }
            let parties = self.parties(&segment[..cut]);
            // An apposition names the one the description before it described.
            match (speakers.last(), parties.first()) {
                (Some(prev), Some(p)) if !has_name(prev) && has_name(p) => {
                    // "le porte-parole de la présidence russe, Dmitri Peskov": later, "le
                    // porte-parole" is Peskov.
                    let head =
                        tokens(&prev.name, 0).into_iter().find(|t| lx.heads.contains_key(&t.fold)).map(|t| t.fold);
                    self.meet(head.as_deref(), p);
                    speakers.pop();
                    speakers.extend(parties);
                }
                (None, _) => speakers.extend(parties),
                _ => {}
            }
        }
        (speakers, relays)
    }

    /// The subject of a preposed speech verb: the last comma-separated part before it that can
    /// name someone ("Cette semaine, la Russie a…"; "Peskov, sans mentionner …, a souligné").
    /// A subject that cites someone between commas ("The New York Times, citing four officials,
    /// reported") or that someone relayed ("…, cité par Le Monde, estime") comes with its relays.
    fn subject(&mut self, toks: &[Tok<'a>], quotes: &[(usize, usize)]) -> Subject {
        let mut cited = Vec::new();
        let (speakers, start, relayed_by) = self.subject_parts(toks, quotes, &mut cited);
        if cited.is_empty() || speakers.is_empty() {
            Subject { speakers, start, relays: relayed_by }
        } else {
            Subject { speakers: cited, start, relays: speakers }
        }
    }

    /// The subject's speakers, where it starts and who relayed it; whom it cites goes to `cited`.
    fn subject_parts(
        &mut self,
        toks: &[Tok<'a>],
        quotes: &[(usize, usize)],
        cited: &mut Vec<Party>,
    ) -> (Vec<Party>, usize, Vec<Party>) {
        let lx = self.lexicon;
        // The subject cannot reach back past a quotation or a clause's end.
        let clause = toks.iter().rposition(|t| t.is(";") || t.is(":")).map_or(0, |p| p + 1);
        let quoted = quotes.iter().filter(|&&(_, c)| c < toks.len()).map(|&(_, c)| c + 1).max().unwrap_or(0);
        let begin = clause.max(quoted);
        let segments: Vec<(usize, &[Tok<'a>])> = {
            let mut out = Vec::new();
            let mut s = begin;
            for (k, t) in toks.iter().enumerate().skip(begin) {
                if t.is(",") {
                    out.push((s, &toks[s..k]));
                    s = k + 1;
                }
            }
            out.push((s, &toks[s..]));
            out
        };
        for (start, segment) in segments.into_iter().rev() {
            let Some(first) = segment.iter().find(|t| t.word) else { continue };
            if let Some((n, ())) = lx.citing.at(segment) {
                *cited = self.parties(&segment[n..]);
                continue;
            }
            if lx.context.at(segment).is_some()
                || lx.source_markers.at(segment).is_some()
                || lx.concessive.at(segment).is_some()
                || lx.relayed_by.at(segment).is_some()
                || lx.anonymity.at(segment).is_some()
                || matches!(first.fold.as_str(), "qui" | "who" | "which" | "dont" | "whose")
            {
                continue;
            }
            // A subject ends where its verb's auxiliary begins ("… Journal sont allés …").
            let segment = match segment.iter().position(|t| t.word && !t.cap() && lx.auxiliaries.contains(&t.fold)) {
                Some(p) if p > 0 => &segment[..p],
                _ => segment,
            };
            // "George Papadopoulos, l'ancien conseiller de Donald Trump qui a reconnu…": the
            // relative's antecedent, named in the apposition before it when the description
            // does not name it.
            if let Some(rel) = segment.iter().position(|t| t.word && matches!(t.fold.as_str(), "qui" | "who"))
                && rel > 0
            {
                let described = self.parties(&segment[..rel]);
                if described.iter().all(|p| !has_name(p)) && start > begin + 1 {
                    let named = self.named_before(&toks[begin..start - 1]);
                    if !named.is_empty() {
                        return (named, start, Vec::new());
                    }
                }
                if !described.is_empty() {
                    return (described, start, Vec::new());
                }
            }
            // "L'historien Nicolas Werth, directeur de recherche au CNRS cité par Le Monde,
            // estime…": a description after a name describes that name (and "cité par …" is who
            // relayed it, not who speaks).
            let (segment, relays) = self.cut_relayed(segment);
            // The description's head is a title: its first word, or its last after a possessive
            // ("the ministry's spokeswoman").
            let is_title = |t: &Tok<'_>| t.word && !t.cap() && lx.heads.get(&t.fold) == Some(&SourceKind::Person);
            let head = segment.iter().find(|t| t.word && !lx.determiners.contains(&t.fold));
            let titled = head.is_some_and(is_title)
                || (segment.len() > 2
                    && segment.last().is_some_and(is_title)
                    && segment[segment.len() - 2].fold == "s");
            if start > begin + 1 && titled {
                let named = self.named_before(&toks[begin..start - 1]);
                if !named.is_empty() {
                    return (named, start, relays);
                }
            }
            if segment.len() == 1 && lx.pronouns.contains(&first.fold) {
                self.pronoun.set(true);
                return (self.last_speaker.clone().into_iter().collect(), start, relays);
            }
            let sentence_initial = start == 0 && std::ptr::eq(first, &toks[0]);
            // ("Iran's state radio": a possessive name.)
            let qualifies = lx.determiners.contains(&first.fold)
                || lx.quantifiers.contains(&first.fold)
                || lx.heads.contains_key(&first.fold)
                || (first.cap()
                    && (!sentence_initial
                        || segment.iter().filter(|t| t.word).count() == 1
                        || segment.get(1).is_some_and(|t| {
                            t.cap()
                                || (lx.language == "en" && t.fold == "s")
                                || (t.is(".") && first.text.chars().count() == 1)
                        })));
            if !qualifies {
                continue;
            }
            let parties = self.parties(segment);
            if !parties.is_empty() {
                return (parties, start, relays);
            }
        }
        (Vec::new(), 0, Vec::new())
    }

    /// A noun phrase without its "cité par …" / "quoted by …" part, and the parties that part
    /// names: "les sources du renseignement citées par la chaîne" is the sources, relayed by the
    /// channel.
    fn cut_relayed<'t>(&self, np: &'t [Tok<'a>]) -> (&'t [Tok<'a>], Vec<Party>) {
        match (1..np.len()).find_map(|k| self.lexicon.relayed_by.at(&np[k..]).map(|(n, ())| (k, n))) {
            Some((k, n)) => (&np[..k], self.parties(&np[k + n..])),
            None => (np, Vec::new()),
        }
    }

    /// The named parties of the comma-separated part that ends `toks`, which an apposition after
    /// it describes: the phrase's names, else the name that ends it ("des révélations
    /// concernant George Papadopoulos, l'ancien conseiller…").
    fn named_before(&self, toks: &[Tok<'a>]) -> Vec<Party> {
        let before = toks.rsplit(|t| t.is(",")).next().unwrap_or_default();
        let named: Vec<Party> = self.parties(before).into_iter().filter(has_name).collect();
        if !named.is_empty() {
            return named;
        }
        let tail = before.iter().rposition(|t| !(t.cap() || (t.word && is_particle(&t.fold)))).map_or(0, |p| p + 1);
        self.parties(&before[tail..]).into_iter().filter(has_name).collect()
    }

    /// The parties a noun phrase names: "Le Miami Herald et le Wall Street Journal" is two.
    fn parties(&self, toks: &[Tok<'a>]) -> Vec<Party> {
        let lx = self.lexicon;
        let toks = trim_punct(toks);
        if toks.is_empty() {
            return Vec::new();
        }
        // Split on "et"/"and" when both sides are named and the right one starts anew.
        let mut pieces: Vec<&[Tok<'a>]> = Vec::new();
        let mut start = 0;
        for k in 1..toks.len().saturating_sub(1) {
            let t = &toks[k];
            if t.word && lx.and.contains(&t.fold) {
                let right = &toks[k + 1..];
                let left = &toks[start..k];
                let starts_anew = right.first().is_some_and(|r| r.cap() || lx.determiners.contains(&r.fold));
                if starts_anew && left.iter().any(Tok::cap) && right.iter().any(Tok::cap) {
                    pieces.push(left);
                    start = k + 1;
                }
            }
        }
        pieces.push(&toks[start..]);
        pieces.into_iter().filter_map(|piece| self.party(piece)).collect()
    }

    fn party(&self, toks: &[Tok<'a>]) -> Option<Party> {
        let lx = self.lexicon;
        let mut toks = trim_punct(toks);
        // "un responsable américain sous couvert d'anonymat": the speaker without the phrase.
        if let Some(k) = (0..toks.len()).find(|&k| lx.anonymity.at(&toks[k..]).is_some()) {
            toks = trim_punct(&toks[..k]);
        }
        // "… Jean-Yves Le Drian le 28 janvier": the date is not the speaker's.
        while toks.len() > 1
            && toks.last().is_some_and(|t| {
                self.is_date_word(t)
                    || lx.months.contains(&t.fold)
                    || (t.word && t.text.bytes().all(|b| b.is_ascii_digit()))
                    || (t.word && !t.cap() && lx.determiners.contains(&t.fold))
            })
        {
            toks = trim_punct(&toks[..toks.len() - 1]);
        }
        if toks.len() > 16 {
            return None;
        }
        // A clause is nobody: "said he had two sources for the report that…" does not name
        // "he had two sources…" (a pronoun with a verb after it, or a "that"/"que" inside).
        if toks.len() > 1
            && (lx.pronouns.contains(&toks[0].fold)
                || (1..toks.len())
                    .any(|k| toks[k].word && !toks[k].cap() && lx.complementizers.at(&toks[k..]).is_some()))
        {
            return None;
        }
        // "cette source", "this official": the latest party of the kind the head names ("cette
        // source" is the anonymous source quoted before, not the ministry quoted since), else
        // the last speaker.
        if toks.first().is_some_and(|t| t.word && lx.demonstratives.contains(&t.fold))
            && toks.len() <= 5
            && let Some(kind) = toks.iter().find_map(|t| lx.heads.get(&t.fold))
        {
            let latest = self.met.borrow().iter().rev().find(|m| m.party.kind == *kind).map(|m| m.party.clone());
            return latest.or_else(|| self.last_speaker.clone());
        }
        // "NATO spokeswoman Oana Lungescu", "le président russe Vladimir Poutine": the name
        // after the last title.
        let title = |t: &Tok<'_>| t.word && lx.heads.get(&t.fold) == Some(&SourceKind::Person);
        // "Prime Minister Anna Berg's spokesman": someone the name describes, not the name.
        if toks.len() > 2
            && toks.last().is_some_and(title)
            && toks[toks.len() - 2].fold == "s"
            && toks[toks.len() - 3].cap()
        {
            return Some(Party { name: self.slice(toks).to_owned(), kind: SourceKind::OfficialBody, source_id: None });
        }
        // "A spokesman for President Vladimir Putin": the name is the complement's, not the
        // speaker's; the description stands (and the next sentences may name it).
        let last_title = toks.iter().rposition(title);
        let complement_title = last_title.is_some_and(|last| {
            toks[..last].iter().position(title).is_some_and(|first| {
                first < last && toks[first + 1..last].iter().any(|t| t.word && lx.of.contains(&t.fold))
            })
        });
        if let Some(last_title) = last_title
            && !complement_title
            && !toks[..last_title].iter().any(|t| t.word && lx.heads.get(&t.fold) == Some(&SourceKind::Anonymous))
        {
            // The name right after the title ("Gen. Shaukat Sultan"), or the name that ends the
            // description ("le chef de la diplomatie française Jean-Yves Le Drian"), unless an
            // "of" makes it the title's complement ("porte-parole du Kremlin").
            let mut after = last_title + 1;
            if toks.get(after).is_some_and(|t| t.is(".")) {
                after += 1;
            }
            let name_start = if toks.get(after).is_some_and(|t| t.cap() && !self.is_date_name(t)) {
                Some(after)
            } else {
                let mut b = toks.len();
                while b > after
                    && (toks[b - 1].cap() || (toks[b - 1].word && is_particle(&toks[b - 1].fold) && b < toks.len()))
                {
                    b -= 1;
                }
                // ("ministre de l'Intérieur": the elided article between).
                let complement = |k: usize| toks[k].word && lx.of.contains(&toks[k].fold);
                (b < toks.len()
                    && b > after
                    && toks[b].cap()
                    && !complement(b - 1)
                    && !(b >= 2 && toks[b - 1].word && lx.determiners.contains(&toks[b - 1].fold) && complement(b - 2)))
                .then_some(b)
            };
            if let Some(name_start) = name_start {
                let mut end = name_start;
                while end < toks.len()
                    && (toks[end].cap()
                        || (toks[end].word && is_particle(&toks[end].fold) && toks.get(end + 1).is_some_and(Tok::cap)))
                    && !self.is_date_name(&toks[end])
                {
                    end += 1;
                }
                // Titles abbreviated before the name: "Gen. Shaukat Sultan".
                let mut begin = name_start;
                while begin < end
                    && (title(&toks[begin]) || toks.get(begin + 1).is_some_and(|t| t.is(".")))
                    && end - begin > 1
                {
                    begin += if toks.get(begin + 1).is_some_and(|t| t.is(".")) { 2 } else { 1 };
                }
                let span = &toks[begin..end.min(toks.len())];
                // "Vladimir Putin's spokesman": someone else than the name.
                let possessive = toks.get(end).is_some_and(|t| t.fold == "s") && end + 1 < toks.len();
                if possessive {
                    return Some(Party {
                        name: self.slice(toks).to_owned(),
                        kind: SourceKind::OfficialBody,
                        source_id: None,
                    });
                }
                if !(span.is_empty() || (span.len() == 1 && span[0].acronym())) {
                    let kind = self.known_kind(span).unwrap_or(SourceKind::Person);
                    let party = Party { name: self.slice(span).to_owned(), kind, source_id: None };
                    self.meet(Some(&toks[last_title].fold), &party);
                    return Some(party);
                }
            }
        }
        let definite = toks.first().is_some_and(|t| t.word && lx.definite.contains(&t.fold));
        // Determiners go; quantifiers stay in an unnamed group's name.
        while let Some(first) = toks.first() {
            if first.word && lx.determiners.contains(&first.fold) && toks.len() > 1 {
                toks = trim_punct(&toks[1..]);
            } else {
                break;
            }
        }
        let first = toks.first()?;
        if !first.word {
            return None;
        }
        if toks.len() == 1 && lx.pronouns.contains(&first.fold) {
            self.pronoun.set(true);
            return self.last_speaker.clone();
        }
        if toks.len() == 1 && matches!(first.fold.as_str(), "i" | "we" | "je" | "j" | "nous" | "on" | "you" | "vous") {
            return None;
        }
        // The head: the first word of the description that names a kind of source, before its
        // complement ("un haut responsable policier", "le ministère russe des Affaires…").
        let head_kind = toks
            .iter()
            .skip(usize::from(lx.quantifiers.contains(&first.fold)))
            .take_while(|t| t.word && !t.cap() && !lx.of.contains(&t.fold) || std::ptr::eq(*t, first))
            .find_map(|t| lx.heads.get(&t.fold))
            .copied();
        let whole = self.slice(toks).to_owned();
        if head_kind == Some(SourceKind::Anonymous) || lx.quantifiers.contains(&first.fold) {
            return Some(Party { name: whole, kind: SourceKind::Anonymous, source_id: None });
        }
        let caps: Vec<usize> =
            toks.iter().enumerate().filter(|(_, t)| t.cap() && !self.is_date_name(t)).map(|(k, _)| k).collect();
        let Some(&first_cap) = caps.first() else {
            // "The report said…": the outlet or agency that reported it.
            if definite
                && toks.len() == 1
                && lx.press_items.contains(&first.fold)
                && let Some(press) = self.met.borrow().iter().rev().find(|m| m.party.is_press())
            {
                return Some(press.party.clone());
            }
            // A definite description of someone named before: "le porte-parole", "the
            // newspaper".
            if definite
                && let Some(kind) = head_kind
                && let Some(head) = toks.iter().find(|t| lx.heads.get(&t.fold) == Some(&kind))
                && let Some(party) = self.referent(&head.fold, kind)
            {
                // Later, "le porte-parole du Kremlin" is the same person.
                self.meet(Some(&head.fold), &party);
                return Some(party);
            }
            // A description without a name: "le porte-parole de la présidence russe".
            return match head_kind {
                Some(SourceKind::Person) => {
                    Some(Party { name: whole, kind: SourceKind::OfficialBody, source_id: None })
                }
                Some(kind) => Some(Party { name: whole, kind, source_id: None }),
                None => None,
            };
        };
        let last_cap = *caps.last().unwrap_or(&first_cap);
        let mut name_end = last_cap + 1;
        if toks.get(name_end).is_some_and(|t| t.is(")")) && toks.get(first_cap).is_some() {
            name_end += 1;
        }
        let name = |from: usize, to: usize| self.slice(&toks[from..to]).to_owned();
        let known = self.known_kind(&toks[first_cap..name_end]);
        match head_kind {
            Some(SourceKind::Person)
                if first_cap > 0
                    && (lx.of.contains(&toks[first_cap - 1].fold)
                        || (first_cap > 1
                            && lx.determiners.contains(&toks[first_cap - 1].fold)
                            && lx.of.contains(&toks[first_cap - 2].fold))) =>
            {
                // "le porte-parole du ministère des Affaires étrangères": a description, unless
                // the same title named someone in the last sentences ("le porte-parole de la
                // présidence russe" was Dmitri Peskov; "le porte-parole du Kremlin" is too).
                let head = toks.iter().find(|t| lx.heads.get(&t.fold) == Some(&SourceKind::Person));
                let recent = head.filter(|_| definite).and_then(|h| self.recently_titled(&h.fold));
                Some(recent.unwrap_or(Party { name: whole, kind: SourceKind::OfficialBody, source_id: None }))
            }
            Some(SourceKind::Person) => {
                // "le président russe Vladimir Poutine": the last run of capitalised toks.
                let mut b = last_cap;
                let title = |t: &Tok<'_>| lx.heads.get(&t.fold) == Some(&SourceKind::Person);
                while b > 0
                    && b > first_cap
                    && !title(&toks[b - 1])
                    && (toks[b - 1].cap() || (toks[b - 1].word && is_particle(&toks[b - 1].fold)))
                {
                    b -= 1;
                }
                while b < last_cap && !toks[b].cap() {
                    b += 1;
                }
                Some(Party { name: name(b, last_cap + 1), kind: known.unwrap_or(SourceKind::Person), source_id: None })
            }
            Some(SourceKind::NewsAgency | SourceKind::NewsOutlet) if first_cap > 0 => Some(Party {
                name: name(first_cap, name_end),
                kind: known.or(head_kind).unwrap_or(SourceKind::NewsOutlet),
                source_id: None,
            }),
            Some(kind) => {
                // "une étude du Centre …": the name after "du"; "le ministère (russe) des
                // Affaires étrangères": the whole description (an official body's complement is
                // its remit, not someone else).
                let named_after = kind != SourceKind::OfficialBody
                    && first_cap >= 2
                    && toks[first_cap - 1].word
                    && lx.of.contains(&toks[first_cap - 1].fold)
                    && first_cap == 2;
                // "Iran's state radio": the name is the owner's, the description the speaker.
                let possessive = toks.get(name_end).is_some_and(|t| t.fold == "s") && name_end + 1 < toks.len();
                if named_after {
                    Some(Party { name: name(first_cap, name_end), kind: known.unwrap_or(kind), source_id: None })
                } else if possessive {
                    Some(Party { name: whole, kind, source_id: None })
                } else if first_cap == 0 {
                    Some(Party { name: name(0, name_end.max(1)), kind: known.unwrap_or(kind), source_id: None })
                } else {
                    Some(Party { name: whole, kind: known.unwrap_or(kind), source_id: None })
                }
            }
            None => {
                if first_cap > 0 && toks[..first_cap].iter().any(|t| t.word) {
                    // Lower-case words before the name that are not a known description:
                    // not a speaker ("la demande présumée de Maduro").
                    return None;
                }
                // The first run of capitalised toks, through connectors between two of them
                // ("Banque de France"), not through other words ("Reuters on Tuesday").
                let mut run_end = first_cap + 1;
                loop {
                    match toks.get(run_end) {
                        Some(t) if t.cap() => run_end += 1,
                        // "U.S.": a dot after a single capital letter.
                        Some(t) if t.is(".") && toks[run_end - 1].text.chars().count() == 1 => run_end += 1,
                        Some(t)
                            if t.word
                                && (lx.of.contains(&t.fold) || is_particle(&t.fold))
                                && toks.get(run_end + 1).is_some_and(Tok::cap) =>
                        {
                            run_end += 2
                        }
                        Some(t)
                            if t.is("(")
                                && toks.get(run_end + 1).is_some_and(Tok::acronym)
                                && toks.get(run_end + 2).is_some_and(|t| t.is(")")) =>
                        {
                            run_end += 3
                        }
                        _ => break,
                    }
                }
                let name_end = run_end;
                // "a U.S. official", "a Pakistani official": a nationality before an unnamed
                // source's head.
                let rest = &toks[name_end..];
                if first_cap == 0
                    && !rest.is_empty()
                    && rest.len() <= 2
                    && rest.iter().all(|t| t.word && !t.cap())
                    && rest.last().is_some_and(|t| lx.heads.get(&t.fold) == Some(&SourceKind::Anonymous))
                {
                    return Some(Party { name: whole, kind: SourceKind::Anonymous, source_id: None });
                }
                let span = &toks[first_cap..name_end];
                let kind = known.unwrap_or_else(|| {
                    let had_determiner = self.determined(toks);
                    if span.len() == 1 && span[0].acronym() {
                        SourceKind::Organization
                    } else if had_determiner {
                        SourceKind::OfficialBody
                    } else {
                        SourceKind::Person
                    }
                });
                Some(Party { name: name(first_cap, name_end), kind, source_id: None })
            }
        }
    }

    /// Remembers a party met in the text, with the word that described it.
    fn meet(&self, head: Option<&str>, party: &Party) {
        let mut met = self.met.borrow_mut();
        if party.kind == SourceKind::Anonymous || party.name.starts_with(char::is_uppercase) {
            met.push(Met { head: head.map(str::to_owned), party: party.clone(), at: self.sentence_no });
        }
    }

    /// The named party a definite description stands for: the latest one described by the same
    /// head word, else the latest of the description's kind (an outlet, an agency).
    fn referent(&self, head: &str, kind: SourceKind) -> Option<Party> {
        let met = self.met.borrow();
        met.iter()
            .filter(|m| m.party.kind != SourceKind::Anonymous)
            .rev()
            .find(|m| m.head.as_deref() == Some(head))
            .or_else(|| {
                // An outlet or agency: the latest of its kind; a title ("le porte-parole"): the
                // latest person.
                matches!(kind, SourceKind::NewsOutlet | SourceKind::NewsAgency | SourceKind::Person)
                    .then(|| met.iter().rev().find(|m| m.party.kind == kind))
                    .flatten()
            })
            .map(|m| m.party.clone())
    }

    /// The possessor's tokens before the noun at `i`: "Trump's denials" (without the
    /// possessive "s"), "U.S. intelligence agencies' conclusion" (a plural's apostrophe).
    fn possessor(&self, toks: &[Tok<'a>], i: usize) -> Option<(usize, usize)> {
        let lx = self.lexicon;
        if i >= 2 && toks[i - 1].fold == "s" && toks[i - 2].cap() {
            let mut b = i - 2;
            while b > 0 && toks[b - 1].cap() {
                b -= 1;
            }
            return Some((b, i - 1));
        }
        let owner = toks.get(i.checked_sub(1)?)?;
        let apostrophe = self.text[owner.end..toks[i].start].contains(['’', '\'']);
        if !(owner.word && owner.fold.ends_with('s') && apostrophe) {
            return None;
        }
        // Back over names and at most two lower-case modifiers, to a verb or an article.
        let mut b = i - 1;
        let mut modifiers = 0;
        while b > 0 {
            let t = &toks[b - 1];
            let name_part = t.cap() || (t.is(".") && b >= 2 && toks[b - 2].cap());
            let modifier = t.word
                && !t.cap()
                && modifiers < 2
                && !lx.determiners.contains(&t.fold)
                && !lx.auxiliaries.contains(&t.fold)
                && !lx.of.contains(&t.fold)
                && lx.verbs.at(&toks[b - 1..]).is_none()
                && lx.object_verbs.at(&toks[b - 1..]).is_none();
            if !(name_part || modifier) {
                break;
            }
            modifiers += usize::from(modifier);
            b -= 1;
        }
        toks[b..i].iter().any(Tok::cap).then_some((b, i))
    }

    /// The named party the title `head` described in the last few sentences, if any.
    fn recently_titled(&self, head: &str) -> Option<Party> {
        let met = self.met.borrow();
        met.iter()
            .rev()
            .take_while(|m| m.at + RECENT_SENTENCES >= self.sentence_no)
            .find(|m| m.head.as_deref() == Some(head) && has_name(&m.party))
            .map(|m| m.party.clone())
    }

    /// Whether the words before `toks` in the text end with a determiner ("le Kremlin").
    fn determined(&self, toks: &[Tok<'a>]) -> bool {
        let Some(first) = toks.first() else { return false };
        let before = self.text[..first.start].trim_end_matches(|c: char| c.is_whitespace() || joiner(c));
        let last = tokens(before.rsplit(|c: char| c.is_whitespace()).next().unwrap_or(""), 0);
        // An article, not a preposition that is also a partitive ("de Donald Trump").
        last.last()
            .is_some_and(|t| t.word && self.lexicon.determiners.contains(&t.fold) && !self.lexicon.of.contains(&t.fold))
    }

    fn known_kind(&self, toks: &[Tok<'a>]) -> Option<SourceKind> {
        let words: Vec<&str> = toks.iter().filter(|t| t.word).map(|t| t.fold.as_str()).collect();
        let mut best: Option<SourceKind> = None;
        let rank = |k: SourceKind| match k {
            SourceKind::NewsAgency => 3,
            SourceKind::NewsOutlet => 2,
            _ => 1,
        };
        for k in 0..words.len() {
            if let Some((_, kind)) = self.lexicon.names.at(&words[k..])
                && best.is_none_or(|b| rank(*kind) > rank(b))
            {
                best = Some(*kind);
            }
        }
        // A lone capital city names its government ("Washington"), not a longer name holding it.
        if best == Some(SourceKind::OfficialBody)
            && words.len() > 1
            && self.lexicon.names.at(&words).is_none_or(|(n, _)| n < words.len())
        {
            let whole_is_known = self.lexicon.names.at(&words).is_some_and(|(n, _)| n == words.len());
            if !whole_is_known {
                return None;
            }
        }
        best
    }

    /// Past what may stand between a verb and its complement: dates, adverbs, "sous couvert de
    /// l'anonymat", a comma-enclosed insertion (", sous couvert de l'anonymat,").
    fn skip_insertions(&self, toks: &[Tok<'_>], mut j: usize) -> usize {
        let lx = self.lexicon;
        loop {
            let before = j;
            while j < toks.len()
                && (self.is_date_word(&toks[j])
                    || is_adverb(&toks[j], lx)
                    || (toks[j].word
                        && lx.date_lead_in.contains(&toks[j].fold)
                        && toks.get(j + 1).is_some_and(|t| self.is_date_word(t))))
            {
                j += 1;
            }
            if let Some((n, ())) = lx.anonymity.at(&toks[j.min(toks.len())..]) {
                j += n;
            }
            // "said on Wednesday (February 15) an American media report…"
            if toks.get(j).is_some_and(|t| t.is("("))
                && let Some(close) = (j + 1..toks.len().min(j + 8)).find(|&k| toks[k].is(")"))
            {
                j = close + 1;
            }
            if toks.get(j).is_some_and(|t| t.is(","))
                && let Some(close) = (j + 1..toks.len().min(j + 12)).find(|&k| toks[k].is(","))
                && !(j + 1..close).any(|k| {
                    lx.complementizers.at(&toks[k..]).is_some()
                        || toks[k].is("«")
                        || toks[k].is("“")
                        || toks[k].is("\"")
                })
            {
                j = close + 1;
            }
            if j == before {
                return j;
            }
        }
    }

    /// A day or month name, or a month's abbreviation: never a speaker's name.
    fn is_date_name(&self, t: &Tok<'_>) -> bool {
        let lx = self.lexicon;
        t.word
            && (lx.weekdays.contains(&t.fold)
                || lx
                    .months
                    .iter()
                    .any(|m| *m != t.fold && t.fold.chars().count() >= 3 && m.starts_with(t.fold.as_str())))
    }

    fn is_date_word(&self, t: &Tok<'_>) -> bool {
        t.word
            && (self.lexicon.weekdays.contains(&t.fold)
                || self.lexicon.date_phrases.at(&[t.fold.as_str()]).is_some_and(|(n, _)| n == 1))
    }

    /// Merges candidates that say the same thing into the first of them.
    fn merge(&self, found: Vec<Found>) -> Vec<Candidate> {
        // Each kept candidate, the sentences merged into it, and its grams.
        type Kept = (Found, Vec<(usize, usize)>, text::GramCounts);
        let mut kept: Vec<Kept> = Vec::new();
        for f in found {
            let grams = text::grams(&self.text[f.claim.0..f.claim.1]);
            match kept.iter_mut().find(|(_, _, g)| dice(g, &grams) >= SAME_CLAIM) {
                Some((k, spans, _)) => {
                    spans.push(f.sentence);
                    for a in f.attributions {
                        if !k.attributions.contains(&a) {
                            k.attributions.push(a);
                        }
                    }
                    for d in f.dates {
                        if !k.dates.iter().any(|x| x.expression == d.expression && x.value == d.value) {
                            k.dates.push(d);
                        }
                    }
                }
                None => kept.push((f, Vec::new(), grams)),
            }
        }
        kept.into_iter()
            .map(|(f, spans, _)| {
                let (s, e) = f.sentence;
                Candidate {
                    claim: normalise(&self.text[f.claim.0..f.claim.1]),
                    sentence: self.text[s..e].to_owned(),
                    start: self.offsets.at(s),
                    end: self.offsets.at(e),
                    selector: self.selector(s, e),
                    attributions: f.attributions,
                    dates: f.dates,
                    numbers: f.numbers,
                    merged_spans: spans
                        .into_iter()
                        .map(|(s, e)| Span {
                            start: self.offsets.at(s),
                            end: self.offsets.at(e),
                            selector: self.selector(s, e),
                        })
                        .collect(),
                    matches: Vec::new(),
                }
            })
            .collect()
    }
}

/// A speech verb between the claim and position `i` ("…, the sources said, according to X").
fn verb_before(toks: &[Tok<'_>], i: usize, lx: &Lexicon) -> bool {
    (0..i).rev().take(8).any(|k| lx.verbs.at(&toks[k..]).is_some())
}

/// One attribution a party, without relays: what a source marker ("selon X": each asserts), a
/// "contrairement à ce que X…" (disputes) or a "telles que rapportées par X" (context) says.
fn attributed(parties: Vec<Party>, stance: Stance, cue: &str) -> impl Iterator<Item = Attribution> + '_ {
    parties.into_iter().map(move |speaker| Attribution { speaker, relays: vec![], stance, cue: cue.to_owned() })
}

/// Where a dispatch's dateline ends: "BRUSSELS (Reuters) -", "MOSCOW, Oct 30 (Reuters) -",
/// "Washington (CNN)", "(Reuters) —". Zero when the sentence has none.
fn dateline_end(toks: &[Tok<'_>]) -> usize {
    let Some(open) = toks.iter().take(10).position(|t| t.is("(")) else { return 0 };
    let Some(close) = toks.iter().skip(open).take(5).position(|t| t.is(")")).map(|p| p + open) else { return 0 };
    let inside = &toks[open + 1..close];
    let place = &toks[..open];
    let agency = !inside.is_empty() && inside.iter().all(|t| t.cap() || t.is("/") || t.is("-"));
    let placed = !place.is_empty()
        && place.iter().all(|t| t.cap() || t.is(",") || (t.word && t.text.bytes().all(|b| b.is_ascii_digit())));
    let dash = |t: &Tok<'_>| t.is("-") || t.is("–") || t.is("—");
    // "(Reuters) — The Kremlin said…": no place, then a dash.
    let unplaced = place.is_empty() && toks.get(close + 1).is_some_and(dash);
    if !(agency && (placed || unplaced)) {
        return 0;
    }
    let mut end = close + 1;
    while toks.get(end).is_some_and(dash) {
        end += 1;
    }
    end
}

fn has_name(p: &Party) -> bool {
    p.name.chars().next().is_some_and(char::is_uppercase) && p.kind != SourceKind::Anonymous
}

fn is_particle(w: &str) -> bool {
    matches!(w, "de" | "del" | "da" | "van" | "von" | "bin" | "al" | "el" | "la" | "le" | "di" | "du")
}

fn is_adverb(t: &Tok<'_>, lx: &Lexicon) -> bool {
    t.word
        && !t.cap()
        && (lx.auxiliaries.contains(&t.fold)
            || t.fold.ends_with("ment")
            || (lx.language == "en" && t.fold.ends_with("ly")))
}

/// French infinitives and English gerunds: "a admis avoir", "denied having".
fn is_infinitive(t: &Tok<'_>, lx: &Lexicon) -> bool {
    match lx.language {
        "fr" => ["er", "ir", "re", "oir"].iter().any(|e| t.fold.ends_with(e)) && t.fold.chars().count() > 3,
        "en" => t.fold.ends_with("ing") && t.fold.chars().count() > 4,
        _ => false,
    }
}

/// Where the auxiliaries and adverbs before a verb begin: "a néanmoins souligné".
fn aux_start(toks: &[Tok<'_>], v: usize, lx: &Lexicon) -> usize {
    let mut a = v;
    while a > 0 && is_adverb(&toks[a - 1], lx) {
        // "a également affirmé", not "le renseignement a affirmé": a word in -ment or -ly is an
        // adverb between an auxiliary and its verb only.
        let listed = lx.auxiliaries.contains(&toks[a - 1].fold);
        if !(listed || (a >= 2 && toks[a - 2].word && lx.auxiliaries.contains(&toks[a - 2].fold))) {
            break;
        }
        a -= 1;
    }
    a
}

/// The end of the clause that starts at or before `from`: the next comma, or "et"/"and"
/// followed by another verb's auxiliary, or the end.
fn clause_end(toks: &[Tok<'_>], from: usize, lx: &Lexicon) -> usize {
    for k in from..toks.len() {
        if toks[k].is(",") || toks[k].is(";") || toks[k].is(".") {
            return k;
        }
        if toks[k].word
            && lx.and.contains(&toks[k].fold)
            && toks.get(k + 1).is_some_and(|t| lx.auxiliaries.contains(&t.fold))
        {
            return k;
        }
    }
    toks.len()
}

/// The end of a noun phrase that starts at `from`: the next comma, colon, parenthesis-free
/// full stop or the end of the sentence.
fn phrase_end(toks: &[Tok<'_>], from: usize) -> usize {
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().skip(from) {
        if t.is("(") {
            depth += 1;
        } else if t.is(")") {
            depth -= 1;
        } else if depth <= 0
            && (t.is(",") || t.is(":") || t.is(";") || t.is(".") || t.is("–") || t.is("—") || t.is("«") || t.is("“"))
        {
            return k;
        }
    }
    toks.len()
}

/// A noun phrase's end that also stops at a complementizer: "citant des sources que…".
fn phrase_end_before(toks: &[Tok<'_>], from: usize, lx: &Lexicon) -> usize {
    let end = phrase_end(toks, from);
    (from..end).find(|&k| toks[k].word && lx.complementizers.at(&[toks[k].fold.as_str()]).is_some()).unwrap_or(end)
}

fn last_word_end(toks: &[Tok<'_>]) -> usize {
    toks.iter().rposition(|t| t.word).map_or(0, |p| p + 1)
}

fn trim_punct<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let keep = |t: &Tok<'_>| t.word || t.is(")") || t.is("(");
    let start = toks.iter().position(keep).unwrap_or(toks.len());
    let end = toks.iter().rposition(keep).map_or(start, |p| p + 1);
    let mut s = &toks[start..end.max(start)];
    // An opening parenthesis at the end, or a closing one at the start, is not the phrase's.
    while s.last().is_some_and(|t| t.is("(")) {
        s = &s[..s.len() - 1];
    }
    while s.first().is_some_and(|t| t.is(")")) {
        s = &s[1..];
    }
    s
}

/// Where the concessive or attributive tail of a sentence starts: ", malgré les démentis…",
/// ", selon…", ", d'après…", ", cité par…".
fn concession_start(toks: &[Tok<'_>], lx: &Lexicon) -> Option<usize> {
    (1..toks.len())
        .find(|&k| {
            (toks[k - 1].is(",") || toks[k - 1].is("–") || toks[k - 1].is("—"))
                && (lx.concessive.at(&toks[k..]).is_some()
                    || lx.source_markers.at(&toks[k..]).is_some()
                    || lx.relayed_by.at(&toks[k..]).is_some()
                    || lx.citing.at(&toks[k..]).is_some())
        })
        .map(|k| k - 1)
}

/// The claim's tokens without the tail that attributes it and without closing punctuation.
fn trim_claim(toks: &[Tok<'_>], from: usize, to: usize, lx: &Lexicon) -> usize {
    let mut end = to;
    if let Some(c) = concession_start(&toks[from..to], lx) {
        end = from + c;
    }
    while end > from
        && !toks[end - 1].word
        && !toks[end - 1].is(")")
        && !toks[end - 1].is("»")
        && !toks[end - 1].is("”")
    {
        end -= 1;
    }
    end
}

/// Pairs of quotation marks, by token index: « … », “ … ”, " … ".
fn quote_pairs(toks: &[Tok<'_>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    for (k, t) in toks.iter().enumerate() {
        if t.word {
            continue;
        }
        match (t.text, open) {
            ("«", None) | ("“", None) | ("\"", None) => open = Some((k, t.text)),
            ("»", Some((o, "«"))) | ("”", Some((o, "“"))) | ("\"", Some((o, "\""))) => {
                out.push((o, k));
                open = None;
            }
            _ => {}
        }
    }
    out
}

fn dedup_attributions(list: &mut Vec<Attribution>) {
    let mut seen = Vec::new();
    list.retain(|a| {
        let key =
            (text::fold(&a.speaker.name), a.relays.iter().map(|r| text::fold(&r.name)).collect::<Vec<_>>(), a.stance);
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

/// Claim text as a sentence: quotes around the whole removed, first letter capitalised, a
/// final full stop.
fn normalise(claim: &str) -> String {
    let mut s = claim.trim().to_owned();
    for (open, close) in [('«', '»'), ('“', '”'), ('"', '"')] {
        let inner = s.strip_prefix(open).and_then(|t| t.strip_suffix(close));
        if let Some(inner) = inner.filter(|t| !t.contains(open) && !t.contains(close)) {
            s = inner.trim().to_owned();
        }
    }
    if let Some(first) = s.chars().next()
        && first.is_lowercase()
    {
        let upper: String = first.to_uppercase().collect();
        s.replace_range(..first.len_utf8(), &upper);
    }
    if !s.ends_with(['.', '!', '?', '…']) {
        s = s.trim_end_matches([',', ';', ':']).to_owned();
        s.push('.');
    }
    s
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 { format!("{}", n as i64) } else { format!("{n}") }
}

/// Dice coefficient of two gram sets.
fn dice(a: &text::GramCounts, b: &text::GramCounts) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests;

/// Candidates a reporter chose to track, as an extraction proposed them (possibly edited):
/// `Claims::accept` stores them with their sources and attributions in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    /// The article's address, kept on every attribution with a text fragment that quotes the
    /// candidate's sentence (`#:~:text=`).
    pub url: Option<String>,
    pub language: String,
    /// The article's publication date: the attributions' `published_at`.
    pub published: Option<NaiveDate>,
    pub candidates: Vec<Candidate>,
}

/// Most candidates accepted at once.
pub const MAX_ACCEPTED: usize = 100;

/// A URL text fragment (WICG Text Fragments) quoting `selector` on the page at `url`: browsers
/// scroll to and highlight it, and it survives edits elsewhere on the page. Long quotes are
/// given by their first and last words; prefix and suffix by the words next to them.
pub fn text_fragment_url(url: &str, selector: &Selector) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // Everything but unreserved characters: the directive's own "-", "," and "&" included.
    const DIRECTIVE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'_').remove(b'~');
    let encode = |s: &str| utf8_percent_encode(s, DIRECTIVE).to_string();
    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }
    let exact = words(&selector.exact);
    if exact.is_empty() {
        return url.to_owned();
    }
    let quoted = if exact.len() > 10 {
        format!("{},{}", encode(&exact[..4].join(" ")), encode(&exact[exact.len() - 4..].join(" ")))
    } else {
        encode(&exact.join(" "))
    };
    let prefix = words(&selector.prefix);
    let prefix: Vec<&str> = prefix[prefix.len().saturating_sub(3)..].to_vec();
    let suffix: Vec<&str> = words(&selector.suffix).into_iter().take(3).collect();
    let mut directive = String::new();
    if !prefix.is_empty() {
        directive.push_str(&encode(&prefix.join(" ")));
        directive.push_str("-,");
    }
    directive.push_str(&quoted);
    if !suffix.is_empty() {
        directive.push_str(",-");
        directive.push_str(&encode(&suffix.join(" ")));
    }
    let base = url.split("#").next().unwrap_or(url);
    format!("{base}#:~:text={directive}")
}
