//! An HTML page as text: the words a reader sees, a line per block, without scripts, styles,
//! forms or the page's navigation.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose content is not the article.
const SKIPPED: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "svg",
    "iframe",
    "head",
    "select",
    "textarea",
    "figure",
    "figcaption",
];
/// Elements that end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "article",
    "section",
    "blockquote",
    "tr",
    "td",
    "th",
    "ul",
    "ol",
    "main",
    "pre",
    "dd",
    "dt",
    "hr",
    "table",
];

pub fn to_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let root = document.select(&scraper::Selector::parse("body").expect("valid selector")).next();
    let root = root.map_or_else(|| *document.root_element(), |b| *b);
    let mut out = String::new();
    let mut skipping = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if SKIPPED.contains(&name) {
                        skipping += 1;
                    } else if skipping == 0 && BLOCKS.contains(&name) && !out.ends_with('\n') && !out.is_empty() {
                        out.push('\n');
                    }
                }
                Node::Text(t) if skipping == 0 => {
                    let text: &str = t;
                    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if collapsed.is_empty() {
                        if !out.ends_with([' ', '\n']) && !out.is_empty() && text.chars().any(char::is_whitespace) {
                            out.push(' ');
                        }
                        continue;
                    }
                    if text.starts_with(char::is_whitespace) && !out.ends_with([' ', '\n']) && !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&collapsed);
                    if text.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if SKIPPED.contains(&name) {
                        skipping = skipping.saturating_sub(1);
                    } else if skipping == 0 && BLOCKS.contains(&name) && !out.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
    }
    out.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_and_furniture_go_blocks_become_lines() {
        let page = r#"<html><head><title>T</title><style>p{}</style></head><body>
            <nav>Menu <a href="/">Accueil</a></nav>
            <article><h1>Titre</h1><p>Selon l&#39;AFP, <b>Maduro</b> a demandé l’aide.</p>
            <script>alert("x")</script><p>Deuxième   paragraphe.</p></article>
            <footer>© RSA</footer></body></html>"#;
        assert_eq!(to_text(page), "Titre\nSelon l'AFP, Maduro a demandé l’aide.\nDeuxième paragraphe.");
    }
}
