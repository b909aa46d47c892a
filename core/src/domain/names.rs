//! Name keys: the form under which two names of one source compare equal.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};
use unicode_security::MixedScript;

/// Leading articles dropped from names ("The Washington Post" = "Washington Post").
const ARTICLES: [&str; 13] = ["the", "le", "la", "les", "l", "el", "los", "las", "il", "lo", "der", "die", "das"];

/// Lower case, accents and punctuation removed, whitespace collapsed, leading article dropped:
/// "L'Équipe" → "equipe", "The Washington Post" → "washington post". Invisible characters
/// (Unicode format characters: zero-width spaces and joiners, bidi controls, soft hyphen, word
/// joiner, byte order mark, tag characters) are dropped, and in a name that mixes scripts the
/// letters outside the Latin script are read as the Latin letters they can pass for (UTS #39
/// skeleton): "Reu\u{200b}ters" and "Rеuters" (with a Cyrillic е) are "reuters", so one outlet
/// cannot count as two independent sources. A name written in one script ("ТАСС") keeps it.
pub fn key(name: &str) -> String {
    let visible: String = name.chars().filter(|c| c.general_category() != GeneralCategory::Format).collect();
    let text: String = if visible.as_str().is_single_script() {
        visible
    } else {
        visible
            .chars()
            .flat_map(|c| match c.script() {
                Script::Latin | Script::Common | Script::Inherited => vec![c],
                _ => unicode_security::skeleton(c.encode_utf8(&mut [0; 4])).collect(),
            })
            .collect()
    };
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    let start = usize::from(words.len() > 1 && ARTICLES.contains(&words[0]));
    words[start..].join(" ")
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn one_source_many_spellings() {
        assert_eq!(key("The Washington Post"), key("Washington Post"));
        assert_eq!(key("washington  post."), "washington post");
        assert_eq!(key("L'Équipe"), "equipe");
        assert_eq!(key("Le Monde"), key("MONDE"));
        assert_eq!(key("Élysée"), "elysee");
        assert_eq!(key("Agence France-Presse"), "agence france presse");
    }

    #[test]
    fn an_article_alone_is_a_name() {
        assert_eq!(key("The"), "the");
        assert_eq!(key("  "), "");
    }

    #[test]
    fn invisible_characters_make_no_new_name() {
        let invisible = [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202E}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
        ];
        for c in invisible {
            assert_eq!(key(&format!("Reu{c}ters")), "reuters", "U+{:04X}", c as u32);
            assert_eq!(key(&format!("{c}Reuters{c}")), "reuters", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn letters_of_another_script_posing_as_latin_are_read_as_latin() {
        assert_eq!(key("R\u{0435}uters"), "reuters", "Cyrillic е");
        assert_eq!(key("\u{0410}gence France-Presse"), "agence france presse", "Cyrillic А");
        assert_eq!(key("ＲＥＵＴＥＲＳ"), "reuters", "full-width letters");
        assert_eq!(key("Modern Times"), "modern times", "a Latin name is left alone");
    }

    #[test]
    fn other_scripts_are_kept() {
        assert_eq!(key("ТАСС"), "тасс");
        assert_eq!(key("新华社"), "新华社");
    }
}
