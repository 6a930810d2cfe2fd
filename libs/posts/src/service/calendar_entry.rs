//! Entries of the calendar and list views with Postiz's minified keys. The calendar's JSON is
//! written straight from the rows read ([`CalendarEntry`]): building owned [`MiniPost`]s first
//! copied every post's content, ids, tags and channel only for the encoder to read them once.
//! A unit test holds both forms to the same JSON.

use chrono::{DateTime, Utc};
use postiz_core::ids::to_json_time;
use postiz_entity::tag;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::dto::posts::{MiniChannel, MiniPost, MiniTag, MiniTagWrapper};
use crate::ports::ChannelBadge;
use crate::repository::posts::PostSummaryRow;

/// A post of the list view, or of the calendar as the public API returns it.
pub fn mini_post(row: &PostSummaryRow, channel: &ChannelBadge, tags: &[tag::Model]) -> MiniPost {
    MiniPost {
        i: row.id.clone(),
        c: row.content.clone(),
        d: to_json_time(&row.publish_date),
        u: row.release_url.clone(),
        ri: row.release_id.clone(),
        s: row.state.clone(),
        g: row.group_id.clone(),
        tg: tags
            .iter()
            .map(|t| MiniTagWrapper {
                t: MiniTag {
                    i: t.id.clone(),
                    n: t.name.clone(),
                    c: t.color.clone(),
                    o: t.organization_id.clone(),
                    ca: to_json_time(&t.created_at),
                    ua: to_json_time(&t.updated_at),
                    da: t.deleted_at.as_ref().map(to_json_time),
                },
            })
            .collect(),
        n: MiniChannel {
            i: channel.id.clone(),
            pi: channel.provider_identifier.clone(),
            n: channel.name.clone(),
            p: channel.picture.clone(),
        },
        iv: row.interval_in_days,
        ad: None,
        cm: row.creation_method.clone(),
    }
}

/// One calendar entry, borrowed from the rows it shows; serializes as [`MiniPost`] does.
#[derive(Debug, Clone, Copy)]
pub struct CalendarEntry<'a> {
    pub row: &'a PostSummaryRow,
    pub channel: &'a ChannelBadge,
    pub tags: &'a [tag::Model],
    /// When this entry is shown: the post's date, or the date of one of its repetitions.
    pub at: DateTime<Utc>,
    /// An occurrence of a repeating post: `ad` then carries the date of the post it repeats.
    pub repeats: bool,
}

impl CalendarEntry<'_> {
    /// The order of the answer: by the date shown (as the millisecond dates the answer
    /// holds compare), then by post id.
    pub fn order(&self, other: &Self) -> std::cmp::Ordering {
        self.at
            .timestamp_millis()
            .cmp(&other.at.timestamp_millis())
            .then_with(|| self.row.id.cmp(&other.row.id))
    }

    pub fn to_mini_post(&self) -> MiniPost {
        let mut post = mini_post(self.row, self.channel, self.tags);
        if self.repeats {
            post.d = to_json_time(&self.at);
            post.ad = Some(to_json_time(&self.row.publish_date));
        }
        post
    }
}

impl Serialize for CalendarEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let row = self.row;
        let mut post = serializer.serialize_struct("MiniPost", 11 + usize::from(self.repeats))?;
        post.serialize_field("i", &row.id)?;
        post.serialize_field("c", &row.content)?;
        post.serialize_field("d", &to_json_time(&self.at))?;
        post.serialize_field("u", &row.release_url)?;
        post.serialize_field("ri", &row.release_id)?;
        post.serialize_field("s", &row.state)?;
        post.serialize_field("g", &row.group_id)?;
        post.serialize_field("tg", &Tags(self.tags))?;
        post.serialize_field("n", &Channel(self.channel))?;
        post.serialize_field("iv", &row.interval_in_days)?;
        if self.repeats {
            post.serialize_field("ad", &to_json_time(&row.publish_date))?;
        }
        post.serialize_field("cm", &row.creation_method)?;
        post.end()
    }
}

/// `tg`: `[{t: {i, n, c, o, ca, ua, da}}]`.
struct Tags<'a>(&'a [tag::Model]);

impl Serialize for Tags<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(TagWrapper))
    }
}

struct TagWrapper<'a>(&'a tag::Model);

impl Serialize for TagWrapper<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut wrapper = serializer.serialize_struct("MiniTagWrapper", 1)?;
        wrapper.serialize_field("t", &Tag(self.0))?;
        wrapper.end()
    }
}

struct Tag<'a>(&'a tag::Model);

impl Serialize for Tag<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut tag = serializer.serialize_struct("MiniTag", 7)?;
        tag.serialize_field("i", &t.id)?;
        tag.serialize_field("n", &t.name)?;
        tag.serialize_field("c", &t.color)?;
        tag.serialize_field("o", &t.organization_id)?;
        tag.serialize_field("ca", &to_json_time(&t.created_at))?;
        tag.serialize_field("ua", &to_json_time(&t.updated_at))?;
        tag.serialize_field("da", &t.deleted_at.as_ref().map(to_json_time))?;
        tag.end()
    }
}

/// `n`: `{i, pi, n, p}`.
struct Channel<'a>(&'a ChannelBadge);

impl Serialize for Channel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut channel = serializer.serialize_struct("MiniChannel", 4)?;
        channel.serialize_field("i", &c.id)?;
        channel.serialize_field("pi", &c.provider_identifier)?;
        channel.serialize_field("n", &c.name)?;
        channel.serialize_field("p", &c.picture)?;
        channel.end()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(interval: Option<i32>) -> PostSummaryRow {
        PostSummaryRow {
            id: "post-1".into(),
            integration_id: "channel-1".into(),
            group_id: "group-1".into(),
            state: "PUBLISHED".into(),
            publish_date: Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap()
                + chrono::Duration::microseconds(123_456),
            content: "<p>\"Quoted\" \\ é 😀 \u{1}</p>".into(),
            interval_in_days: interval,
            repeat_timezone: Some("Europe/Paris".into()),
            creation_method: "WEB".into(),
            release_id: Some("123".into()),
            release_url: Some("https://example.com/@me/123".into()),
        }
    }

    fn tag(id: &str, deleted: bool) -> tag::Model {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        tag::Model {
            id: id.into(),
            organization_id: "org-1".into(),
            name: format!("Tag \"{id}\""),
            color: "#ff0000".into(),
            created_at: at,
            updated_at: at + chrono::Duration::milliseconds(7),
            deleted_at: deleted.then_some(at),
        }
    }

    fn channel(picture: Option<&str>) -> ChannelBadge {
        ChannelBadge {
            id: "channel-1".into(),
            provider_identifier: "mastodon".into(),
            name: "My \"channel\"".into(),
            picture: picture.map(Into::into),
            customer_id: Some("customer-1".into()),
        }
    }

    /// The JSON written from borrowed rows is the JSON of the owned view, for every form an
    /// entry takes: with and without tags, picture, release, and as a repetition.
    #[test]
    fn a_borrowed_entry_writes_what_the_owned_view_writes() {
        let tags = [tag("b", false), tag("a", true)];
        let later = Utc.with_ymd_and_hms(2026, 4, 5, 22, 30, 0).unwrap();
        let mut bare = row(None);
        bare.release_id = None;
        bare.release_url = None;
        let cases = [
            (
                row(None),
                channel(Some("https://cdn.example.com/p.png")),
                &tags[..],
                None,
            ),
            (bare, channel(None), &[][..], None),
            (row(Some(7)), channel(None), &tags[..1], Some(later)),
        ];
        for (row, channel, tags, repetition) in &cases {
            let entry = CalendarEntry {
                row,
                channel,
                tags,
                at: repetition.unwrap_or(row.publish_date),
                repeats: repetition.is_some(),
            };
            let written = serde_json::to_string(&entry).unwrap();
            assert_eq!(
                written,
                serde_json::to_string(&entry.to_mini_post()).unwrap()
            );
            let value: serde_json::Value = serde_json::from_str(&written).unwrap();
            assert_eq!(value["ad"].is_string(), repetition.is_some());
        }
    }

    #[test]
    fn entries_sort_by_the_millisecond_shown_then_by_id() {
        let (mut first, mut second) = (row(None), row(None));
        first.id = "b".into();
        second.id = "a".into();
        let channel = channel(None);
        let at = first.publish_date;
        let entry = |row, at| CalendarEntry {
            row,
            channel: &channel,
            tags: &[],
            at,
            repeats: false,
        };
        // 100 µs apart, the same millisecond in the answer: the id decides.
        let b = entry(&first, at);
        let a = entry(&second, at + chrono::Duration::microseconds(100));
        assert_eq!(b.order(&a), std::cmp::Ordering::Greater);
        let later = entry(&second, at + chrono::Duration::milliseconds(1));
        assert_eq!(b.order(&later), std::cmp::Ordering::Less);
    }
}
