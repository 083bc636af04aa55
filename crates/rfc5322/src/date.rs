//! The date-time value of RFC 5322 section 3.3: what the parser returns for Date and
//! Resent-Date, and what the builder writes.

use std::fmt;

/// A calendar date and time of day with the zone offset as written.
///
/// The offset is kept as found (`-0000` and the military zones read as an offset of 0 with
/// [`DateTime::offset_unknown`] set, RFC 5322 section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DateTime {
    /// The year, four digits after the two- and three-digit rules of section 4.3.
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 60 (a leap second is allowed).
    pub second: u8,
    /// Minutes east of UTC (`+0130` is 90, `-0800` is -480).
    pub offset_minutes: i16,
    /// True for `-0000` and the zones section 4.3 says to read as `-0000`: the time is UTC
    /// and the local zone is unknown.
    pub offset_unknown: bool,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl DateTime {
    /// A checked constructor: `None` when a field is out of range.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        offset_minutes: i16,
    ) -> Option<Self> {
        let dt = DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset_minutes,
            offset_unknown: false,
        };
        dt.is_valid().then_some(dt)
    }

    /// True when every field is in its range (the day exists in that month, the offset is
    /// under 100 hours as four digits allow).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.offset_minutes.unsigned_abs() < 100 * 60
    }

    /// Seconds since the Unix epoch (UTC).
    pub fn unix_timestamp(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }

    /// The local date-time at `offset_minutes` east of UTC for a Unix timestamp. Years outside
    /// 0..=65535 are clamped.
    pub fn from_unix_timestamp(secs: i64, offset_minutes: i16) -> Self {
        let local = secs.saturating_add(i64::from(offset_minutes) * 60);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        DateTime {
            year: u16::try_from(y.clamp(0, 65_535)).unwrap_or(0),
            month: u8::try_from(m).unwrap_or(1),
            day: u8::try_from(d).unwrap_or(1),
            hour: u8::try_from(rem / 3600).unwrap_or(0),
            minute: u8::try_from(rem % 3600 / 60).unwrap_or(0),
            second: u8::try_from(rem % 60).unwrap_or(0),
            offset_minutes,
            offset_unknown: false,
        }
    }

    /// The day of the week, 0 = Monday .. 6 = Sunday.
    pub fn weekday(&self) -> u8 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        // 1970-01-01 was a Thursday (3).
        u8::try_from((days + 3).rem_euclid(7)).unwrap_or(0)
    }

    /// The RFC 5322 section 3.3 form, `Mon, 2 Jan 2006 15:04:05 -0700`.
    pub fn to_rfc5322(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wd = DAYS
            .get(usize::from(self.weekday()))
            .copied()
            .unwrap_or("Mon");
        let mon = MONTHS
            .get(usize::from(self.month.saturating_sub(1)))
            .copied()
            .unwrap_or("Jan");
        let sign = if self.offset_minutes < 0 || (self.offset_unknown && self.offset_minutes == 0) {
            '-'
        } else {
            '+'
        };
        let off = self.offset_minutes.unsigned_abs();
        write!(
            f,
            "{wd}, {} {mon} {:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            self.day,
            self.year,
            self.hour,
            self.minute,
            self.second,
            off / 60,
            off % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_round_trip() {
        let d = DateTime::new(2003, 7, 1, 10, 52, 37, 120).unwrap();
        assert_eq!(d.unix_timestamp(), 1_057_049_557);
        assert_eq!(DateTime::from_unix_timestamp(1_057_049_557, 120), d);
        assert_eq!(d.to_string(), "Tue, 1 Jul 2003 10:52:37 +0200");
        assert_eq!(
            DateTime::from_unix_timestamp(0, 0).to_string(),
            "Thu, 1 Jan 1970 00:00:00 +0000"
        );
        assert!(DateTime::new(2023, 2, 29, 0, 0, 0, 0).is_none());
        assert!(DateTime::new(2024, 2, 29, 0, 0, 0, 0).is_some());
    }
}
