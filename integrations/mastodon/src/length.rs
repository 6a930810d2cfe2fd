//! Status length as a Mastodon server counts it.
//!
//! Mastodon's `StatusLengthValidator` rewrites the text before counting: every URL with an
//! explicit `http://` or `https://` scheme counts as 23 characters whatever its length, a remote
//! mention `@user@domain` counts as its local part `@user`, and the result is counted in
//! grapheme clusters (so a family emoji or a flag counts once).
//!
//! The server finds URLs with the twitter-text extractor and a long list of valid TLDs; this
//! module approximates it: the host must contain a dot and end in a label of at least two
//! letters (or a punycode `xn--` label), and trailing punctuation is not part of the URL.

use unicode_segmentation::UnicodeSegmentation;

/// What a URL counts for, whatever its length (documented by Mastodon's validator).
pub const URL_WEIGHT: usize = 23;

/// Length of `text` as Mastodon counts it.
pub fn status_length(text: &str) -> usize {
    countable_text(text).graphemes(true).count()
}

/// The text with URLs replaced by 23 placeholder characters and remote mentions shortened to
/// their local part, as the server does before counting.
fn countable_text(text: &str) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        let prev = if i == 0 { None } else { Some(chars[i - 1].1) };
        if (c == 'h' || c == 'H')
            && let Some(end) = url_at(&chars, i, prev)
        {
            out.extend(std::iter::repeat_n('x', URL_WEIGHT));
            i = end;
            continue;
        }
        if c == '@'
            && let Some((local_end, end)) = mention_at(&chars, i, prev)
        {
            out.extend(chars[i..local_end].iter().map(|(_, c)| *c));
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// If a URL starts at `start`, the index just past its end.
fn url_at(chars: &[(usize, char)], start: usize, prev: Option<char>) -> Option<usize> {
    // twitter-text: a URL is not glued to a preceding letter, digit, `@`, `$` or `#`.
    if let Some(p) = prev
        && (p.is_alphanumeric() || matches!(p, '@' | '$' | '#' | '＠' | '＃'))
    {
        return None;
    }
    let scheme_len = ["https://", "http://"].iter().find_map(|scheme| {
        let n = scheme.chars().count();
        let candidate: String = chars
            .get(start..start + n)?
            .iter()
            .map(|(_, c)| *c)
            .collect();
        candidate.eq_ignore_ascii_case(scheme).then_some(n)
    })?;
    let body_start = start + scheme_len;
    let mut end = body_start;
    while end < chars.len() {
        let c = chars[end].1;
        if c.is_whitespace() || matches!(c, '<' | '>' | '"' | '“' | '”' | '«' | '»') {
            break;
        }
        end += 1;
    }
    // Trailing punctuation ends a sentence, not the URL; a closing parenthesis stays only
    // when it balances one inside the URL.
    while end > body_start {
        let c = chars[end - 1].1;
        if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '…') {
            end -= 1;
            continue;
        }
        if c == ')' {
            let inside = &chars[body_start..end];
            let opens = inside.iter().filter(|(_, c)| *c == '(').count();
            let closes = inside.iter().filter(|(_, c)| *c == ')').count();
            if closes > opens {
                end -= 1;
                continue;
            }
        }
        break;
    }
    let body: String = chars[body_start..end].iter().map(|(_, c)| *c).collect();
    valid_host(&body).then_some(end)
}

/// Whether the part of a URL after the scheme starts with a plausible public host name.
fn valid_host(body: &str) -> bool {
    let host = body.split(['/', '?', '#', ':']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') || !host.contains('.') {
        return false;
    }
    let mut labels = host.split('.');
    let all_valid = host.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    let tld = labels.next_back().unwrap_or_default();
    let tld_valid = (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
        || (tld.len() > 4 && tld.to_ascii_lowercase().starts_with("xn--"));
    all_valid && tld_valid
}

/// If a mention starts at `start`, the end of its `@user` part and the end of the whole
/// mention (`@user@domain`). Follows Mastodon's `MENTION_RE`.
fn mention_at(chars: &[(usize, char)], start: usize, prev: Option<char>) -> Option<(usize, usize)> {
    if let Some(p) = prev
        && (p == '=' || p == '/' || is_word(p))
    {
        return None;
    }
    let username_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    // USERNAME_RE: [a-z0-9_]+([.-]+[a-z0-9_]+)*
    let mut i = start + 1;
    let run = |from: usize, pred: &dyn Fn(char) -> bool| -> usize {
        let mut j = from;
        while j < chars.len() && pred(chars[j].1) {
            j += 1;
        }
        j
    };
    let first = run(i, &username_char);
    if first == i {
        return None;
    }
    i = first;
    loop {
        let seps = run(i, &|c| c == '.' || c == '-');
        if seps == i {
            break;
        }
        let next = run(seps, &username_char);
        if next == seps {
            break;
        }
        i = next;
    }
    let local_end = i;
    // Optional domain: @[word.-]*[word] (greedy, ending on a word character).
    if i < chars.len() && chars[i].1 == '@' {
        let domain_end = run(i + 1, &|c| is_word(c) || c == '.' || c == '-');
        let mut end = domain_end;
        while end > i + 1 && !is_word(chars[end - 1].1) {
            end -= 1;
        }
        if end > i + 1 {
            return Some((local_end, end));
        }
    }
    Some((local_end, local_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_counts_characters() {
        assert_eq!(status_length("abc"), 3);
        assert_eq!(status_length(""), 0);
        assert_eq!(status_length("héllo wörld"), 11);
    }

    #[test]
    fn graphemes_count_once() {
        // Family emoji (ZWJ sequence) and a flag are one grapheme each.
        assert_eq!(status_length("👨‍👩‍👧‍👦"), 1);
        assert_eq!(status_length("🇫🇷!"), 2);
        // e + combining acute accent.
        assert_eq!(status_length("e\u{301}"), 1);
    }

    #[test]
    fn urls_count_23() {
        assert_eq!(status_length("https://example.com"), 23);
        let long = format!("see https://example.com/{}", "a".repeat(200));
        assert_eq!(status_length(&long), 4 + 23);
        assert_eq!(status_length("http://a.io."), 24);
        assert_eq!(
            status_length("(https://en.wikipedia.org/wiki/Rust_(language))"),
            25
        );
        assert_eq!(status_length("HTTPS://EXAMPLE.ORG/x?y=1#z"), 23);
    }

    #[test]
    fn things_that_are_not_urls_count_literally() {
        // No scheme: Mastodon does not give a concession.
        assert_eq!(status_length("example.com"), 11);
        // Glued to a word.
        assert_eq!(status_length("xhttps://example.com"), 20);
        // No dot in the host.
        assert_eq!(status_length("http://localhost"), 16);
    }

    #[test]
    fn remote_mentions_count_their_local_part() {
        assert_eq!(status_length("@alice@example.social"), 6);
        assert_eq!(status_length("hi @alice@example.social!"), 3 + 6 + 1);
        assert_eq!(status_length("@bob"), 4);
        // A mention inside a URL is part of the URL.
        assert_eq!(status_length("https://mastodon.social/@alice"), 23);
        // An email address is not a mention.
        assert_eq!(status_length("me@example.com"), 14);
        // Trailing punctuation after the domain is not part of the mention.
        assert_eq!(status_length("@alice@example.social."), 7);
    }
}
