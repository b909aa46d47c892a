//! Dates of day, month or year precision, or a full instant: "en mai dernier" is "2025-05".

use std::{fmt, str::FromStr};

use chrono::{DateTime, Datelike, Months, NaiveDate, SecondsFormat, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialDate {
    Year(i32),
    Month(i32, u32),
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

impl PartialDate {
    /// First instant of the period (UTC).
    pub fn start(&self) -> DateTime<Utc> {
        match *self {
            PartialDate::Year(y) => first_day(y, 1),
            PartialDate::Month(y, m) => first_day(y, m),
            PartialDate::Day(d) => d.and_hms_opt(0, 0, 0).map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc()),
            PartialDate::Instant(t) => t,
        }
    }

    /// First instant after the period (UTC, exclusive). An instant is a period of one microsecond.
    pub fn end(&self) -> DateTime<Utc> {
        let start = self.start();
        match self {
            PartialDate::Year(_) => start.checked_add_months(Months::new(12)),
            PartialDate::Month(..) => start.checked_add_months(Months::new(1)),
            PartialDate::Day(_) => start.checked_add_days(chrono::Days::new(1)),
            PartialDate::Instant(_) => start.checked_add_signed(chrono::Duration::microseconds(1)),
        }
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

fn first_day(year: i32, month: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

impl FromStr for PartialDate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const HINT: &str = "expected a date \"YYYY\", \"YYYY-MM\", \"YYYY-MM-DD\" or an RFC 3339 timestamp";
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let year = |p: &str| -> Result<i32, String> {
            match p.parse::<i32>() {
                Ok(0) if p.len() == 4 && all_digits(p) => Err("year 0000 does not exist: years run from 0001".into()),
                Ok(y) if p.len() == 4 && all_digits(p) => Ok(y),
                _ => Err(HINT.to_string()),
            }
        };
        let parts: Vec<&str> = s.split('-').collect();
        match parts.as_slice() {
            [y] => Ok(PartialDate::Year(year(y)?)),
            [y, m] if m.len() == 2 && all_digits(m) => {
                let y = year(y)?;
                let m: u32 = m.parse().map_err(|_| HINT.to_string())?;
                if (1..=12).contains(&m) {
                    Ok(PartialDate::Month(y, m))
                } else {
                    Err(format!("month {m} does not exist"))
                }
            }
            [y, m, d] if m.len() == 2 && d.len() == 2 && all_digits(m) && all_digits(d) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|_| year(y).is_ok())
                    .map(PartialDate::Day)
                    .ok_or_else(|| format!("{s} is not a date that exists"))
            }
            _ => DateTime::parse_from_rfc3339(s)
                .map_err(|_| HINT.to_string())
                .and_then(|t| crate::domain::supported_instant(t.with_timezone(&Utc)))
                .map(|t| PartialDate::Instant(crate::domain::truncate_micros(t))),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            PartialDate::Day(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            PartialDate::Instant(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}

impl serde::Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_precision_and_prints_it_back() {
        for input in ["2025", "2025-05", "2025-05-07", "2025-05-07T10:30:00Z"] {
            let date: PartialDate = input.parse().expect(input);
            assert_eq!(date.to_string(), input);
        }
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let date: PartialDate = "2025-05-07T12:00:00+02:00".parse().expect("valid");
        assert_eq!(date.to_string(), "2025-05-07T10:00:00Z");
    }

    #[test]
    fn rejects_dates_that_do_not_exist() {
        for input in ["2025-02-30", "2025-13", "2025-00", "2023-02-29", "2025-04-31"] {
            assert!(input.parse::<PartialDate>().is_err(), "{input} accepted");
        }
        assert!("2024-02-29".parse::<PartialDate>().is_ok());
    }

    #[test]
    fn rejects_garbage() {
        for input in ["", "25", "2025-5", "2025-05-7", "mai 2025", "2025-05-07T25:00:00Z", "+2025"] {
            assert!(input.parse::<PartialDate>().is_err(), "{input} accepted");
        }
    }

    #[test]
    fn periods_cover_their_precision() {
        let may: PartialDate = "2025-05".parse().expect("valid");
        assert_eq!(may.start().to_rfc3339(), "2025-05-01T00:00:00+00:00");
        assert_eq!(may.end().to_rfc3339(), "2025-06-01T00:00:00+00:00");
        let year: PartialDate = "2024".parse().expect("valid");
        assert_eq!(year.end().to_rfc3339(), "2025-01-01T00:00:00+00:00");
        let day: PartialDate = "2024-12-31".parse().expect("valid");
        assert_eq!(day.end().to_rfc3339(), "2025-01-01T00:00:00+00:00");
    }
}
