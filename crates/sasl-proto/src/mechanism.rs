//! SASL mechanism names: parsing, strength order and the client's choice.

use std::fmt;
use std::str::FromStr;

/// A SASL mechanism name (RFC 4422 section 3.1). Names are case-insensitive; unknown names
/// are kept, upper-cased, as [`Mechanism::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// PLAIN (RFC 4616).
    Plain,
    /// LOGIN (draft-murchison-sasl-login).
    Login,
    /// CRAM-MD5 (RFC 2195).
    CramMd5,
    /// XOAUTH2 (Google's OAuth 2.0 mechanism).
    XOAuth2,
    /// OAUTHBEARER (RFC 7628).
    OAuthBearer,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// SCRAM-SHA-1-PLUS (RFC 5802, with channel binding).
    ScramSha1Plus,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-256-PLUS (RFC 7677, with channel binding).
    ScramSha256Plus,
    /// EXTERNAL (RFC 4422 appendix A).
    External,
    /// ANONYMOUS (RFC 4505).
    Anonymous,
    /// Any other valid mechanism name, upper-cased.
    Other(String),
}

/// A mechanism name that breaks RFC 4422 section 3.1 (1 to 20 of `A-Z 0-9 - _`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MechanismError {
    /// Empty name.
    #[error("empty mechanism name")]
    Empty,
    /// More than 20 characters.
    #[error("mechanism name longer than 20 characters")]
    TooLong,
    /// A character outside `A-Z a-z 0-9 - _`.
    #[error("invalid character in mechanism name")]
    InvalidCharacter,
}

impl Mechanism {
    /// Every mechanism this crate knows by name, weakest first.
    pub const KNOWN: [Mechanism; 11] = [
        Mechanism::Anonymous,
        Mechanism::Login,
        Mechanism::Plain,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256Plus,
        Mechanism::External,
    ];

    /// Parses a name, case-insensitively.
    pub fn parse(name: &str) -> Result<Self, MechanismError> {
        Self::parse_bytes(name.as_bytes())
    }

    /// Parses a name given as octets, as it comes off the wire, case-insensitively. A name
    /// this crate knows takes no allocation and no upper-case copy.
    #[inline]
    pub fn parse_bytes(name: &[u8]) -> Result<Self, MechanismError> {
        match Self::known(name) {
            Some(known) => Ok(known),
            None => Self::parse_other(name),
        }
    }

    /// A name that is not one of [`Mechanism::KNOWN`]: checked, then kept upper-cased.
    fn parse_other(name: &[u8]) -> Result<Self, MechanismError> {
        if name.is_empty() {
            return Err(MechanismError::Empty);
        }
        if name.len() > 20 {
            return Err(MechanismError::TooLong);
        }
        if !name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(MechanismError::InvalidCharacter);
        }
        // Only ASCII is left, so the conversion loses nothing.
        Ok(Self::Other(
            String::from_utf8_lossy(name).to_ascii_uppercase(),
        ))
    }

    /// The known mechanism `name` names, in any case: by length and first letter first, so
    /// that an EHLO or CAPA line costs one comparison per name, not one per known mechanism.
    /// Peers send names in upper case, so the exact comparison almost always decides. The
    /// test `every_known_name_is_found_in_any_case` holds these names to [`Mechanism::as_str`].
    #[inline(always)]
    fn known(name: &[u8]) -> Option<Self> {
        #[inline(always)]
        fn is<const N: usize>(name: &[u8], upper: &[u8; N]) -> bool {
            name == upper || name.eq_ignore_ascii_case(upper)
        }
        let known = match (name.len(), name.first()?.to_ascii_uppercase()) {
            (5, b'P') if is(name, b"PLAIN") => Self::Plain,
            (5, b'L') if is(name, b"LOGIN") => Self::Login,
            (8, b'C') if is(name, b"CRAM-MD5") => Self::CramMd5,
            (7, b'X') if is(name, b"XOAUTH2") => Self::XOAuth2,
            (11, b'O') if is(name, b"OAUTHBEARER") => Self::OAuthBearer,
            (11, b'S') if is(name, b"SCRAM-SHA-1") => Self::ScramSha1,
            (16, b'S') if is(name, b"SCRAM-SHA-1-PLUS") => Self::ScramSha1Plus,
            (13, b'S') if is(name, b"SCRAM-SHA-256") => Self::ScramSha256,
            (18, b'S') if is(name, b"SCRAM-SHA-256-PLUS") => Self::ScramSha256Plus,
            (8, b'E') if is(name, b"EXTERNAL") => Self::External,
            (9, b'A') if is(name, b"ANONYMOUS") => Self::Anonymous,
            _ => return None,
        };
        Some(known)
    }

    /// Parses a space-separated list (an SMTP `AUTH` line or POP3 `SASL` capability),
    /// skipping invalid names.
    pub fn parse_list(list: &str) -> Vec<Self> {
        list.split_ascii_whitespace()
            .filter_map(|n| Self::parse(n).ok())
            .collect()
    }

    /// The registered name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::CramMd5 => "CRAM-MD5",
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
            Self::Other(name) => name,
        }
    }

    /// The rank used by [`choose`]: higher is stronger. Unknown mechanisms rank 0 and are
    /// never chosen.
    ///
    /// ANONYMOUS < LOGIN < PLAIN < XOAUTH2 < OAUTHBEARER < CRAM-MD5 < SCRAM-SHA-1 <
    /// SCRAM-SHA-256 < SCRAM-SHA-1-PLUS < SCRAM-SHA-256-PLUS < EXTERNAL.
    pub fn strength(&self) -> u8 {
        Self::KNOWN
            .iter()
            .position(|m| m == self)
            .and_then(|p| u8::try_from(p + 1).ok())
            .unwrap_or(0)
    }

    /// Whether the mechanism sends a password or token that an eavesdropper can replay
    /// (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER): such a mechanism needs a protected link.
    pub fn is_plaintext_equivalent(&self) -> bool {
        matches!(
            self,
            Self::Plain | Self::Login | Self::XOAuth2 | Self::OAuthBearer
        )
    }

    /// Whether the client speaks first, so that it has an initial response (RFC 4422
    /// section 5 item 2a). CRAM-MD5 and LOGIN are server-first.
    pub fn is_client_first(&self) -> bool {
        !matches!(self, Self::CramMd5 | Self::Login | Self::Other(_))
    }

    /// Whether this is a SCRAM mechanism, which needs a nonce source on both sides.
    pub fn is_scram(&self) -> bool {
        matches!(
            self,
            Self::ScramSha1 | Self::ScramSha256 | Self::ScramSha1Plus | Self::ScramSha256Plus
        )
    }

    /// Whether this is a SCRAM -PLUS mechanism (channel binding).
    pub fn is_plus(&self) -> bool {
        matches!(self, Self::ScramSha1Plus | Self::ScramSha256Plus)
    }

    /// Whether this crate implements the mechanism.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }

    /// The position in [`Mechanism::KNOWN`]; `None` for [`Mechanism::Other`].
    fn known_index(&self) -> Option<usize> {
        Some(match self {
            Self::Anonymous => 0,
            Self::Login => 1,
            Self::Plain => 2,
            Self::XOAuth2 => 3,
            Self::OAuthBearer => 4,
            Self::CramMd5 => 5,
            Self::ScramSha1 => 6,
            Self::ScramSha256 => 7,
            Self::ScramSha1Plus => 8,
            Self::ScramSha256Plus => 9,
            Self::External => 10,
            Self::Other(_) => return None,
        })
    }
}

/// The mechanisms a server offers (an SMTP `AUTH` capability, a POP3 `SASL` capability, IMAP's
/// `AUTH=` atoms): each at most once, in the order they were added, and without an allocation
/// while they are all mechanisms this crate knows.
///
/// ```
/// use sasl_proto::{Mechanism, mechanism::MechanismSet};
///
/// let offered: MechanismSet = Mechanism::parse_list("SCRAM-SHA-256 plain X-CUSTOM PLAIN")
///     .into_iter()
///     .collect();
/// assert_eq!(offered.len(), 3);
/// assert!(offered.contains(&Mechanism::Plain));
/// let names: Vec<&str> = offered.iter().map(Mechanism::as_str).collect();
/// assert_eq!(names, ["SCRAM-SHA-256", "PLAIN", "X-CUSTOM"]);
/// ```
///
/// Two sets are equal when they hold the same mechanisms, in whatever order.
#[derive(Clone, Debug, Default)]
pub struct MechanismSet {
    /// Bit `i` stands for `Mechanism::KNOWN[i]`.
    known: u16,
    /// The order of the first [`ORDERED`] mechanisms added, four bits each, lowest first: an
    /// index into `Mechanism::KNOWN`, or [`OTHER`] for the next of `others`.
    order: u64,
    /// How many entries `order` holds.
    ordered: u8,
    /// Mechanisms this crate does not implement, by name, in the order added.
    others: Vec<Mechanism>,
}

/// Entries `MechanismSet::order` has room for.
const ORDERED: u8 = 16;
/// The code in `MechanismSet::order` for a mechanism of `others`.
const OTHER: u64 = 0xF;

// Every known mechanism has its bit in `MechanismSet::known` and a code below `OTHER`.
const _: () = assert!(Mechanism::KNOWN.len() < OTHER as usize);

impl MechanismSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `mechanism` at the end; a mechanism already there stays where it is.
    pub fn insert(&mut self, mechanism: Mechanism) {
        let code = match mechanism.known_index() {
            Some(i) if self.known & (1 << i) == 0 => {
                self.known |= 1 << i;
                i as u64
            }
            None if !self.others.contains(&mechanism) => {
                self.others.push(mechanism);
                OTHER
            }
            _ => return,
        };
        // Past the first sixteen (no real server offers that many), the order is the
        // iteration's fallback: the rest of the known ones, then the rest of the others.
        if self.ordered < ORDERED {
            self.order |= code << (4 * self.ordered);
            self.ordered += 1;
        }
    }

    /// Whether `mechanism` is in the set.
    pub fn contains(&self, mechanism: &Mechanism) -> bool {
        match mechanism.known_index() {
            Some(i) => self.known & (1 << i) != 0,
            None => self.others.contains(mechanism),
        }
    }

    /// How many mechanisms the set holds.
    pub fn len(&self) -> usize {
        self.known.count_ones() as usize + self.others.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The mechanisms in the order they were added.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            position: 0,
            known_left: self.known,
            others: self.others.iter(),
        }
    }
}

/// The iterator of [`MechanismSet::iter`].
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    set: &'a MechanismSet,
    /// The next entry of `set.order`.
    position: u8,
    /// Known mechanisms not given yet.
    known_left: u16,
    others: std::slice::Iter<'a, Mechanism>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Mechanism;

    fn next(&mut self) -> Option<&'a Mechanism> {
        if self.position < self.set.ordered {
            let code = (self.set.order >> (4 * self.position)) & 0xF;
            self.position += 1;
            if code == OTHER {
                return self.others.next();
            }
            self.known_left &= !(1 << code);
            return Mechanism::KNOWN.get(code as usize);
        }
        // Only a set of more than sixteen gets here.
        if self.known_left != 0 {
            let i = self.known_left.trailing_zeros();
            self.known_left &= !(1 << i);
            return Mechanism::KNOWN.get(i as usize);
        }
        self.others.next()
    }
}

impl PartialEq for MechanismSet {
    fn eq(&self, other: &Self) -> bool {
        // `others` holds each mechanism once, so equal lengths and inclusion mean equal sets.
        self.known == other.known
            && self.others.len() == other.others.len()
            && self.others.iter().all(|m| other.others.contains(m))
    }
}

impl Eq for MechanismSet {}

impl FromIterator<Mechanism> for MechanismSet {
    fn from_iter<I: IntoIterator<Item = Mechanism>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl Extend<Mechanism> for MechanismSet {
    fn extend<I: IntoIterator<Item = Mechanism>>(&mut self, iter: I) {
        for mechanism in iter {
            self.insert(mechanism);
        }
    }
}

impl<'a> IntoIterator for &'a MechanismSet {
    type Item = &'a Mechanism;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mechanism {
    type Err = MechanismError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Picks the strongest mechanism that the server `offered` and the client `supported`
/// (see [`crate::Credentials::mechanisms`]).
///
/// A plaintext-equivalent mechanism is chosen only when `allow_plaintext_equivalent` is true:
/// pass true when the link is protected by TLS, or when the caller explicitly allowed such
/// mechanisms over an unprotected (trusted, local) link. Unknown mechanisms are never chosen.
pub fn choose<'a>(
    offered: impl IntoIterator<Item = &'a Mechanism>,
    supported: &[Mechanism],
    allow_plaintext_equivalent: bool,
) -> Option<Mechanism> {
    offered
        .into_iter()
        .filter(|m| m.is_known() && supported.contains(m))
        .filter(|m| allow_plaintext_equivalent || !m.is_plaintext_equivalent())
        .max_by_key(|m| m.strength())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_is_found_in_any_case() {
        for mechanism in &Mechanism::KNOWN {
            let name = mechanism.as_str();
            assert_eq!(Mechanism::known(name.as_bytes()).as_ref(), Some(mechanism));
            let lower = name.to_ascii_lowercase();
            assert_eq!(
                Mechanism::parse_bytes(lower.as_bytes()).as_ref(),
                Ok(mechanism)
            );
        }
        assert_eq!(Mechanism::known(b"PLAIM"), None);
        assert_eq!(
            Mechanism::parse_bytes(b"x-custom"),
            Ok(Mechanism::Other("X-CUSTOM".into()))
        );
        assert_eq!(Mechanism::parse_bytes(b""), Err(MechanismError::Empty));
        assert_eq!(
            Mechanism::parse_bytes(b"PL\xC3\xA4IN"),
            Err(MechanismError::InvalidCharacter)
        );
    }

    #[test]
    fn known_index_is_the_position_in_known() {
        for (i, mechanism) in Mechanism::KNOWN.iter().enumerate() {
            assert_eq!(mechanism.known_index(), Some(i), "{mechanism}");
        }
        assert_eq!(Mechanism::Other("X".into()).known_index(), None);
    }

    #[test]
    fn set_holds_each_mechanism_once_known_ones_first() {
        let mut set = MechanismSet::new();
        assert!(set.is_empty());
        for m in [
            Mechanism::Other("X-B".into()),
            Mechanism::External,
            Mechanism::Plain,
            Mechanism::Other("X-A".into()),
            Mechanism::Plain,
            Mechanism::Other("X-B".into()),
            Mechanism::Anonymous,
        ] {
            set.insert(m);
        }
        let names: Vec<&str> = set.iter().map(Mechanism::as_str).collect();
        assert_eq!(names, ["X-B", "EXTERNAL", "PLAIN", "X-A", "ANONYMOUS"]);
        assert_eq!(set.len(), 5);
        assert!(set.contains(&Mechanism::External));
        assert!(!set.contains(&Mechanism::Login));
        assert!(set.contains(&Mechanism::Other("X-A".into())));
        assert!(!set.contains(&Mechanism::Other("X-C".into())));
        let mut listed: Vec<Mechanism> = set.iter().cloned().collect();
        listed.reverse();
        let reordered: MechanismSet = listed.into_iter().collect();
        assert_eq!(reordered, set, "equality does not depend on order");
        let mut fewer = reordered.clone();
        fewer.others.pop();
        assert_ne!(fewer, set);
        let every: MechanismSet = Mechanism::KNOWN.iter().rev().cloned().collect();
        assert!(every.iter().eq(Mechanism::KNOWN.iter().rev()));
    }

    #[test]
    fn past_sixteen_every_mechanism_is_still_given_once() {
        let others: Vec<Mechanism> = (0..10)
            .map(|i| Mechanism::Other(format!("X-{i}")))
            .collect();
        let added: Vec<Mechanism> = others
            .iter()
            .cloned()
            .chain(Mechanism::KNOWN.iter().rev().cloned())
            .collect();
        let set: MechanismSet = added.iter().cloned().collect();
        let given: Vec<&Mechanism> = set.iter().collect();
        assert_eq!(given.len(), 21);
        // The first sixteen in the order added; the rest all there, once.
        assert!(given.iter().take(16).copied().eq(added.iter().take(16)));
        for m in &added {
            assert_eq!(given.iter().filter(|g| **g == m).count(), 1, "{m}");
        }
    }

    #[test]
    fn choose_takes_a_set_or_a_slice() {
        let offered: MechanismSet = [Mechanism::Plain, Mechanism::ScramSha256]
            .into_iter()
            .collect();
        let supported = [Mechanism::Plain, Mechanism::ScramSha256];
        assert_eq!(
            choose(&offered, &supported, true),
            Some(Mechanism::ScramSha256)
        );
        let as_slice: Vec<Mechanism> = offered.iter().cloned().collect();
        assert_eq!(
            choose(&as_slice, &supported, false),
            Some(Mechanism::ScramSha256)
        );
    }
}
