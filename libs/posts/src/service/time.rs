//! Dates: parsing what clients send, repeating posts that keep their wall-clock time across
//! DST changes, and free posting slots.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Parses a date as Postiz clients send it: RFC 3339 (`2026-11-22T09:00:00.000Z`), or without
/// an offset (`2026-11-22T09:00:00`, `2026-11-22 09:00`), which Postiz reads as UTC.
pub fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(value) {
        return Some(d.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(value, format) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    }
    None
}

/// A time zone name, if the IANA database knows it.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// `start` moved by whole days in `zone`: the local wall-clock time stays the same across DST
/// changes (a 09:00 post stays at 09:00). Without a zone, days of 24 hours in UTC.
pub fn add_days(start: DateTime<Utc>, days: i64, zone: Option<Tz>) -> DateTime<Utc> {
    let Some(tz) = zone else {
        return start + Duration::days(days);
    };
    let local = start.with_timezone(&tz).naive_local() + Duration::days(days);
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        // The hour repeats when clocks go back: the first one.
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // The hour does not exist when clocks go forward: one hour later, as people expect.
        chrono::LocalResult::None => tz
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map_or(start + Duration::days(days), |t| t.with_timezone(&Utc)),
    }
}

/// The occurrences of a repeating post (every `interval` days from `first`) that fall in
/// `[from, to]`; at most `limit` of them.
pub fn occurrences(
    first: DateTime<Utc>,
    interval: i64,
    zone: Option<Tz>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    if interval <= 0 {
        return out;
    }
    // Jump close to `from` instead of walking from the first date.
    let skip = ((from - first).num_days() / interval - 1).max(0);
    let mut k = skip;
    loop {
        let at = add_days(first, k * interval, zone);
        if at > to || out.len() >= limit {
            break;
        }
        if at >= from && at >= first {
            out.push(at);
        }
        k += 1;
    }
    out
}

/// The next occurrence of a repeating post strictly after `after`.
pub fn next_occurrence(
    first: DateTime<Utc>,
    interval: i64,
    zone: Option<Tz>,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if interval <= 0 {
        return None;
    }
    let start = ((after - first).num_days() / interval).max(0);
    (start..start + 10_000)
        .map(|k| add_days(first, k * interval, zone))
        .find(|at| *at > after)
}

/// The earliest free slot: the first posting time (minutes after midnight UTC) from today on
/// that is in the future and not taken by another post. `taken` holds the taken instants.
pub fn first_free_slot(
    now: DateTime<Utc>,
    times: &[i32],
    taken: &[DateTime<Utc>],
    days: i64,
) -> Option<DateTime<Utc>> {
    let mut times: Vec<i32> = times
        .iter()
        .copied()
        .filter(|t| (0..24 * 60).contains(t))
        .collect();
    times.sort_unstable();
    times.dedup();
    let today = now.date_naive().and_hms_opt(0, 0, 0)?;
    let today = Utc.from_utc_datetime(&today);
    for day in 0..days {
        let midnight = today + Duration::days(day);
        for t in &times {
            let at = midnight + Duration::minutes(i64::from(*t));
            if at > now && !taken.contains(&at) {
                return Some(at);
            }
        }
    }
    None
}

/// Postiz's slot format: `YYYY-MM-DDTHH:mm:00` (UTC, no offset).
pub fn slot_format(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:00").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        parse_date(s).unwrap_or_default()
    }

    #[test]
    fn parses_client_dates() {
        assert_eq!(
            utc("2026-11-22T09:00:00.000Z").to_rfc3339(),
            "2026-11-22T09:00:00+00:00"
        );
        assert_eq!(
            utc("2026-11-22T10:00:00+01:00").to_rfc3339(),
            "2026-11-22T09:00:00+00:00"
        );
        assert_eq!(
            utc("2026-11-22T09:00:00").to_rfc3339(),
            "2026-11-22T09:00:00+00:00"
        );
        assert_eq!(
            utc("2026-11-22 09:00").to_rfc3339(),
            "2026-11-22T09:00:00+00:00"
        );
        assert!(parse_date("tomorrow").is_none());
    }

    #[test]
    fn repeats_keep_local_time_across_dst() {
        let paris = parse_timezone("Europe/Paris");
        // 09:00 in Paris on Friday 2026-10-23 (UTC+2) ...
        let first = utc("2026-10-23T07:00:00Z");
        // ... is still 09:00 in Paris a week later, after the clocks went back (UTC+1).
        assert_eq!(add_days(first, 7, paris), utc("2026-10-30T08:00:00Z"));
        // Without a zone, 24-hour days.
        assert_eq!(add_days(first, 7, None), utc("2026-10-30T07:00:00Z"));
        // A time that does not exist when clocks go forward moves an hour later.
        let ny = parse_timezone("America/New_York");
        let before = utc("2026-03-07T07:30:00Z"); // 02:30 EST on 7 March
        assert_eq!(add_days(before, 1, ny), utc("2026-03-08T07:30:00Z")); // 03:30 EDT
    }

    #[test]
    fn occurrences_in_a_window() {
        let first = utc("2026-11-01T09:00:00Z");
        let list = occurrences(
            first,
            3,
            None,
            utc("2026-11-05T00:00:00Z"),
            utc("2026-11-12T00:00:00Z"),
            100,
        );
        assert_eq!(
            list,
            vec![utc("2026-11-07T09:00:00Z"), utc("2026-11-10T09:00:00Z")]
        );
        assert_eq!(
            next_occurrence(first, 3, None, utc("2026-11-07T09:00:00Z")),
            Some(utc("2026-11-10T09:00:00Z"))
        );
    }

    #[test]
    fn free_slots_skip_taken_and_past_times() {
        let now = utc("2026-11-22T05:00:00Z");
        let taken = [utc("2026-11-22T06:40:00Z")];
        // 120 = 02:00 (past), 400 = 06:40 (taken), 700 = 11:40 (free).
        assert_eq!(
            first_free_slot(now, &[120, 400, 700], &taken, 30),
            Some(utc("2026-11-22T11:40:00Z"))
        );
        let all_taken = [utc("2026-11-22T11:40:00Z"), utc("2026-11-22T06:40:00Z")];
        assert_eq!(
            first_free_slot(now, &[400, 700], &all_taken, 30),
            Some(utc("2026-11-23T06:40:00Z"))
        );
        assert_eq!(
            slot_format(utc("2026-11-23T06:40:00Z")),
            "2026-11-23T06:40:00"
        );
    }
}
