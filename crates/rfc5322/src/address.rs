//! Owned address values (RFC 5322 section 3.4): what the parser returns for From, To, Cc, ...
//! and what the builder writes.

use std::fmt;

/// One mailbox: an optional display name and an addr-spec (`local-part "@" domain`).
///
/// The parser fills `route` from the obsolete source route of RFC 5322 section 4.4
/// (`<@a.example,@b.example:user@c.example>`); writers ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Mailbox {
    /// The display name, decoded (quotes removed, RFC 2047 encoded words decoded).
    pub name: Option<String>,
    /// The obsolete source route, without the `@` signs (RFC 5322 section 4.4, `obs-route`).
    pub route: Vec<String>,
    /// The local part, without the surrounding quotes of a quoted string.
    pub local_part: String,
    /// The domain (a dot-atom, or a domain literal including its brackets). Empty when the
    /// address had none (`undisclosed-recipients`-style, or a bare local part).
    pub domain: String,
}

impl Mailbox {
    /// A mailbox with a display name.
    pub fn new(name: Option<&str>, local_part: &str, domain: &str) -> Self {
        Mailbox {
            name: name.map(str::to_owned),
            route: Vec::new(),
            local_part: local_part.to_owned(),
            domain: domain.to_owned(),
        }
    }

    /// A mailbox from an `local@domain` string (split at the last `@`), without a name.
    pub fn from_addr_spec(addr: &str) -> Self {
        match addr.rsplit_once('@') {
            Some((l, d)) => Mailbox::new(None, l, d),
            None => Mailbox::new(None, addr, ""),
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// `local_part@domain` (or the local part alone when there is no domain), unquoted.
    pub fn addr_spec(&self) -> String {
        if self.domain.is_empty() {
            self.local_part.clone()
        } else {
            format!("{}@{}", self.local_part, self.domain)
        }
    }
}

impl fmt::Display for Mailbox {
    /// A readable form (`Name <local@domain>`); not a wire encoding (the builder writes that).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.addr_spec()),
            None => f.write_str(&self.addr_spec()),
        }
    }
}

/// A named group of mailboxes (`name: a@x, b@y;`), RFC 5322 section 3.4.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Group {
    /// The display name of the group, decoded.
    pub name: String,
    /// The members, possibly none (`undisclosed-recipients:;`).
    pub members: Vec<Mailbox>,
}

/// An address: a mailbox or a group (RFC 5322 section 3.4, `address`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// A single mailbox.
    Mailbox(Mailbox),
    /// A group of mailboxes.
    Group(Group),
}

impl Address {
    /// All mailboxes of this address (the mailbox itself, or the group's members).
    pub fn mailboxes(&self) -> &[Mailbox] {
        match self {
            Address::Mailbox(m) => std::slice::from_ref(m),
            Address::Group(g) => &g.members,
        }
    }
}

impl From<Mailbox> for Address {
    fn from(m: Mailbox) -> Self {
        Address::Mailbox(m)
    }
}

impl From<Group> for Address {
    fn from(g: Group) -> Self {
        Address::Group(g)
    }
}
