//! Detection of rich-text facets (`app.bsky.richtext.facet`) in plain post text.
//!
//! Bluesky posts carry no markup: links, mentions and hashtags are declared as facets that point
//! at byte ranges of the UTF-8 text (start inclusive, end exclusive). The rules below follow the
//! behaviour the Bluesky documentation describes for its reference `RichText.detectFacets`:
//!
//! - mentions: `@handle` after the start of the text, a space or `(`; the handle must end in a
//!   known top-level domain (or `.test`); the DID is resolved later, unresolvable handles are
//!   dropped by the caller;
//! - links: `http(s)://…` up to the next space, or a bare `domain.tld/…` whose TLD is known
//!   (then prefixed with `https://`); one trailing `.,;:!?` is left out, and a trailing `)` when the
//!   link has no `(`;
//! - hashtags: `#` or `＃` after the start or a space, up to the next space; the tag must hold a
//!   character other than digits and punctuation, trailing punctuation is left out, at most 64
//!   UTF-16 units.
//!
//! Facets must not overlap, so later ones that overlap an earlier one are dropped.

use std::sync::LazyLock;

use regex::Regex;

/// What a detected range means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacetKind {
    /// A handle without the `@`, still to be resolved to a DID.
    Mention(String),
    /// A complete URI.
    Link(String),
    /// A hashtag without the `#`.
    Tag(String),
}

/// A facet found in the text, with UTF-8 byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedFacet {
    pub byte_start: usize,
    pub byte_end: usize,
    pub kind: FacetKind,
}

static MENTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // `(?-u:\b)`: an ASCII word boundary, as in JavaScript, so `@a.bsky.social.` ends before the dot.
    Regex::new(r"(?:^|\s|\()(@)([a-zA-Z0-9.-]+)(?-u:\b)").ok()
});

static LINK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?im)(?:^|\s|\()(?P<all>(?P<scheme>https?://\S+)|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    )
    .ok()
});

/// Zero-width characters that end a hashtag like a space does.
const TAG_BREAKS: &str = r"\x{AD}\x{2060}\x{200A}\x{200B}\x{200C}\x{200D}\x{20E2}";

static TAG: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:^|\s)(?P<hash>[#＃])(?P<tag>[^\s{b}]*[^0-9\s\p{{P}}{b}]+[^\s{b}]*)?",
        b = TAG_BREAKS
    ))
    .ok()
});

static TRAILING_PUNCTUATION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\p{P}+$").ok());

/// Finds mentions, links and hashtags in `text`, ordered by position, without overlaps.
pub fn detect(text: &str) -> Vec<DetectedFacet> {
    let mut facets = Vec::new();
    detect_mentions(text, &mut facets);
    detect_links(text, &mut facets);
    detect_tags(text, &mut facets);
    facets.sort_by_key(|f| f.byte_start);
    let mut kept: Vec<DetectedFacet> = Vec::with_capacity(facets.len());
    for facet in facets {
        if kept
            .last()
            .is_some_and(|last| facet.byte_start < last.byte_end)
        {
            continue;
        }
        kept.push(facet);
    }
    kept
}

fn detect_mentions(text: &str, out: &mut Vec<DetectedFacet>) {
    let Some(re) = MENTION.as_ref() else { return };
    for caps in re.captures_iter(text) {
        let (Some(at), Some(handle)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        let handle_text = handle.as_str();
        if !is_valid_domain(handle_text) && !handle_text.ends_with(".test") {
            continue;
        }
        out.push(DetectedFacet {
            byte_start: at.start(),
            byte_end: handle.end(),
            kind: FacetKind::Mention(handle_text.to_string()),
        });
    }
}

fn detect_links(text: &str, out: &mut Vec<DetectedFacet>) {
    let Some(re) = LINK.as_ref() else { return };
    for caps in re.captures_iter(text) {
        let Some(all) = caps.name("all") else {
            continue;
        };
        let mut uri = all.as_str().to_string();
        if caps.name("scheme").is_none() {
            match caps.name("domain") {
                Some(domain) if is_valid_domain(domain.as_str()) => {}
                _ => continue,
            }
            uri = format!("https://{uri}");
        }
        let mut end = all.end();
        if uri.ends_with(['.', ',', ';', ':', '!', '?']) {
            uri.pop();
            end -= 1;
        }
        if uri.ends_with(')') && !uri.contains('(') {
            uri.pop();
            end -= 1;
        }
        out.push(DetectedFacet {
            byte_start: all.start(),
            byte_end: end,
            kind: FacetKind::Link(uri),
        });
    }
}

fn detect_tags(text: &str, out: &mut Vec<DetectedFacet>) {
    let (Some(re), Some(trailing)) = (TAG.as_ref(), TRAILING_PUNCTUATION.as_ref()) else {
        return;
    };
    for caps in re.captures_iter(text) {
        let (Some(hash), Some(tag)) = (caps.name("hash"), caps.name("tag")) else {
            continue;
        };
        // `#` followed by the emoji variation selector is the keycap emoji, not a tag.
        if tag.as_str().starts_with('\u{FE0F}') {
            continue;
        }
        let cleaned = trailing.replace(tag.as_str().trim(), "");
        let cleaned = cleaned.as_ref();
        if cleaned.is_empty() || cleaned.encode_utf16().count() > 64 {
            continue;
        }
        out.push(DetectedFacet {
            byte_start: hash.start(),
            byte_end: hash.end() + cleaned.len(),
            kind: FacetKind::Tag(cleaned.to_string()),
        });
    }
}

/// Whether the last label of `name` is a top-level domain of the public suffix list.
fn is_valid_domain(name: &str) -> bool {
    let Some((rest, tld)) = name.rsplit_once('.') else {
        return false;
    };
    if rest.is_empty() || tld.is_empty() {
        return false;
    }
    let tld = tld.to_ascii_lowercase();
    psl::suffix(tld.as_bytes()).is_some_and(|s| s.is_known())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, f: &DetectedFacet) -> String {
        text.as_bytes()[f.byte_start..f.byte_end]
            .iter()
            .map(|b| *b as char)
            .collect::<String>()
    }

    fn utf8_slice<'a>(text: &'a str, f: &DetectedFacet) -> &'a str {
        text.get(f.byte_start..f.byte_end)
            .unwrap_or("<not a char boundary>")
    }

    #[test]
    fn patterns_compile() {
        assert!(MENTION.is_some());
        assert!(LINK.is_some());
        assert!(TAG.is_some());
        assert!(TRAILING_PUNCTUATION.is_some());
    }

    #[test]
    fn mentions_links_and_tags_with_byte_offsets() {
        let text = "Hi @alice.bsky.social see https://example.com/a?b=1 #rust";
        let facets = detect(text);
        assert_eq!(
            facets,
            vec![
                DetectedFacet {
                    byte_start: 3,
                    byte_end: 21,
                    kind: FacetKind::Mention("alice.bsky.social".into())
                },
                DetectedFacet {
                    byte_start: 26,
                    byte_end: 51,
                    kind: FacetKind::Link("https://example.com/a?b=1".into())
                },
                DetectedFacet {
                    byte_start: 52,
                    byte_end: 57,
                    kind: FacetKind::Tag("rust".into())
                },
            ]
        );
        assert_eq!(slice(text, &facets[0]), "@alice.bsky.social");
        assert_eq!(slice(text, &facets[2]), "#rust");
    }

    #[test]
    fn offsets_count_utf8_bytes_not_chars() {
        // "✨" is 3 bytes, "é" is 2: the facets start after them in bytes.
        let text = "✨ café @bob.example.com https://x.org #été";
        let facets = detect(text);
        assert_eq!(facets.len(), 3, "{facets:?}");
        assert_eq!(facets[0].byte_start, 10);
        assert_eq!(utf8_slice(text, &facets[0]), "@bob.example.com");
        assert_eq!(utf8_slice(text, &facets[1]), "https://x.org");
        assert_eq!(utf8_slice(text, &facets[2]), "#été");
        assert_eq!(facets[2].kind, FacetKind::Tag("été".into()));
        assert_eq!(facets[2].byte_end, text.len());
    }

    #[test]
    fn trailing_punctuation_is_left_out() {
        let text =
            "Read https://example.com/page. And (https://example.com/x) #done! @carol.bsky.social.";
        let facets = detect(text);
        let ranges: Vec<&str> = facets.iter().map(|f| utf8_slice(text, f)).collect();
        assert_eq!(
            ranges,
            vec![
                "https://example.com/page",
                "https://example.com/x",
                "#done",
                "@carol.bsky.social"
            ]
        );
        assert_eq!(
            facets[0].kind,
            FacetKind::Link("https://example.com/page".into())
        );
        assert_eq!(facets[2].kind, FacetKind::Tag("done".into()));
    }

    #[test]
    fn bare_domains_need_a_known_tld() {
        let facets = detect("visit example.com/path and not.a-real-tld-zz or file.notatld");
        assert_eq!(
            facets,
            vec![DetectedFacet {
                byte_start: 6,
                byte_end: 22,
                kind: FacetKind::Link("https://example.com/path".into())
            }]
        );
    }

    #[test]
    fn mentions_need_a_domain_like_handle() {
        assert!(detect("@alice hello").is_empty());
        assert!(detect("mail bob@example.com").is_empty());
        let test_handle = detect("(@dev.test)");
        assert_eq!(test_handle.len(), 1);
        assert_eq!(test_handle[0].kind, FacetKind::Mention("dev.test".into()));
        assert_eq!(
            (test_handle[0].byte_start, test_handle[0].byte_end),
            (1, 10)
        );
    }

    #[test]
    fn tags_need_a_letter_and_a_preceding_space() {
        assert!(detect("#123 #!! a#b").is_empty());
        let facets = detect("#2024wins and ＃全角 and #️⃣ keycap");
        let tags: Vec<FacetKind> = facets.into_iter().map(|f| f.kind).collect();
        assert_eq!(
            tags,
            vec![
                FacetKind::Tag("2024wins".into()),
                FacetKind::Tag("全角".into())
            ]
        );
        let long = format!("#{}", "a".repeat(65));
        assert!(detect(&long).is_empty());
        let max = format!("#{}", "a".repeat(64));
        assert_eq!(detect(&max).len(), 1);
    }

    #[test]
    fn no_overlaps() {
        let facets = detect("https://example.com/#tag @x.com");
        for pair in facets.windows(2) {
            assert!(pair[0].byte_end <= pair[1].byte_start);
        }
        assert_eq!(facets.len(), 2);
    }
}
