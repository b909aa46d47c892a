//! Numbers in a sentence, and stated totals checked against the parts listed before them:
//! "huit navires de guerre, trois bâtiments d'assaut amphibie et un sous-marin, soit un total
//! de treize" is 8 + 3 + 1 = 12, not 13.

use super::{Tok, lexicon::Lexicon};

#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// Token index in the sentence.
    pub index: usize,
    pub value: f64,
    pub check: Option<Check>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// One of the parts of a stated total.
    Part,
    /// A stated total and the sum of its parts.
    Total { sum: f64, parts: Vec<f64> },
}

fn value(tok: &Tok<'_>, lexicon: &Lexicon) -> Option<f64> {
    if !tok.word {
        return None;
    }
    if tok.text.bytes().all(|b| b.is_ascii_digit()) {
        return tok.text.parse().ok();
    }
    lexicon.number_words.get(&tok.fold).map(|n| *n as f64)
}

/// The numbers of a sentence. Digits, and number words above one ("un", "a" and "one" are
/// only numbers as items of a list that a total sums up).
pub fn find(toks: &[Tok<'_>], lexicon: &Lexicon) -> Vec<Number> {
    let mut out: Vec<Number> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((len, ())) = lexicon.totals.at(&toks[i..]) {
            // "soit un total de treize": the total is the first number after the cue.
            let total_at = (i + len..toks.len().min(i + len + 2)).find(|&j| value(&toks[j], lexicon).is_some());
            if let Some(t) = total_at
                && let Some(parts) = parts_before(toks, i, lexicon)
            {
                let total = value(&toks[t], lexicon).unwrap_or_default();
                let values: Vec<f64> = parts.iter().map(|&p| value(&toks[p], lexicon).unwrap_or_default()).collect();
                let sum = values.iter().sum();
                out.retain(|n| !parts.contains(&n.index));
                for &p in &parts {
                    out.push(Number {
                        index: p,
                        value: value(&toks[p], lexicon).unwrap_or_default(),
                        check: Some(Check::Part),
                    });
                }
                out.push(Number { index: t, value: total, check: Some(Check::Total { sum, parts: values }) });
                i = t + 1;
                continue;
            }
        }
        if let Some(v) = value(&toks[i], lexicon)
            && (v > 1.0 || toks[i].text.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(Number { index: i, value: v, check: None });
        }
        i += 1;
    }
    out.sort_by_key(|n| n.index);
    out
}

/// The items of the list that ends just before a total's cue at `cue`, each beginning with a
/// number ("huit navires, trois bâtiments et un sous-marin, soit…"): their number tokens, when
/// there are at least two.
fn parts_before(toks: &[Tok<'_>], cue: usize, lexicon: &Lexicon) -> Option<Vec<usize>> {
    let mut end = cue;
    while end > 0 && !toks[end - 1].word {
        end -= 1;
    }
    let mut parts = Vec::new();
    let mut i = end;
    // Walk back item by item: an item runs from just after a separator ("," or "et"/"and").
    loop {
        let mut start = i;
        while start > 0 {
            let t = &toks[start - 1];
            if (!t.word && t.text == ",") || (t.word && lexicon.and.contains(&t.fold)) {
                break;
            }
            start -= 1;
        }
        if start == i {
            break;
        }
        if value(&toks[start], lexicon).is_none() {
            // The list's first item may begin with other words ("arrested 12 men"): its
            // last number, which then starts the list.
            let number = |j: &usize| {
                (value(&toks[*j], lexicon).is_some() && toks[*j].text.bytes().all(|b| b.is_ascii_digit()))
                    || lexicon.number_words.get(&toks[*j].fold).is_some_and(|v| *v > 1)
            };
            if let Some(n) = (start..i).rev().find(number)
                && !parts.is_empty()
            {
                parts.push(n);
            }
            break;
        }
        parts.push(start);
        if start == 0 {
            break;
        }
        i = start - 1;
    }
    parts.reverse();
    (parts.len() >= 2).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_that_does_not_add_up_is_found_with_its_parts() {
        let text = "les États-Unis déploieront dans la région, d’ici quelques jours, huit navires de guerre, trois bâtiments d’assaut amphibie et un sous-marin, soit un total de treize marins – leur plus important déploiement depuis la première guerre du Golfe (1990-1991)";
        let toks = super::super::tokens(text, 0);
        let found = find(&toks, Lexicon::of("fr").expect("lexicon"));
        let shown: Vec<(&str, f64, bool)> =
            found.iter().map(|n| (toks[n.index].text, n.value, matches!(n.check, Some(Check::Total { .. })))).collect();
        assert_eq!(
            shown,
            [
                ("huit", 8.0, false),
                ("trois", 3.0, false),
                ("un", 1.0, false),
                ("treize", 13.0, true),
                ("1990", 1990.0, false),
                ("1991", 1991.0, false)
            ]
        );
        let Some(Check::Total { sum, .. }) = &found[3].check else { panic!() };
        assert_eq!(*sum, 12.0);
    }

    #[test]
    fn english_totals_are_checked_too() {
        let text = "Police arrested 12 men, 5 women and two minors, a total of 19 people.";
        let toks = super::super::tokens(text, 0);
        let found = find(&toks, Lexicon::of("en").expect("lexicon"));
        let total = found.iter().find_map(|n| match &n.check {
            Some(Check::Total { sum, .. }) => Some((n.value, *sum)),
            _ => None,
        });
        assert_eq!(total, Some((19.0, 19.0)));
    }
}
