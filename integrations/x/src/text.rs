//! X's weighted text length, following twitter-text's version 3 configuration (the one X
//! validates posts with, and the one Postiz uses):
//!
//! - the text is NFC-normalized first;
//! - every URL counts as `transformedURLLength` = 23, whatever its length (X wraps it in t.co);
//! - every emoji sequence (with skin tones, variation selectors, ZWJ joins, flags, keycaps)
//!   counts as the default weight, 2;
//! - other code points weigh 1 in the ranges U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
//!   U+2032–U+2037 (Latin, Greek, Cyrillic, Hebrew, Arabic, ... and common punctuation),
//!   and 2 everywhere else (CJK, emoji, astral planes).
//!
//! URLs are detected with twitter-text's rules: `http://` or `https://` followed by a domain
//! whose last label is a top-level domain, or such a domain without protocol (ASCII only, not
//! right after `-_./`, and a bare `name.cc` with a two-letter country TLD only with a path,
//! except `.co` and `.tv`); an optional port, path and query whose trailing punctuation is left
//! out. Top-level domains are the ICANN section of the Public Suffix List.

use unicode_normalization::UnicodeNormalization;

/// Weight units per character in twitter-text's configuration (`scale`).
const SCALE: usize = 100;
/// `defaultWeight`.
const DEFAULT_WEIGHT: usize = 200;
/// `transformedURLLength`.
pub const TRANSFORMED_URL_LENGTH: usize = 23;
/// The `ranges` of the version 3 configuration, inclusive, all with weight 100.
const DISCOUNTED_RANGES: [(u32, u32); 4] = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)];

/// The length X counts for a text (the `weightedLength` of twitter-text's `parseTweet`).
pub fn weighted_length(text: &str) -> usize {
    let chars: Vec<char> = text.nfc().collect();
    let urls = find_urls(&chars);
    let mut next_url = urls.iter().peekable();
    let mut weight = 0;
    let mut i = 0;
    while i < chars.len() {
        while next_url.peek().is_some_and(|(start, _)| *start < i) {
            next_url.next();
        }
        if let Some((start, end)) = next_url.peek()
            && *start == i
        {
            weight += TRANSFORMED_URL_LENGTH * SCALE;
            i = *end;
            continue;
        }
        if let Some(len) = emoji_at(&chars, i) {
            weight += DEFAULT_WEIGHT;
            i += len;
            continue;
        }
        weight += char_weight(chars[i]);
        i += 1;
    }
    weight / SCALE
}

fn char_weight(c: char) -> usize {
    let cp = u32::from(c);
    if DISCOUNTED_RANGES
        .iter()
        .any(|(start, end)| (*start..=*end).contains(&cp))
    {
        100
    } else {
        DEFAULT_WEIGHT
    }
}

// ---------------------------------------------------------------------------------------------
// Emoji

fn is_emoji_start(c: char) -> bool {
    matches!(c,
        '\u{00a9}' | '\u{00ae}'
        | '\u{203c}'..='\u{3299}'
        | '\u{1f000}'..='\u{1faff}')
}

fn is_keycap_base(c: char) -> bool {
    matches!(c, '#' | '*' | '0'..='9')
}

fn is_emoji_modifier(c: char) -> bool {
    matches!(c,
        '\u{1f3fb}'..='\u{1f3ff}'      // skin tones
        | '\u{fe0e}' | '\u{fe0f}'      // variation selectors
        | '\u{20e3}'                   // combining keycap
        | '\u{e0020}'..='\u{e007f}') // tags (subdivision flags)
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1f1e6}'..='\u{1f1ff}')
}

/// Length in chars of the emoji sequence starting at `i`, if one does.
fn emoji_at(chars: &[char], i: usize) -> Option<usize> {
    let first = *chars.get(i)?;
    if is_keycap_base(first) {
        // A keycap is the base, an optional U+FE0F and U+20E3; the bare character is text.
        return match (chars.get(i + 1), chars.get(i + 2)) {
            (Some('\u{20e3}'), _) => Some(2),
            (Some('\u{fe0f}'), Some('\u{20e3}')) => Some(3),
            _ => None,
        };
    }
    if !is_emoji_start(first) {
        return None;
    }
    let mut j = i + 1;
    if is_regional_indicator(first) && chars.get(j).copied().is_some_and(is_regional_indicator) {
        j += 1;
    }
    loop {
        match chars.get(j) {
            Some(&c) if is_emoji_modifier(c) => j += 1,
            Some('\u{200d}') if chars.get(j + 1).copied().is_some_and(is_emoji_start) => j += 2,
            _ => break,
        }
    }
    Some(j - i)
}

// ---------------------------------------------------------------------------------------------
// URLs

/// Char ranges `[start, end)` of the URLs in a text, in order.
pub fn find_urls(chars: &[char]) -> Vec<(usize, usize)> {
    let mut urls = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = url_at(chars, i) {
            urls.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    urls
}

fn is_invalid_preceding(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '@' | '\u{ff20}' | '$' | '#' | '\u{ff03}' | '\u{202a}'..='\u{202e}'
        )
}

fn is_latin_accent(c: char) -> bool {
    matches!(c,
        '\u{00c0}'..='\u{00d6}' | '\u{00d8}'..='\u{00f6}' | '\u{00f8}'..='\u{00ff}'
        | '\u{0100}'..='\u{024f}' | '\u{0253}'..='\u{0254}' | '\u{0256}'..='\u{0257}'
        | '\u{0259}' | '\u{025b}' | '\u{0263}' | '\u{0268}' | '\u{026f}' | '\u{0272}'
        | '\u{0289}' | '\u{028b}' | '\u{02bb}' | '\u{0300}'..='\u{036f}' | '\u{1e00}'..='\u{1eff}')
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04ff}')
}

/// Characters of a domain label: with a protocol any letter or digit of any script; without one
/// only ASCII letters, digits and Latin accents.
fn is_label_char(c: char, unicode: bool) -> bool {
    if unicode {
        c.is_alphanumeric() || is_latin_accent(c)
    } else {
        c.is_ascii_alphanumeric() || is_latin_accent(c)
    }
}

fn starts_with_ignore_case(chars: &[char], at: usize, prefix: &str) -> bool {
    let mut k = at;
    for p in prefix.chars() {
        match chars.get(k) {
            Some(c) if c.eq_ignore_ascii_case(&p) => k += 1,
            _ => return false,
        }
    }
    true
}

/// Whether a label is a top-level domain (ICANN section of the Public Suffix List, or punycode).
fn is_tld(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    if !lower.is_ascii() || lower.is_empty() {
        return false;
    }
    if lower.starts_with("xn--") && lower.len() > 4 {
        return true;
    }
    psl::suffix(lower.as_bytes()).is_some_and(|s| {
        s.is_known() && s.as_bytes() == lower.as_bytes() && s.typ() == Some(psl::Type::Icann)
    })
}

/// Reads `label(.label)*` from `at`; returns the char ranges of the labels.
fn read_labels(chars: &[char], at: usize, unicode: bool) -> Vec<(usize, usize)> {
    let mut labels = Vec::new();
    let mut k = at;
    loop {
        let start = k;
        // A label is label chars with single '-' or '_' between them.
        while k < chars.len() {
            let c = chars[k];
            let joiner = (c == '-' || c == '_')
                && k > start
                && chars
                    .get(k + 1)
                    .is_some_and(|n| is_label_char(*n, unicode) || *n == '-');
            if !(is_label_char(c, unicode) || joiner) {
                break;
            }
            k += 1;
        }
        if k == start {
            break;
        }
        labels.push((start, k));
        if chars.get(k) == Some(&'.')
            && chars.get(k + 1).is_some_and(|c| is_label_char(*c, unicode))
        {
            k += 1;
        } else {
            break;
        }
    }
    labels
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || is_cyrillic(c)
        || is_latin_accent(c)
        || "!*';:=+,.$/%#[]-\u{2013}_~|&@".contains(c)
}

fn is_path_end_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_cyrillic(c) || is_latin_accent(c) || "=_#/+-)".contains(c)
}

fn is_query_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!?*'();:&=+$/%#[]-_.,~|@".contains(c)
}

fn is_query_end_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_&=#/".contains(c)
}

/// Reads a path from `at` (which holds '/'); parentheses only when balanced.
fn read_path(chars: &[char], at: usize) -> usize {
    let mut k = at;
    let mut depth = 0usize;
    let mut last_good = at;
    while k < chars.len() {
        let c = chars[k];
        if c == '(' {
            depth += 1;
        } else if c == ')' {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if !is_path_char(c) {
            break;
        }
        k += 1;
        if depth == 0 && is_path_end_char(c) {
            last_good = k;
        }
    }
    last_good
}

fn read_query(chars: &[char], at: usize) -> usize {
    let mut k = at + 1;
    let mut last_good = at;
    while k < chars.len() && is_query_char(chars[k]) {
        if is_query_end_char(chars[k]) {
            last_good = k + 1;
        }
        k += 1;
    }
    last_good
}

/// The end of a URL starting exactly at `i`, if one does.
fn url_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && is_invalid_preceding(chars[i - 1]) {
        return None;
    }
    let protocol_len = if starts_with_ignore_case(chars, i, "https://") {
        8
    } else if starts_with_ignore_case(chars, i, "http://") {
        7
    } else {
        0
    };
    let with_protocol = protocol_len > 0;
    if !with_protocol && i > 0 && matches!(chars[i - 1], '-' | '_' | '.' | '/') {
        return None;
    }

    let labels = read_labels(chars, i + protocol_len, with_protocol);
    // The domain ends at the last label that is a top-level domain, with at least two labels.
    let tld_index = (1..labels.len()).rev().find(|&n| {
        let (s, e) = labels[n];
        let label: String = chars[s..e].iter().collect();
        let followed_ok = chars
            .get(e)
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '@' | '-' | '+')));
        is_tld(&label) && followed_ok
    })?;
    let mut end = labels[tld_index].1;

    if !with_protocol {
        let tld_len = labels[tld_index].1 - labels[tld_index].0;
        let tld: String = chars[labels[tld_index].0..labels[tld_index].1]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        let short_cc_domain = tld_index == 1 && tld_len == 2 && tld != "co" && tld != "tv";
        if short_cc_domain && chars.get(end) != Some(&'/') {
            return None;
        }
    }

    // Port.
    if chars.get(end) == Some(&':') {
        let digits = chars[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    if chars.get(end) == Some(&'/') {
        end = read_path(chars, end).max(end + 1);
    }
    if chars.get(end) == Some(&'?') {
        end = read_query(chars, end).max(end);
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        find_urls(&chars)
            .into_iter()
            .map(|(s, e)| chars[s..e].iter().collect())
            .collect()
    }

    #[test]
    fn ascii_counts_one_per_character() {
        assert_eq!(weighted_length(""), 0);
        assert_eq!(weighted_length("abc"), 3);
        assert_eq!(weighted_length("Hello, world! 123"), 17);
        assert_eq!(weighted_length(&"a".repeat(280)), 280);
    }

    #[test]
    fn urls_count_23_whatever_their_length() {
        assert_eq!(weighted_length("https://example.com"), 23);
        assert_eq!(
            weighted_length("https://example.com/a/very/long/path/that/goes/on?and=on&on=1"),
            23
        );
        assert_eq!(weighted_length("see http://x.co"), 4 + 23);
        assert_eq!(weighted_length("go to example.com now"), 6 + 23 + 4);
        // Trailing punctuation is not part of the URL.
        assert_eq!(weighted_length("https://example.com/a."), 24);
        assert_eq!(
            weighted_length("a https://example.com, b https://x.com"),
            2 + 23 + 4 + 23
        );
    }

    #[test]
    fn url_detection_rules() {
        assert_eq!(
            urls("visit https://Example.COM/path?q=1!"),
            vec!["https://Example.COM/path?q=1"]
        );
        assert_eq!(
            urls("www.example.co.uk/page"),
            vec!["www.example.co.uk/page"]
        );
        assert_eq!(
            urls("(see https://en.wikipedia.org/wiki/Rust_(language))"),
            vec!["https://en.wikipedia.org/wiki/Rust_(language)"]
        );
        assert_eq!(urls("http://localhost:3000/x"), Vec::<String>::new());
        assert_eq!(urls("me@example.com"), Vec::<String>::new());
        assert_eq!(urls("file.notatld"), Vec::<String>::new());
        assert_eq!(urls("bit.ly"), Vec::<String>::new());
        assert_eq!(urls("bit.ly/abc"), vec!["bit.ly/abc"]);
        assert_eq!(urls("t.co"), vec!["t.co"]);
        assert_eq!(
            urls("https://example.com:8080/x"),
            vec!["https://example.com:8080/x"]
        );
        assert_eq!(urls("abchttps://example.com"), Vec::<String>::new());
        assert_eq!(urls("$example.com #example.com"), Vec::<String>::new());
    }

    #[test]
    fn cjk_counts_two() {
        assert_eq!(weighted_length("日本語"), 6);
        assert_eq!(weighted_length("한국어"), 6);
        assert_eq!(weighted_length("a中b"), 4);
    }

    #[test]
    fn emoji_count_two_whole_sequences() {
        assert_eq!(weighted_length("😀"), 2);
        assert_eq!(weighted_length("👋🏽"), 2);
        assert_eq!(weighted_length("🇫🇷"), 2);
        assert_eq!(weighted_length("👨‍👩‍👧‍👦"), 2);
        assert_eq!(weighted_length("❤️"), 2);
        assert_eq!(weighted_length("#\u{fe0f}\u{20e3}"), 2);
        assert_eq!(weighted_length("#tag"), 4);
        // twitter-text's published examples for the version 3 configuration.
        assert_eq!(weighted_length("H🐱☺👨‍👩‍👧‍👦"), 7);
        assert_eq!(weighted_length("🙋🏽👨‍🎤"), 4);
    }

    #[test]
    fn discounted_ranges_and_normalization() {
        // Latin-1, Cyrillic, Greek, Hebrew, Arabic weigh 1.
        assert_eq!(weighted_length("é"), 1);
        assert_eq!(weighted_length("Привет"), 6);
        // A decomposed é is composed to one code point before counting.
        assert_eq!(weighted_length("e\u{301}"), 1);
        // General punctuation: en dash and curly quotes are discounted, the bullet is not.
        assert_eq!(weighted_length("\u{2013}\u{201c}\u{201d}"), 3);
        assert_eq!(weighted_length("\u{2022}"), 2);
        // Mathematical bold letters (Postiz's bold) are astral: 2 each.
        assert_eq!(weighted_length("𝗵𝗶"), 4);
    }
}
