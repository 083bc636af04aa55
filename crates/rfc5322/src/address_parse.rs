//! Addresses from text, for the builder and for envelopes: `Alice <alice@example.org>`, a
//! comma list of them, groups, quoted display names and encoded words.
//!
//! The text is read by the header parser ([`crate::field::address`]), which never fails but
//! records defects where the input breaks RFC 5322. Here every defect is an error instead:
//! what a program is about to send to must be an address as written, not a best guess.

use crate::address::{Address, Mailbox};
use crate::defect::DefectKind;
use crate::field::address::parse_address_list;
use crate::limits::Limits;

/// Why a text is not the address (or address list) asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The text holds no address at all.
    #[error("no address found")]
    Empty,
    /// More than one address where one was expected.
    #[error("{0} addresses where one was expected")]
    NotOne(usize),
    /// A group (`name: a@x, b@y;`) where a mailbox was expected.
    #[error("a group where a mailbox was expected")]
    Group,
    /// The text breaks RFC 5322's address syntax, or uses its obsolete forms.
    #[error("not an RFC 5322 address ({0:?})")]
    Syntax(DefectKind),
    /// A mailbox without `@domain`, which cannot receive mail.
    #[error("{0:?} has no domain")]
    NoDomain(String),
}

/// Reads an address list strictly: every defect is an error, every mailbox has a domain and
/// can be written back as an `addr-spec`.
pub(crate) fn parse_list_strict(raw: &[u8]) -> Result<Vec<Address<'_>>, AddressError> {
    let mut defects = Vec::new();
    let list = parse_address_list(raw, Limits::default().max_group_depth, &mut defects, 0);
    if let Some(defect) = defects.first() {
        return Err(AddressError::Syntax(defect.kind));
    }
    for mailbox in list.iter().flat_map(Address::mailboxes) {
        if mailbox.domain.is_empty() || mailbox.local_part.is_empty() {
            return Err(AddressError::NoDomain(mailbox.addr_spec()));
        }
        if crate::encode::addr_spec(&mailbox.local_part, &mailbox.domain).is_err() {
            return Err(AddressError::Syntax(DefectKind::BadAddress));
        }
    }
    Ok(list)
}

impl<'a> Mailbox<'a> {
    /// Parses one mailbox: `alice@example.org`, `Alice <alice@example.org>`,
    /// `"Martin, Alice" <alice@example.org>` or `=?utf-8?q?J=C3=B6rg?= <jorg@example.com>`
    /// (the display name decoded).
    ///
    /// ```
    /// use rfc5322::Mailbox;
    /// let alice = Mailbox::parse("Alice <alice@example.org>").unwrap();
    /// assert_eq!(alice.name.as_deref(), Some("Alice"));
    /// assert_eq!(alice.addr_spec(), "alice@example.org");
    /// assert!(Mailbox::parse("alice").is_err());
    /// ```
    pub fn parse(text: &'a str) -> Result<Mailbox<'a>, AddressError> {
        match Address::parse(text)? {
            Address::Mailbox(m) => Ok(m),
            Address::Group(_) => Err(AddressError::Group),
        }
    }
}

impl<'a> Address<'a> {
    /// Parses one address: a mailbox (as [`Mailbox::parse`]) or a group
    /// (`Team: a@example.org, b@example.org;`).
    pub fn parse(text: &'a str) -> Result<Address<'a>, AddressError> {
        let mut list = Address::parse_list(text)?;
        match list.len() {
            1 => list.pop().ok_or(AddressError::Empty),
            n => Err(AddressError::NotOne(n)),
        }
    }

    /// Parses a comma-separated address list, as in a To or Cc field: mailboxes and groups,
    /// quoted display names, encoded words. Empty elements (`a@x, , b@y`) are skipped; a
    /// list with no address at all is [`AddressError::Empty`].
    ///
    /// ```
    /// use rfc5322::{Address, Mailbox};
    /// let list = Address::parse_list("Alice <alice@example.org>, Team: b@example.net;").unwrap();
    /// assert_eq!(list[0], Address::Mailbox(Mailbox::new(Some("Alice"), "alice", "example.org")));
    /// assert_eq!(list[1].mailboxes()[0].addr_spec(), "b@example.net");
    /// ```
    pub fn parse_list(text: &'a str) -> Result<Vec<Address<'a>>, AddressError> {
        let list = parse_list_strict(text.as_bytes())?;
        if list.is_empty() {
            return Err(AddressError::Empty);
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Group;

    #[test]
    fn a_mailbox_with_and_without_a_name() {
        let m = Mailbox::parse("Alice <alice@example.org>").unwrap();
        assert_eq!(m, Mailbox::new(Some("Alice"), "alice", "example.org"));
        let m = Mailbox::parse("  bob@example.net ").unwrap();
        assert_eq!(m, Mailbox::new(None, "bob", "example.net"));
        let m = Mailbox::parse("<carol@example.com>").unwrap();
        assert_eq!(m, Mailbox::new(None, "carol", "example.com"));
    }

    #[test]
    fn quoted_names_encoded_words_and_quoted_local_parts() {
        let m = Mailbox::parse("\"Martin, Alice\" <alice@example.org>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Martin, Alice"));
        let m = Mailbox::parse("=?utf-8?q?J=C3=B6rg?= <jorg@example.com>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Jörg"));
        assert_eq!(m.addr_spec(), "jorg@example.com");
        // Periods in a name (RFC 5322 obs-phrase) are common enough to be no defect.
        let m = Mailbox::parse("Joe Q. Public <john.q.public@example.com>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Joe Q. Public"));
        let m = Mailbox::parse("Müller <m@exämple.de>").unwrap();
        assert_eq!(
            (m.name.as_deref(), &*m.domain),
            (Some("Müller"), "exämple.de")
        );
        let m = Mailbox::parse("user@[192.0.2.1]").unwrap();
        assert_eq!(m.domain, "[192.0.2.1]");
        // Obsolete forms in the address itself are refused.
        assert_eq!(
            Mailbox::parse("\"a\".b@example.com"),
            Err(AddressError::Syntax(DefectKind::ObsoleteSyntax))
        );
        let m = Mailbox::parse("\"john smith\"@example.com").unwrap();
        assert_eq!(m.local_part, "john smith");
        assert_eq!(m.domain, "example.com");
    }

    #[test]
    fn a_list_with_groups() {
        let list = Address::parse_list(
            "Alice <alice@example.org>, Team: b@example.net, \"C, D\" <c@example.net>;, \
             undisclosed-recipients:;, e@example.com",
        )
        .unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(
            list[0],
            Address::Mailbox(Mailbox::new(Some("Alice"), "alice", "example.org"))
        );
        assert_eq!(
            list[1],
            Address::Group(Group {
                name: "Team".into(),
                members: vec![
                    Mailbox::new(None, "b", "example.net"),
                    Mailbox::new(Some("C, D"), "c", "example.net"),
                ],
            })
        );
        assert_eq!(
            list[2],
            Address::Group(Group {
                name: "undisclosed-recipients".into(),
                members: vec![],
            })
        );
        assert_eq!(list[3].mailboxes()[0].addr_spec(), "e@example.com");
    }

    #[test]
    fn what_is_refused() {
        assert_eq!(Address::parse_list(""), Err(AddressError::Empty));
        assert_eq!(Address::parse_list(" , "), Err(AddressError::Empty));
        assert_eq!(
            Mailbox::parse("a@example.org, b@example.org"),
            Err(AddressError::NotOne(2))
        );
        assert_eq!(
            Mailbox::parse("Team: a@example.org;"),
            Err(AddressError::Group)
        );
        assert!(matches!(
            Mailbox::parse("alice"),
            Err(AddressError::NoDomain(_) | AddressError::Syntax(_))
        ));
        for bad in [
            "Alice <alice@example.org",
            "\"unterminated <a@example.org>",
            "a@b@c",
            "<>",
            "@example.org",
            "a@",
            "Team: a@example.org",
            "Mary <@route.test:mary@example.net>",
            "a@exa mple.org",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn hostile_text_never_panics() {
        for text in [
            "(((((",
            "\"\\",
            "<<<@>>>",
            ":;:;,",
            "=?utf-8?b?////?= <a@b.c>",
            "\u{0}",
        ] {
            let _ = Address::parse_list(text);
        }
        let deep = "(".repeat(10_000);
        assert!(Address::parse_list(&deep).is_err());
    }
}
