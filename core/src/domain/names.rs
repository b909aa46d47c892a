//! Name keys: the form under which two names of one source compare equal.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Leading articles dropped from names ("The Washington Post" = "Washington Post").
const ARTICLES: [&str; 13] = ["the", "le", "la", "les", "l", "el", "los", "las", "il", "lo", "der", "die", "das"];

/// Lower case, accents and punctuation removed, whitespace collapsed, leading article dropped:
/// "L'Équipe" → "equipe", "The Washington Post" → "washington post".
pub fn key(name: &str) -> String {
    let folded: String = name
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
    fn other_scripts_are_kept() {
        assert_eq!(key("ТАСС"), "тасс");
        assert_eq!(key("新华社"), "新华社");
    }
}
