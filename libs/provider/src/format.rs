//! Post text arrives as the dashboard editor's HTML; each network wants its own format
//! ([`EditorFormat`]). The validator counts length on the converted text and the publisher sends
//! it, so both use [`to_editor_format`].

use crate::capabilities::EditorFormat;

/// Tags kept when a network takes HTML (as Postiz keeps them).
const HTML_KEPT: &[&str] = &[
    "p", "br", "ul", "ol", "li", "h1", "h2", "h3", "strong", "u", "a",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Text(String),
    Open { name: String, attrs: String },
    Close(String),
}

/// Converts editor HTML to the text a network receives.
pub fn to_editor_format(html: &str, format: EditorFormat) -> String {
    let tokens = tokenize(html);
    let out = match format {
        EditorFormat::Html => render_html(&tokens),
        EditorFormat::Markdown => render_text(&tokens, Style::Markdown),
        EditorFormat::Normal => render_text(&tokens, Style::Unicode),
        EditorFormat::None => render_text(&tokens, Style::Plain),
    };
    trim_lines(&out)
}

/// Whether the HTML holds any visible text.
pub fn has_text(html: &str) -> bool {
    !to_editor_format(html, EditorFormat::None).trim().is_empty()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Bold and underline as Unicode letters (networks without formatting).
    Unicode,
    Markdown,
    Plain,
}

fn tokenize(html: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        if lt > 0 {
            tokens.push(Token::Text(decode_entities(&rest[..lt])));
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            // A lone '<' is text.
            tokens.push(Token::Text(decode_entities(&rest[lt..])));
            rest = "";
            break;
        };
        let inner = after[..gt].trim();
        rest = &after[gt + 1..];
        if inner.starts_with('!') || inner.starts_with('?') {
            continue;
        }
        if let Some(name) = inner.strip_prefix('/') {
            tokens.push(Token::Close(tag_name(name)));
        } else {
            let inner = inner.trim_end_matches('/');
            let name = tag_name(inner);
            let attrs = inner[name.len().min(inner.len())..].to_string();
            tokens.push(Token::Open { name, attrs });
        }
    }
    if !rest.is_empty() {
        tokens.push(Token::Text(decode_entities(rest)));
    }
    tokens
}

fn tag_name(inner: &str) -> String {
    inner
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn attribute(attrs: &str, name: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    for quote in ['"', '\''] {
        let needle = format!("{name}={quote}");
        if let Some(start) = lower.find(&needle) {
            let from = start + needle.len();
            let end = attrs[from..].find(quote)? + from;
            return Some(decode_entities(&attrs[from..end]));
        }
    }
    None
}

fn render_text(tokens: &[Token], style: Style) -> String {
    let mut out = String::new();
    let mut bold = 0usize;
    let mut underline = 0usize;
    let mut links: Vec<Option<String>> = Vec::new();
    let mut list_counters: Vec<Option<usize>> = Vec::new();
    let mut block_started = false;
    // Just wrote a list marker: a paragraph inside the item continues the same line.
    let mut after_marker = false;
    for token in tokens {
        match token {
            Token::Text(text) => {
                if links.last().is_some_and(Option::is_some) && style != Style::Markdown {
                    // Networks without rich text get the URL, which they link themselves.
                    continue;
                }
                let mut piece = text.clone();
                if style == Style::Unicode {
                    if bold > 0 {
                        piece = piece.chars().map(bold_char).collect();
                    }
                    if underline > 0 {
                        piece = piece.chars().map(underline_char).collect();
                    }
                }
                out.push_str(&piece);
                block_started = true;
                after_marker = false;
            }
            Token::Open { name, attrs } => match name.as_str() {
                "p" | "div" | "h1" | "h2" | "h3" | "h4" | "blockquote" => {
                    if block_started && !after_marker {
                        out.push('\n');
                    }
                    after_marker = false;
                    block_started = true;
                    if style == Style::Markdown {
                        match name.as_str() {
                            "h1" => out.push_str("# "),
                            "h2" => out.push_str("## "),
                            "h3" => out.push_str("### "),
                            _ => {}
                        }
                    }
                }
                "br" => {
                    out.push('\n');
                    block_started = true;
                }
                "ul" => list_counters.push(None),
                "ol" => list_counters.push(Some(0)),
                "li" => {
                    if block_started && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    block_started = true;
                    match list_counters.last_mut() {
                        Some(Some(n)) => {
                            *n += 1;
                            out.push_str(&format!("{n}. "));
                        }
                        _ => out.push_str("- "),
                    }
                    after_marker = true;
                }
                "strong" | "b" => {
                    bold += 1;
                    if style == Style::Markdown {
                        out.push_str("**");
                    }
                }
                "u" => {
                    underline += 1;
                    if style == Style::Markdown {
                        out.push_str("__");
                    }
                }
                "em" | "i" if style == Style::Markdown => out.push('*'),
                "a" => {
                    let href = attribute(attrs, "href");
                    match (&href, style) {
                        (Some(_), Style::Markdown) => out.push('['),
                        (Some(url), _) => {
                            out.push_str(url);
                            block_started = true;
                        }
                        (None, _) => {}
                    }
                    links.push(href);
                }
                _ => {}
            },
            Token::Close(name) => match name.as_str() {
                "strong" | "b" => {
                    bold = bold.saturating_sub(1);
                    if style == Style::Markdown {
                        out.push_str("**");
                    }
                }
                "u" => {
                    underline = underline.saturating_sub(1);
                    if style == Style::Markdown {
                        out.push_str("__");
                    }
                }
                "em" | "i" if style == Style::Markdown => out.push('*'),
                "a" => {
                    if let Some(Some(url)) = links.pop()
                        && style == Style::Markdown
                    {
                        out.push_str(&format!("]({url})"));
                    }
                }
                "ul" | "ol" => {
                    list_counters.pop();
                }
                _ => {}
            },
        }
    }
    out
}

fn render_html(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Text(text) => out.push_str(&escape_text(text)),
            Token::Open { name, attrs } if HTML_KEPT.contains(&name.as_str()) => {
                if name == "a" {
                    match attribute(attrs, "href") {
                        Some(href) => out.push_str(&format!("<a href=\"{}\">", escape_attr(&href))),
                        None => out.push_str("<a>"),
                    }
                } else if name == "br" {
                    out.push_str("<br>");
                } else {
                    out.push_str(&format!("<{name}>"));
                }
            }
            Token::Close(name) if HTML_KEPT.contains(&name.as_str()) && name != "br" => {
                out.push_str(&format!("</{name}>"));
            }
            _ => {}
        }
    }
    out
}

fn trim_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn escape_attr(text: &str) -> String {
    escape_text(text).replace('"', "&quot;")
}

/// Decodes the HTML entities the editor produces (named and numeric).
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Mathematical sans-serif bold letters and digits, as Postiz uses for bold text.
fn bold_char(c: char) -> char {
    let offset = match c {
        'a'..='z' => 0x1D5EE + (c as u32 - 'a' as u32),
        'A'..='Z' => 0x1D5D4 + (c as u32 - 'A' as u32),
        '0'..='9' => 0x1D7EC + (c as u32 - '0' as u32),
        _ => return c,
    };
    char::from_u32(offset).unwrap_or(c)
}

fn underline_char(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        format!("{c}\u{0332}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_text_keeps_paragraphs_and_links_and_bolds_in_unicode() {
        let html = "<p>Hello <strong>World</strong> &amp; friends</p><p>See <a href=\"https://x.io/a\">this</a></p>";
        assert_eq!(
            to_editor_format(html, EditorFormat::Normal),
            "Hello 𝗪𝗼𝗿𝗹𝗱 & friends\nSee https://x.io/a"
        );
    }

    #[test]
    fn lists_and_breaks() {
        let html = "<p>Items:</p><ul><li><p>one</p></li><li>two</li></ul><p>a<br>b</p>";
        assert_eq!(
            to_editor_format(html, EditorFormat::Normal),
            "Items:\n- one\n- two\na\nb"
        );
        let ol = "<ol><li>first</li><li>second</li></ol>";
        assert_eq!(
            to_editor_format(ol, EditorFormat::None),
            "1. first\n2. second"
        );
    }

    #[test]
    fn markdown() {
        let html =
            "<h2>Title</h2><p><strong>bold</strong> and <a href=\"https://a.b\">link</a></p>";
        assert_eq!(
            to_editor_format(html, EditorFormat::Markdown),
            "## Title\n**bold** and [link](https://a.b)"
        );
    }

    #[test]
    fn html_keeps_allowed_tags_only() {
        let html = "<p>Hi <em>there</em> <script>x</script><a href=\"https://a.b?x=1&amp;y=2\" onclick=\"evil()\">go</a></p>";
        assert_eq!(
            to_editor_format(html, EditorFormat::Html),
            "<p>Hi there x<a href=\"https://a.b?x=1&amp;y=2\">go</a></p>"
        );
    }

    #[test]
    fn plain_text_and_entities() {
        assert_eq!(
            to_editor_format("just text", EditorFormat::Normal),
            "just text"
        );
        assert_eq!(
            to_editor_format("a &lt;b&gt; &#233;&#x1F600;", EditorFormat::None),
            "a <b> é😀"
        );
        assert_eq!(
            to_editor_format("<p></p><p> </p>", EditorFormat::Normal),
            ""
        );
        assert!(!has_text("<p><br></p>"));
        assert!(has_text("<p>x</p>"));
    }

    #[test]
    fn underline_in_unicode() {
        assert_eq!(
            to_editor_format("<u>ab</u>", EditorFormat::Normal),
            "a\u{332}b\u{332}"
        );
    }
}
