//! Post text for LinkedIn.
//!
//! The Posts API `commentary` field is written in LinkedIn's "little" text format: the characters
//! `\ | { } @ [ ] ( ) < > # * _ ~` are reserved and must be backslash-escaped to be shown as plain
//! text (unescaped, LinkedIn may cut the post at the first one). The only markup we keep is the
//! mention element `@[Name](urn:li:organization:123)` (or `urn:li:person:...`) that the dashboard's
//! mention picker inserts.
//!
//! Comments are different: the Comments API `message.text` is plain text, so nothing is escaped
//! there (escaping it publishes literal backslashes). Mentions in a comment degrade to the name.

/// Characters reserved by the little text format.
const RESERVED: [char; 15] = [
    '\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~',
];

/// URN prefixes a mention may point at.
const MENTION_TARGETS: [&str; 2] = ["urn:li:organization:", "urn:li:person:"];

/// A mention found in a text: byte range of the whole markup and the display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mention<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

/// Finds `@[Name](urn:li:organization:ID)` / `@[Name](urn:li:person:ID)` mentions.
fn mentions(text: &str) -> Vec<Mention<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("@[") {
        let start = from + offset;
        match mention_at(text, start) {
            Some(m) => {
                from = m.end;
                found.push(m);
            }
            None => from = start + 2,
        }
    }
    found
}

fn mention_at(text: &str, start: usize) -> Option<Mention<'_>> {
    let name_start = start + 2;
    let rest = &text[name_start..];
    let name_len = rest.find(']')?;
    let name = &rest[..name_len];
    if name.is_empty() || name.contains('\n') || name.contains('[') {
        return None;
    }
    let after_name = &rest[name_len + 1..];
    let urn_part = after_name.strip_prefix('(')?;
    let target = MENTION_TARGETS
        .iter()
        .find(|prefix| urn_part.starts_with(**prefix))?;
    let close = urn_part.find(')')?;
    let id = &urn_part[target.len()..close];
    if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c == '(') {
        return None;
    }
    // "@[" + name + "](" + urn + ")"
    let end = name_start + name_len + 2 + close + 1;
    Some(Mention { start, end, name })
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        if RESERVED.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The `commentary` of a post: reserved characters escaped, mentions kept as markup.
pub fn escape_commentary(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut last = 0;
    for m in mentions(text) {
        escape_into(&mut out, &text[last..m.start]);
        out.push_str(&text[m.start..m.end]);
        last = m.end;
    }
    escape_into(&mut out, &text[last..]);
    out
}

/// The text as readers see it: mentions reduced to their names. Used for comments (plain text)
/// and for counting length.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in mentions(text) {
        out.push_str(&text[last..m.start]);
        out.push_str(m.name);
        last = m.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Length as LinkedIn counts it: characters of the rendered text (escapes and mention markup
/// are not shown, so they do not count).
pub fn length(text: &str) -> usize {
    plain_text(text).chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_reserved_character() {
        assert_eq!(
            escape_commentary(r"a\b|c{d}e@f[g]h(i)j<k>l#m*n_o~p"),
            r"a\\b\|c\{d\}e\@f\[g\]h\(i\)j\<k\>l\#m\*n\_o\~p"
        );
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(
            escape_commentary("Hello, world! 100% ok."),
            "Hello, world! 100% ok."
        );
        assert_eq!(escape_commentary("héllo — 🙂"), "héllo — 🙂");
    }

    #[test]
    fn organization_and_person_mentions_are_kept() {
        let text = "Thanks @[Acme (EU)](urn:li:organization:2414183) and @[Eddy](urn:li:person:abc-1) (again)!";
        assert_eq!(
            escape_commentary(text),
            r"Thanks @[Acme (EU)](urn:li:organization:2414183) and @[Eddy](urn:li:person:abc-1) \(again\)!"
        );
        assert_eq!(plain_text(text), "Thanks Acme (EU) and Eddy (again)!");
    }

    #[test]
    fn broken_mentions_are_escaped_as_text() {
        assert_eq!(
            escape_commentary("@[x](http://e.com)"),
            r"\@\[x\]\(http://e.com\)"
        );
        assert_eq!(
            escape_commentary("@[](urn:li:person:1)"),
            r"\@\[\]\(urn:li:person:1\)"
        );
        assert_eq!(
            escape_commentary("@[a](urn:li:person:)"),
            r"\@\[a\]\(urn:li:person:\)"
        );
        assert_eq!(escape_commentary("@[a"), r"\@\[a");
    }

    #[test]
    fn length_counts_rendered_characters() {
        assert_eq!(length("abc"), 3);
        assert_eq!(length("#hi_there"), 9);
        assert_eq!(length("@[Acme](urn:li:organization:1)!"), 5);
        assert_eq!(length("é🙂"), 2);
    }
}
