//! Date expressions in a sentence, resolved against the publication date: "dimanche" is the
//! last Sunday, "en mai dernier" the last May, "cette semaine" the week of publication. Each
//! resolves to a range of days; the answer is the most precise partial date that holds it.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::{
    Tok,
    lexicon::{Lexicon, Relative},
};
use crate::domain::PartialDate;

/// A date expression found in a text: its tokens and the days it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Token range in the sentence.
    pub first: usize,
    pub last: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Found {
    /// The most precise partial date holding the whole range: a day, a month or a year.
    pub fn value(&self) -> Option<PartialDate> {
        let (a, b) = (self.from, self.to);
        if a == b {
            Some(PartialDate::Day(a))
        } else if (a.year(), a.month()) == (b.year(), b.month()) {
            Some(PartialDate::Month(a.year(), a.month()))
        } else if a.year() == b.year() {
            Some(PartialDate::Year(a.year()))
        } else {
            None
        }
    }
}

fn add_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 { d.checked_add_days(Days::new(n as u64)) } else { d.checked_sub_days(Days::new(n.unsigned_abs())) }
}

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn month_range(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let start = month_start(year, month)?;
    let end = start.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((start, end))
}

fn relative(r: Relative, published: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let monday = add_days(published, -(published.weekday().num_days_from_monday() as i64))?;
    let (y, m) = (published.year(), published.month());
    Some(match r {
        Relative::Days(a, b) => (add_days(published, a)?, add_days(published, b)?),
        Relative::ThisWeek => (monday, add_days(monday, 6)?),
        Relative::LastWeek => (add_days(monday, -7)?, add_days(monday, -1)?),
        Relative::NextWeek => (add_days(monday, 7)?, add_days(monday, 13)?),
        Relative::ThisMonth => month_range(y, m)?,
        Relative::LastMonth => {
            let last = month_start(y, m)?.pred_opt()?;
            month_range(last.year(), last.month())?
        }
        Relative::ThisYear => (NaiveDate::from_ymd_opt(y, 1, 1)?, NaiveDate::from_ymd_opt(y, 12, 31)?),
        Relative::LastYear => (NaiveDate::from_ymd_opt(y - 1, 1, 1)?, NaiveDate::from_ymd_opt(y - 1, 12, 31)?),
    })
}

const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

/// The weekday `day` nearest the publication date: on or before it, or after it when `future`.
fn weekday(day: Weekday, published: NaiveDate, future: bool) -> Option<NaiveDate> {
    let today = published.weekday().num_days_from_monday() as i64;
    let target = day.num_days_from_monday() as i64;
    if future {
        let ahead = (target - today).rem_euclid(7);
        add_days(published, if ahead == 0 { 7 } else { ahead })
    } else {
        add_days(published, -((today - target).rem_euclid(7)))
    }
}

/// The month `month` (1–12) nearest the publication date: the last one begun (this one
/// included), or the next when `future`; strictly before this one when `strictly_past`.
fn month(month: u32, published: NaiveDate, future: bool, strictly_past: bool) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = (published.year(), published.month());
    let year = if future {
        if month > m { y } else { y + 1 }
    } else if month < m || (month == m && !strictly_past) {
        y
    } else {
        y - 1
    };
    month_range(year, month)
}

fn number(tok: &Tok<'_>) -> Option<u32> {
    (tok.word && tok.text.len() <= 4 && tok.text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| tok.text.parse().ok())
        .flatten()
}

/// The date expressions of a sentence's tokens, in order, none overlapping.
pub fn find(toks: &[Tok<'_>], lexicon: &Lexicon, published: NaiveDate) -> Vec<Found> {
    let words: Vec<&str> = toks.iter().map(|t| t.fold.as_str()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((len, r)) = lexicon.date_phrases.at(&toks[i..]) {
            if let Some((from, to)) = relative(*r, published) {
                out.push(Found { first: i, last: i + len - 1, from, to });
            }
            i += len;
            continue;
        }
        let next = words.get(i + 1).copied();
        let modifier = |w: Option<&str>| match w {
            Some(w) if lexicon.past.contains(w) => Some(false),
            Some(w) if lexicon.future.contains(w) => Some(true),
            _ => None,
        };
        if let Some(d) = lexicon.weekdays.iter().position(|w| w == words[i]) {
            // "jeudi prochain", "last Friday", "next Friday", "Friday".
            let before = i.checked_sub(1).and_then(|p| modifier(words.get(p).copied()));
            let after = modifier(next);
            let future = after.or(before).unwrap_or(false);
            let first = if before.is_some() { i - 1 } else { i };
            let last = if after.is_some() { i + 1 } else { i };
            if let Some(day) = weekday(WEEKDAYS[d], published, future) {
                out.push(Found { first, last, from: day, to: day });
            }
            i = last + 1;
            continue;
        }
        // English writes months with a capital ("May", not the verb "may").
        let month_word = lexicon.language != "en" || toks[i].text.starts_with(char::is_uppercase);
        if let Some(m) = lexicon.months.iter().position(|w| w == words[i]).filter(|_| month_word) {
            let m = m as u32 + 1;
            // "12 mai 2025", "le 3 mars", "May 12, 2025", "mai dernier", "last May", "in May".
            let day_before = i.checked_sub(1).and_then(|p| number(&toks[p])).filter(|d| (1..=31).contains(d));
            let day_after = toks.get(i + 1).and_then(number).filter(|d| (1..=31).contains(d));
            let day = day_before.or(day_after);
            let mut last = if day_after.is_some() { i + 1 } else { i };
            let mut year = None;
            let mut j = last + 1;
            if toks.get(j).is_some_and(|t| !t.word && t.text == ",") {
                j += 1;
            }
            if let Some(y) = toks.get(j).and_then(number).filter(|y| (1000..=2999).contains(y)) {
                year = Some(y as i32);
                last = j;
            }
            let first = if day_before.is_some() { i - 1 } else { i };
            let before =
                if day.is_none() { i.checked_sub(1).and_then(|p| modifier(words.get(p).copied())) } else { None };
            let after = if day.is_none() && year.is_none() { modifier(words.get(last + 1).copied()) } else { None };
            let (first, last) =
                (if before.is_some() { first - 1 } else { first }, if after.is_some() { last + 1 } else { last });
            let future = after.or(before).unwrap_or(false);
            let explicit_past = after.or(before) == Some(false);
            let range = match (day, year) {
                (Some(d), Some(y)) => NaiveDate::from_ymd_opt(y, m, d).map(|d| (d, d)),
                (Some(d), None) => month(m, published, future, false)
                    .and_then(|(start, _)| NaiveDate::from_ymd_opt(start.year(), m, d))
                    .map(|d| (d, d)),
                (None, Some(y)) => month_range(y, m),
                (None, None) => month(m, published, future, explicit_past),
            };
            if let Some((from, to)) = range {
                out.push(Found { first, last, from, to });
            }
            i = last + 1;
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str, language: &str, published: &str) -> Vec<(String, String)> {
        let lexicon = Lexicon::of(language).expect("lexicon");
        let published: NaiveDate = published.parse().expect("date");
        let toks = super::super::tokens(text, 0);
        find(&toks, lexicon, published)
            .into_iter()
            .map(|f| {
                let expression = &text[toks[f.first].start..toks[f.last].end];
                (expression.to_owned(), f.value().map(|v| v.to_string()).unwrap_or_default())
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn french_relative_dates_resolve_against_publication() {
        // Monday 2025-09-01.
        assert_eq!(
            resolve("Le Kremlin a admis dimanche, et des rapports publiés vendredi", "fr", "2025-09-01"),
            pairs(&[("dimanche", "2025-08-31"), ("vendredi", "2025-08-29")])
        );
        assert_eq!(resolve("en mai dernier", "fr", "2025-09-01"), pairs(&[("mai dernier", "2025-05")]));
        assert_eq!(resolve("en septembre dernier", "fr", "2025-09-01"), pairs(&[("septembre dernier", "2024-09")]));
        assert_eq!(resolve("Cette semaine, la Russie", "fr", "2025-09-03"), pairs(&[("Cette semaine", "2025-09")]));
        assert_eq!(resolve("d'ici quelques jours", "fr", "2025-09-01"), pairs(&[("d'ici quelques jours", "2025-09")]));
        assert_eq!(resolve("jeudi prochain", "fr", "2025-09-01"), pairs(&[("jeudi prochain", "2025-09-04")]));
        assert_eq!(resolve("le 12 mai 2024", "fr", "2025-09-01"), pairs(&[("12 mai 2024", "2024-05-12")]));
        assert_eq!(resolve("hier", "fr", "2025-03-01"), pairs(&[("hier", "2025-02-28")]));
    }

    #[test]
    fn english_relative_dates_resolve_against_publication() {
        assert_eq!(resolve("said last Friday", "en", "2025-09-01"), pairs(&[("last Friday", "2025-08-29")]));
        assert_eq!(resolve("on Monday", "en", "2025-09-01"), pairs(&[("Monday", "2025-09-01")]));
        assert_eq!(resolve("next Monday", "en", "2025-09-01"), pairs(&[("next Monday", "2025-09-08")]));
        assert_eq!(resolve("on May 12, 2024", "en", "2025-09-01"), pairs(&[("May 12, 2024", "2024-05-12")]));
        assert_eq!(resolve("last month", "en", "2025-01-15"), pairs(&[("last month", "2024-12")]));
        assert_eq!(resolve("in the coming days", "en", "2025-12-29"), pairs(&[("in the coming days", "")]));
    }
}
