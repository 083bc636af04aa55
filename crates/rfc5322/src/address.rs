//! Address values (RFC 5322 section 3.4): what the parser returns for From, To, Cc, ...
//! and what the builder writes. The strings borrow from the input when it could be read as
//! it is (the common case: no encoded word, no quoted pair, no fold) and are owned
//! otherwise; [`Mailbox::into_owned`] and [`Address::into_owned`] detach them.

use std::borrow::Cow;
use std::fmt;

/// One mailbox: an optional display name and an addr-spec (`local-part "@" domain`).
///
/// The parser fills `route` from the obsolete source route of RFC 5322 section 4.4
/// (`<@a.example,@b.example:user@c.example>`); writers ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Mailbox<'a> {
    /// The display name, decoded (quotes removed, RFC 2047 encoded words decoded).
    pub name: Option<Cow<'a, str>>,
    /// The obsolete source route, without the `@` signs (RFC 5322 section 4.4, `obs-route`).
    pub route: Vec<Cow<'a, str>>,
    /// The local part, without the surrounding quotes of a quoted string.
    pub local_part: Cow<'a, str>,
    /// The domain (a dot-atom, or a domain literal including its brackets). Empty when the
    /// address had none (`undisclosed-recipients`-style, or a bare local part).
    pub domain: Cow<'a, str>,
}

impl<'a> Mailbox<'a> {
    /// A mailbox with a display name (borrowing the strings; [`Mailbox::into_owned`]
    /// detaches it).
    pub fn new(name: Option<&'a str>, local_part: &'a str, domain: &'a str) -> Self {
        Mailbox {
            name: name.map(Cow::Borrowed),
            route: Vec::new(),
            local_part: Cow::Borrowed(local_part),
            domain: Cow::Borrowed(domain),
        }
    }

    /// A mailbox from an `local@domain` string (split at the last `@`), without a name.
    pub fn from_addr_spec(addr: &'a str) -> Self {
        match addr.rsplit_once('@') {
            Some((l, d)) => Mailbox::new(None, l, d),
            None => Mailbox::new(None, addr, ""),
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: &'a str) -> Self {
        self.name = Some(Cow::Borrowed(name));
        self
    }

    /// The same mailbox owning its strings (no lifetime tied to the input).
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            route: self
                .route
                .into_iter()
                .map(|r| Cow::Owned(r.into_owned()))
                .collect(),
            local_part: Cow::Owned(self.local_part.into_owned()),
            domain: Cow::Owned(self.domain.into_owned()),
        }
    }

    /// `local_part@domain` (or the local part alone when there is no domain), unquoted.
    pub fn addr_spec(&self) -> String {
        if self.domain.is_empty() {
            self.local_part.clone().into_owned()
        } else {
            format!("{}@{}", self.local_part, self.domain)
        }
    }
}

impl fmt::Display for Mailbox<'_> {
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
pub struct Group<'a> {
    /// The display name of the group, decoded.
    pub name: Cow<'a, str>,
    /// The members, possibly none (`undisclosed-recipients:;`).
    pub members: Vec<Mailbox<'a>>,
}

impl Group<'_> {
    /// The same group owning its strings.
    pub fn into_owned(self) -> Group<'static> {
        Group {
            name: Cow::Owned(self.name.into_owned()),
            members: self.members.into_iter().map(Mailbox::into_owned).collect(),
        }
    }
}

/// An address: a mailbox or a group (RFC 5322 section 3.4, `address`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address<'a> {
    /// A single mailbox.
    Mailbox(Mailbox<'a>),
    /// A group of mailboxes.
    Group(Group<'a>),
}

impl<'a> Address<'a> {
    /// All mailboxes of this address (the mailbox itself, or the group's members).
    pub fn mailboxes(&self) -> &[Mailbox<'a>] {
        match self {
            Address::Mailbox(m) => std::slice::from_ref(m),
            Address::Group(g) => &g.members,
        }
    }

    /// The same address owning its strings.
    pub fn into_owned(self) -> Address<'static> {
        match self {
            Address::Mailbox(m) => Address::Mailbox(m.into_owned()),
            Address::Group(g) => Address::Group(g.into_owned()),
        }
    }
}

impl<'a> From<Mailbox<'a>> for Address<'a> {
    fn from(m: Mailbox<'a>) -> Self {
        Address::Mailbox(m)
    }
}

impl<'a> From<Group<'a>> for Address<'a> {
    fn from(g: Group<'a>) -> Self {
        Address::Group(g)
    }
}
