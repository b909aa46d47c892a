//! BCP 47 language tags: well-formedness from `oxilangtag`, plus the case conventions of
//! RFC 5646 section 2.1.1 so that "FR-ca" and "fr-CA" are stored (and filtered) alike.

use oxilangtag::LanguageTag;

/// Checks a tag and returns it in canonical case.
pub fn normalize(input: &str) -> Result<String, String> {
    // RFC 5646 4.4.1: 35 characters hold every tag worth storing (and the documented limit).
    if input.len() > 35 {
        return Err(format!("must be at most 35 characters, got {}", input.chars().count()));
    }
    let tag = LanguageTag::parse(input)
        .map_err(|e| format!("{} is not a well-formed BCP 47 language tag ({e})", super::shown(input)))?;
    // Primary language subtags of 4 to 8 letters are reserved or unassigned: "english" is
    // grammatical BCP 47 but names no language, so it is refused with a hint.
    let primary = tag.primary_language();
    if primary.len() > 3 && !input.eq_ignore_ascii_case("i-default") && !primary.starts_with(['x', 'X', 'i', 'I']) {
        return Err(format!(
            "{input:?} is not a BCP 47 language tag: the language subtag must be an ISO 639 code of 2 or 3 letters, such as \"fr\" or \"en-GB\""
        ));
    }
    Ok(canonical_case(input))
}

fn canonical_case(tag: &str) -> String {
    let mut out = Vec::new();
    let mut after_singleton = false;
    for (i, sub) in tag.split('-').enumerate() {
        let formatted = if i == 0 || after_singleton {
            sub.to_ascii_lowercase()
        } else if sub.len() == 1 {
            after_singleton = true;
            sub.to_ascii_lowercase()
        } else if sub.len() == 2 && sub.bytes().all(|b| b.is_ascii_alphabetic()) {
            sub.to_ascii_uppercase()
        } else if sub.len() == 4 && sub.bytes().all(|b| b.is_ascii_alphabetic()) {
            let lower = sub.to_ascii_lowercase();
            lower[..1].to_ascii_uppercase() + &lower[1..]
        } else {
            sub.to_ascii_lowercase()
        };
        out.push(formatted);
    }
    out.join("-")
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn accepts_common_tags_in_canonical_case() {
        assert_eq!(normalize("fr").as_deref(), Ok("fr"));
        assert_eq!(normalize("FR-ca").as_deref(), Ok("fr-CA"));
        assert_eq!(normalize("zh-hant-tw").as_deref(), Ok("zh-Hant-TW"));
        assert_eq!(normalize("es-419").as_deref(), Ok("es-419"));
        assert_eq!(normalize("en-US-x-Twain").as_deref(), Ok("en-US-x-twain"));
    }

    #[test]
    fn refuses_what_is_not_bcp47() {
        for bad in ["", "english", "en_US", "fr-", "123", "f", "en--us", "français"] {
            assert!(normalize(bad).is_err(), "{bad:?} accepted");
        }
    }
}
