//! HTTP-dates (RFC 9110 §5.6.7), as `Retry-After` may carry them: the
//! preferred IMF-fixdate and the two obsolete forms every recipient must
//! still accept.
//!
//! ```text
//! Sun, 06 Nov 1994 08:49:37 GMT    IMF-fixdate
//! Sunday, 06-Nov-94 08:49:37 GMT   rfc850-date
//! Sun Nov  6 08:49:37 1994         asctime-date
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The instant `value` names, in any of the three forms; `None` when it is
/// none of them or names no real date (30 February, 25:00). `now` resolves
/// the two-digit year of an rfc850-date: a year more than 50 years ahead
/// of `now` is the century before.
pub(crate) fn parse(value: &str, now: SystemTime) -> Option<SystemTime> {
    let value = value.trim();
    imf_fixdate(value)
        .or_else(|| rfc850_date(value, now))
        .or_else(|| asctime_date(value))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(s: &str) -> Option<SystemTime> {
    let (day_name, rest) = s.split_once(", ")?;
    DAY_NAMES.contains(&day_name).then_some(())?;
    let mut parts = rest.split(' ');
    let day = digits(parts.next()?, 2)?;
    let month = month(parts.next()?)?;
    let year = digits(parts.next()?, 4)?;
    let time = time_of_day(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    instant(year, month, day, time)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn rfc850_date(s: &str, now: SystemTime) -> Option<SystemTime> {
    let (day_name, rest) = s.split_once(", ")?;
    LONG_DAY_NAMES.contains(&day_name).then_some(())?;
    let mut parts = rest.split(' ');
    let mut date = parts.next()?.split('-');
    let day = digits(date.next()?, 2)?;
    let month = month(date.next()?)?;
    let short_year = digits(date.next()?, 2)?;
    date.next().is_none().then_some(())?;
    let time = time_of_day(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    let this_year = year_of(now);
    let mut year = this_year - this_year % 100 + short_year;
    if year > this_year + 50 {
        year -= 100;
    }
    instant(year, month, day, time)
}

/// `Sun Nov  6 08:49:37 1994` (a one-digit day is padded with a space).
fn asctime_date(s: &str) -> Option<SystemTime> {
    let day_name = s.get(..4)?.strip_suffix(' ')?;
    DAY_NAMES.contains(&day_name).then_some(())?;
    let month = month(s.get(4..8)?.strip_suffix(' ')?)?;
    let day_field = s.get(8..11)?.strip_suffix(' ')?;
    let day = match day_field.strip_prefix(' ') {
        Some(one) => digits(one, 1)?,
        None => digits(day_field, 2)?,
    };
    let time = time_of_day(s.get(11..20)?.strip_suffix(' ')?)?;
    let year = digits(s.get(20..)?, 4)?;
    instant(year, month, day, time)
}

/// `HH:MM:SS`, as seconds since midnight (a leap second, `:60`, is the
/// first second of the next minute).
fn time_of_day(s: &str) -> Option<u64> {
    let mut parts = s.split(':');
    let hour = digits(parts.next()?, 2)?;
    let minute = digits(parts.next()?, 2)?;
    let second = digits(parts.next()?, 2)?;
    (parts.next().is_none() && hour < 24 && minute < 60 && second <= 60).then_some(())?;
    Some(hour * 3600 + minute * 60 + second)
}

/// Exactly `len` ASCII digits.
fn digits(s: &str, len: usize) -> Option<u64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then_some(())?;
    s.parse().ok()
}

/// `Jan` is 1 (case-sensitive, as the grammar says).
fn month(s: &str) -> Option<u64> {
    let index = MONTHS.iter().position(|m| *m == s)?;
    u64::try_from(index + 1).ok()
}

fn is_leap(year: u64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian
/// calendar (negative before it), counted in 400-year eras of 146,097
/// days whose years start on 1 March, so that a leap day ends its year.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The Gregorian year `now` falls in (UTC).
fn year_of(now: SystemTime) -> u64 {
    let days = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    // The inverse of `days_from_civil`'s era arithmetic, years only.
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_based_month = (5 * day_of_year + 2) / 153;
    era * 400 + year_of_era + u64::from(march_based_month >= 10)
}

fn instant(year: u64, month: u64, day: u64, time: u64) -> Option<SystemTime> {
    (1..=days_in_month(year, month))
        .contains(&day)
        .then_some(())?;
    // Years have four digits: every field fits an `i64`.
    let [year, month, day, time] = [year, month, day, time].map(|n| i64::try_from(n).unwrap_or(0));
    let secs = days_from_civil(year, month, day) * 86_400 + time;
    match u64::try_from(secs) {
        Ok(after) => UNIX_EPOCH.checked_add(Duration::from_secs(after)),
        Err(_) => UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    // 1994-11-06 08:49:37 UTC, the RFC's example.
    const EXAMPLE: u64 = 784_111_777;

    #[test]
    fn the_three_forms_of_the_rfc_example() {
        let now = at(1_700_000_000); // 2023
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse(value, now), Some(at(EXAMPLE)), "{value}");
        }
    }

    #[test]
    fn dates_around_leap_days_and_the_epoch() {
        let now = at(0);
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT", now), Some(at(0)));
        assert_eq!(
            parse("Thu, 29 Feb 2024 23:59:59 GMT", now),
            Some(at(1_709_251_199))
        );
        assert_eq!(
            parse("Fri, 01 Mar 2024 00:00:00 GMT", now),
            Some(at(1_709_251_200))
        );
        assert_eq!(
            parse("Wed, 31 Dec 1969 23:59:59 GMT", now),
            Some(at(0) - Duration::from_secs(1))
        );
        assert_eq!(
            parse("Sat, 01 Jan 2000 00:00:00 GMT", now),
            Some(at(946_684_800))
        );
    }

    #[test]
    fn a_two_digit_year_is_at_most_fifty_years_ahead() {
        let in_2026 = at(1_767_225_600 + 86_400 * 100); // April 2026
        assert_eq!(year_of(in_2026), 2026);
        let y2030 = parse("Tuesday, 01-Jan-30 00:00:00 GMT", in_2026).unwrap();
        assert_eq!(
            y2030,
            parse("Tue, 01 Jan 2030 00:00:00 GMT", in_2026).unwrap()
        );
        let y1999 = parse("Friday, 31-Dec-99 00:00:00 GMT", in_2026).unwrap();
        assert_eq!(
            y1999,
            parse("Fri, 31 Dec 1999 00:00:00 GMT", in_2026).unwrap()
        );
    }

    #[test]
    fn year_of_agrees_with_days_from_civil() {
        for year in [1970, 1999, 2000, 2023, 2024, 2100, 2400] {
            let first = days_from_civil(year, 1, 1).unsigned_abs() * 86_400;
            let last = days_from_civil(year, 12, 31).unsigned_abs() * 86_400 + 86_399;
            assert_eq!(year_of(at(first)), year.unsigned_abs());
            assert_eq!(year_of(at(last)), year.unsigned_abs());
        }
    }

    #[test]
    fn a_leap_second_is_the_next_minute() {
        let now = at(0);
        assert_eq!(
            parse("Sat, 31 Dec 2016 23:59:60 GMT", now),
            parse("Sun, 01 Jan 2017 00:00:00 GMT", now)
        );
    }

    #[test]
    fn malformed_or_impossible_dates_are_none() {
        let now = at(0);
        for value in [
            "",
            "120",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Mon, 30 Feb 2024 00:00:00 GMT",
            "Sat, 29 Feb 2025 00:00:00 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}",
        ] {
            assert_eq!(parse(value, now), None, "{value:?}");
        }
    }
}
