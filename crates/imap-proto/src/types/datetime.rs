//! Dates of SEARCH (`date`, RFC 3501 section 9) and APPEND/INTERNALDATE (`date-time`).

use std::fmt;

use crate::error::InvalidValue;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date: `d-Mon-yyyy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date; the day must exist in the month (29 February only in leap years).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, InvalidValue> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(InvalidValue::new("date", 0)),
        };
        if day == 0 || day > days || year > 9999 {
            return Err(InvalidValue::new("date", 0));
        }
        Ok(Self { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Parses `d-Mon-yyyy` (one or two digits for the day, or a space and one digit).
    pub(crate) fn parse(text: &[u8]) -> Option<Self> {
        let mut parts = text.split(|&b| b == b'-');
        let day = parts.next()?;
        let day = day.strip_prefix(b" ").unwrap_or(day);
        if day.len() > 2 {
            return None;
        }
        let day = digits(day)?;
        let month = month(parts.next()?)?;
        let year = parts.next()?;
        if parts.next().is_some() || year.len() != 4 {
            return None;
        }
        let year = u16::try_from(digits(year)?).ok()?;
        Self::new(year, month, u8::try_from(day).ok()?).ok()
    }
}

fn digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 4 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
}

fn month(text: &[u8]) -> Option<u8> {
    let i = MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(text))?;
    u8::try_from(i + 1).ok()
}

fn month_name(month: u8) -> &'static str {
    MONTHS
        .get(usize::from(month.saturating_sub(1)))
        .copied()
        .unwrap_or("Jan")
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:04}",
            self.day,
            month_name(self.month),
            self.year
        )
    }
}

/// A date and time with its zone: `"dd-Mon-yyyy hh:mm:ss +zzzz"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    /// The zone's offset from UTC in minutes.
    zone: i16,
}

impl DateTime {
    /// A date-time; the zone is minutes east of UTC (at most 99 hours 59 minutes).
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        zone: i16,
    ) -> Result<Self, InvalidValue> {
        if hour > 23 || minute > 59 || second > 60 || zone.unsigned_abs() > 99 * 60 + 59 {
            return Err(InvalidValue::new("date-time", 0));
        }
        Ok(Self {
            date,
            hour,
            minute,
            second,
            zone,
        })
    }

    /// The date.
    pub fn date(self) -> Date {
        self.date
    }

    /// Hour, minute, second.
    pub fn time(self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// Minutes east of UTC.
    pub fn zone(self) -> i16 {
        self.zone
    }

    /// Parses the inside of the quoted `date-time` (leniently: one-digit days with or
    /// without the leading space).
    pub(crate) fn parse(text: &[u8]) -> Option<Self> {
        let text = text.strip_prefix(b" ").unwrap_or(text);
        let mut parts = text.split(|&b| b == b' ');
        let date = Date::parse(parts.next()?)?;
        let time = parts.next()?;
        let zone = parts.next()?;
        if parts.next().is_some() || time.len() != 8 || zone.len() != 5 {
            return None;
        }
        let mut hms = time.split(|&b| b == b':');
        let two = |p: Option<&[u8]>| {
            p.filter(|p| p.len() == 2)
                .and_then(digits)
                .and_then(|n| u8::try_from(n).ok())
        };
        let (h, m, s) = (two(hms.next())?, two(hms.next())?, two(hms.next())?);
        let sign = match zone.first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hh = i16::try_from(digits(zone.get(1..3)?)?).ok()?;
        let mm = i16::try_from(digits(zone.get(3..5)?)?).ok()?;
        Self::new(date, h, m, s, sign * (hh * 60 + mm)).ok()
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.zone < 0 { '-' } else { '+' };
        let zone = self.zone.unsigned_abs();
        write!(
            f,
            "{:02}-{}-{:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            self.date.day,
            month_name(self.date.month),
            self.date.year,
            self.hour,
            self.minute,
            self.second,
            zone / 60,
            zone % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = Date::parse(b"1-Feb-1994").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (1994, 2, 1));
        assert_eq!(d.to_string(), "1-Feb-1994");
        assert!(Date::parse(b"29-feb-2000").is_some());
        assert!(Date::parse(b"29-Feb-1900").is_none());
        assert!(Date::parse(b"32-Jan-2000").is_none());
        assert!(Date::parse(b"1-Foo-2000").is_none());
        assert!(Date::parse(b"1-Jan-20000").is_none());
    }

    #[test]
    fn date_times() {
        // RFC 3501 section 8 example.
        let t = DateTime::parse(b"17-Jul-1996 02:44:25 -0700").unwrap();
        assert_eq!(t.to_string(), "17-Jul-1996 02:44:25 -0700");
        assert_eq!(t.zone(), -420);
        let t = DateTime::parse(b" 7-Feb-1994 21:52:25 -0800").unwrap();
        assert_eq!(t.to_string(), "07-Feb-1994 21:52:25 -0800");
        assert!(DateTime::parse(b"17-Jul-1996 24:00:00 +0000").is_none());
        assert!(DateTime::parse(b"17-Jul-1996 02:44:25 0700").is_none());
    }
}
