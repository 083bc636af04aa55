//! Sequence sets (RFC 3501 section 9 `sequence-set`, RFC 9051 with `$` of SEARCHRES, RFC
//! 5182). [`SequenceSet`] numbers messages by position, [`UidSet`] by UID: distinct types, so
//! that one is never sent where the other belongs.

use std::fmt;
use std::num::NonZeroU32;

use crate::error::InvalidValue;

/// One end of a range: a number, or `*` (the largest number in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqNumber {
    /// A message number or UID.
    Value(NonZeroU32),
    /// `*`: the largest number in use (the last message, or the highest UID).
    Last,
}

impl SeqNumber {
    /// A number; zero is refused.
    pub fn new(n: u32) -> Result<Self, InvalidValue> {
        NonZeroU32::new(n)
            .map(Self::Value)
            .ok_or(InvalidValue::new("sequence number", 0))
    }

    /// The number, with `*` read as `largest`.
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            Self::Value(n) => n.get(),
            Self::Last => largest,
        }
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(n) => write!(f, "{n}"),
            Self::Last => f.write_str("*"),
        }
    }
}

/// `seq-number` or `seq-range`: `a` alone when both ends are equal, else `a:b` (either
/// order, RFC 3501 section 9: "2:4" and "4:2" are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqRange {
    /// The first end, as written.
    pub start: SeqNumber,
    /// The second end, as written (equal to `start` for a single number).
    pub end: SeqNumber,
}

impl SeqRange {
    /// One number.
    pub fn single(n: SeqNumber) -> Self {
        Self { start: n, end: n }
    }

    /// True when `n` lies in the range, `*` being `largest`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        let a = self.start.resolve(largest);
        let b = self.end.resolve(largest);
        (a.min(b)..=a.max(b)).contains(&n)
    }
}

impl fmt::Display for SeqRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}:{}", self.start, self.end)
        }
    }
}

/// The shared body of both set types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Set {
    /// One or more ranges.
    Ranges(Vec<SeqRange>),
    /// `$`: the result saved by the last SEARCH (RFC 5182).
    Saved,
}

impl Set {
    fn new(ranges: impl IntoIterator<Item = SeqRange>) -> Result<Self, InvalidValue> {
        let ranges: Vec<SeqRange> = ranges.into_iter().collect();
        if ranges.is_empty() {
            return Err(InvalidValue::new("sequence set", 0));
        }
        Ok(Self::Ranges(ranges))
    }

    /// `sequence-set` (or `$` when `dollar`) from its octets.
    fn parse(bytes: &[u8], dollar: bool) -> Option<Self> {
        if bytes == b"$" {
            return dollar.then_some(Self::Saved);
        }
        // One pass: `number [":" number]`, then `,` and the next range, or the end.
        let mut ranges = Vec::with_capacity(bytes.len() / 4 + 1);
        let mut rest = bytes;
        loop {
            let (start, after) = number_prefix(rest)?;
            let (end, after) = match after.split_first() {
                Some((b':', tail)) => number_prefix(tail)?,
                _ => (start, after),
            };
            ranges.push(SeqRange { start, end });
            match after.split_first() {
                None => return Some(Self::Ranges(ranges)),
                Some((b',', tail)) => rest = tail,
                Some(_) => return None,
            }
        }
    }

    fn ranges(&self) -> &[SeqRange] {
        match self {
            Self::Ranges(r) => r,
            Self::Saved => &[],
        }
    }

    fn contains(&self, n: u32, largest: u32) -> bool {
        self.ranges().iter().any(|r| r.contains(n, largest))
    }
}

/// The `seq-number` at the front of `bytes` (`*`, or a non-zero number of at most 32 bits
/// without a leading zero), and the octets after it.
fn number_prefix(bytes: &[u8]) -> Option<(SeqNumber, &[u8])> {
    match bytes.first()? {
        b'*' => Some((SeqNumber::Last, bytes.get(1..)?)),
        b'1'..=b'9' => {
            // At most 10 digits fit 32 bits; an 11th makes the number too large.
            let mut n: u64 = 0;
            let mut len = 0;
            for &b in bytes.iter().take(11) {
                if !b.is_ascii_digit() {
                    break;
                }
                n = n * 10 + u64::from(b - b'0');
                len += 1;
            }
            let n = NonZeroU32::new(u32::try_from(n).ok()?)?;
            (len <= 10).then_some((SeqNumber::Value(n), bytes.get(len..)?))
        }
        _ => None,
    }
}

impl fmt::Display for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Saved => f.write_str("$"),
            Self::Ranges(ranges) => {
                for (i, r) in ranges.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
        }
    }
}

macro_rules! set_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(Set);

        impl $name {
            /// A set of one or more ranges; an empty list is refused.
            pub fn new(ranges: impl IntoIterator<Item = SeqRange>) -> Result<Self, InvalidValue> {
                Set::new(ranges).map(Self)
            }

            /// One number (zero is refused).
            pub fn single(n: u32) -> Result<Self, InvalidValue> {
                Ok(Self(Set::Ranges(vec![SeqRange::single(SeqNumber::new(n)?)])))
            }

            /// The range `a:b` (zero is refused).
            pub fn range(a: u32, b: u32) -> Result<Self, InvalidValue> {
                let start = SeqNumber::new(a)?;
                let end = SeqNumber::new(b)?;
                Ok(Self(Set::Ranges(vec![SeqRange { start, end }])))
            }

            /// `1:*`: everything.
            pub fn all() -> Self {
                let start = SeqNumber::Value(NonZeroU32::MIN);
                Self(Set::Ranges(vec![SeqRange { start, end: SeqNumber::Last }]))
            }

            /// `$`: the saved SEARCH result (RFC 5182).
            pub fn saved() -> Self {
                Self(Set::Saved)
            }

            /// Parses the wire form (`1:3,5,*`, or `$`).
            pub fn parse(wire: &[u8]) -> Result<Self, InvalidValue> {
                Set::parse(wire, true)
                    .map(Self)
                    .ok_or(InvalidValue::new($what, 0))
            }

            /// True for `$`.
            pub fn is_saved(&self) -> bool {
                matches!(self.0, Set::Saved)
            }

            /// The ranges as written (none for `$`).
            pub fn ranges(&self) -> &[SeqRange] {
                self.0.ranges()
            }

            /// True when `n` is in the set, `*` being `largest` (always false for `$`).
            pub fn contains(&self, n: u32, largest: u32) -> bool {
                self.0.contains(n, largest)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

set_type!(
    /// A set of message sequence numbers.
    SequenceSet,
    "sequence set"
);
set_type!(
    /// A set of UIDs (UID commands, UIDPLUS response codes, VANISHED).
    UidSet,
    "UID set"
);

impl UidSet {
    /// True when the set has no `*` and no `$`: the `uid-set` of UIDPLUS (RFC 4315) and
    /// `known-uids` of QRESYNC.
    pub fn is_explicit(&self) -> bool {
        !self.is_saved()
            && self
                .ranges()
                .iter()
                .all(|r| r.start != SeqNumber::Last && r.end != SeqNumber::Last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_the_wire_form() {
        let set = SequenceSet::parse(b"1:3,5,7:*,4294967295").unwrap();
        assert_eq!(set.to_string(), "1:3,5,7:*,4294967295");
        assert_eq!(set.ranges().len(), 4);
        assert!(set.contains(2, 10) && set.contains(9, 10) && !set.contains(6, 10));
        assert!(SequenceSet::parse(b"$").unwrap().is_saved());
        assert_eq!(SequenceSet::parse(b"*:4,*").unwrap().to_string(), "*:4,*");
        for bad in [
            &b""[..],
            b"0",
            b"1:0",
            b"01",
            b"1,",
            b",1",
            b"1::2",
            b"4294967296",
            b"a",
            b"1:2:3",
            b"1,,2",
            b"*5",
            b"5*",
            b"1:*:",
            b"$,1",
            b"1,$",
            b"1 ",
        ] {
            assert!(SequenceSet::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reversed_ranges_and_constructors() {
        let set = UidSet::range(4, 2).unwrap();
        assert!(set.contains(3, 0) && set.is_explicit());
        assert!(!UidSet::all().is_explicit());
        assert_eq!(UidSet::all().to_string(), "1:*");
        assert!(UidSet::single(0).is_err());
        assert!(UidSet::new([]).is_err());
    }
}
