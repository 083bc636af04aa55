//! Capabilities (RFC 3501 section 7.2.1, RFC 9051 section 7.2.2, and each extension's
//! name), typed, with the implications of RFC 9051 and RFC 7888.

use bytes::Bytes;

use super::string::Atom;
use crate::chars::Upper;

/// One capability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `IMAP4rev1`.
    Imap4Rev1,
    /// `IMAP4rev2`.
    Imap4Rev2,
    /// `AUTH=mechanism`.
    Auth(Atom),
    /// `LOGINDISABLED`.
    LoginDisabled,
    /// `STARTTLS`.
    StartTls,
    /// `IDLE` (RFC 2177).
    Idle,
    /// `ENABLE` (RFC 5161).
    Enable,
    /// `UIDPLUS` (RFC 4315).
    UidPlus,
    /// `MOVE` (RFC 6851).
    Move,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `ID` (RFC 2971).
    Id,
    /// `SASL-IR` (RFC 4959).
    SaslIr,
    /// `LITERAL+` (RFC 7888).
    LiteralPlus,
    /// `LITERAL-` (RFC 7888).
    LiteralMinus,
    /// `BINARY` (RFC 3516).
    Binary,
    /// `ESEARCH` (RFC 4731).
    ESearch,
    /// `SEARCHRES` (RFC 5182).
    SearchRes,
    /// `CONDSTORE` (RFC 7162).
    CondStore,
    /// `QRESYNC` (RFC 7162).
    QResync,
    /// `LIST-EXTENDED` (RFC 5258).
    ListExtended,
    /// `LIST-STATUS` (RFC 5819).
    ListStatus,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// `CREATE-SPECIAL-USE` (RFC 6154).
    CreateSpecialUse,
    /// `QUOTA` (RFC 9208).
    Quota,
    /// `METADATA` (RFC 5464).
    Metadata,
    /// `METADATA-SERVER` (RFC 5464).
    MetadataServer,
    /// `SORT` (RFC 5256).
    Sort,
    /// `THREAD=algorithm` (RFC 5256).
    Thread(Atom),
    /// `APPENDLIMIT[=n]` (RFC 7889).
    AppendLimit(Option<u64>),
    /// `MULTIAPPEND` (RFC 3502).
    MultiAppend,
    /// `UTF8=ACCEPT` (RFC 9755).
    Utf8Accept,
    /// `COMPRESS=mechanism` (RFC 4978).
    Compress(Atom),
    /// `OBJECTID` (RFC 8474).
    ObjectId,
    /// `STATUS=SIZE` (RFC 8438).
    StatusSize,
    /// `CHILDREN` (RFC 3348).
    Children,
    /// Anything else, kept.
    Other(Atom),
}

impl Capability {
    /// The capability named by `atom` (any case).
    pub fn from_atom(atom: Atom) -> Self {
        let bytes = atom.into_bytes();
        Self::from_word(&bytes, &bytes)
    }

    /// The capability named by `word` (atom octets), a slice of `owner`: the names kept are
    /// slices of it, not copies.
    pub(crate) fn from_word(owner: &Bytes, word: &[u8]) -> Self {
        let upper = Upper::new(word);
        let upper = upper.as_str();
        let after = |prefix: &str| -> Option<Atom> {
            let rest = word.get(prefix.len()..)?;
            (upper.starts_with(prefix) && !rest.is_empty())
                .then(|| Atom::from_checked(owner.slice_ref(rest)))
        };
        if let Some(mech) = after("AUTH=") {
            return Self::Auth(mech);
        }
        if let Some(alg) = after("THREAD=") {
            return Self::Thread(alg);
        }
        if let Some(mech) = after("COMPRESS=") {
            return Self::Compress(mech);
        }
        if let Some(limit) = after("APPENDLIMIT=")
            && limit.as_bytes().iter().all(u8::is_ascii_digit)
            && let Ok(n) = limit.as_str().parse::<u64>()
        {
            return Self::AppendLimit(Some(n));
        }
        match upper {
            "IMAP4REV1" => Self::Imap4Rev1,
            "IMAP4REV2" => Self::Imap4Rev2,
            "LOGINDISABLED" => Self::LoginDisabled,
            "STARTTLS" => Self::StartTls,
            "IDLE" => Self::Idle,
            "ENABLE" => Self::Enable,
            "UIDPLUS" => Self::UidPlus,
            "MOVE" => Self::Move,
            "UNSELECT" => Self::Unselect,
            "NAMESPACE" => Self::Namespace,
            "ID" => Self::Id,
            "SASL-IR" => Self::SaslIr,
            "LITERAL+" => Self::LiteralPlus,
            "LITERAL-" => Self::LiteralMinus,
            "BINARY" => Self::Binary,
            "ESEARCH" => Self::ESearch,
            "SEARCHRES" => Self::SearchRes,
            "CONDSTORE" => Self::CondStore,
            "QRESYNC" => Self::QResync,
            "LIST-EXTENDED" => Self::ListExtended,
            "LIST-STATUS" => Self::ListStatus,
            "SPECIAL-USE" => Self::SpecialUse,
            "CREATE-SPECIAL-USE" => Self::CreateSpecialUse,
            "QUOTA" => Self::Quota,
            "METADATA" => Self::Metadata,
            "METADATA-SERVER" => Self::MetadataServer,
            "SORT" => Self::Sort,
            "APPENDLIMIT" => Self::AppendLimit(None),
            "MULTIAPPEND" => Self::MultiAppend,
            "UTF8=ACCEPT" => Self::Utf8Accept,
            "OBJECTID" => Self::ObjectId,
            "STATUS=SIZE" => Self::StatusSize,
            "CHILDREN" => Self::Children,
            _ => Self::Other(Atom::from_checked(owner.slice_ref(word))),
        }
    }

    /// The wire name.
    pub fn to_wire(&self) -> String {
        let fixed = match self {
            Self::Imap4Rev1 => "IMAP4rev1",
            Self::Imap4Rev2 => "IMAP4rev2",
            Self::LoginDisabled => "LOGINDISABLED",
            Self::StartTls => "STARTTLS",
            Self::Idle => "IDLE",
            Self::Enable => "ENABLE",
            Self::UidPlus => "UIDPLUS",
            Self::Move => "MOVE",
            Self::Unselect => "UNSELECT",
            Self::Namespace => "NAMESPACE",
            Self::Id => "ID",
            Self::SaslIr => "SASL-IR",
            Self::LiteralPlus => "LITERAL+",
            Self::LiteralMinus => "LITERAL-",
            Self::Binary => "BINARY",
            Self::ESearch => "ESEARCH",
            Self::SearchRes => "SEARCHRES",
            Self::CondStore => "CONDSTORE",
            Self::QResync => "QRESYNC",
            Self::ListExtended => "LIST-EXTENDED",
            Self::ListStatus => "LIST-STATUS",
            Self::SpecialUse => "SPECIAL-USE",
            Self::CreateSpecialUse => "CREATE-SPECIAL-USE",
            Self::Quota => "QUOTA",
            Self::Metadata => "METADATA",
            Self::MetadataServer => "METADATA-SERVER",
            Self::Sort => "SORT",
            Self::AppendLimit(None) => "APPENDLIMIT",
            Self::MultiAppend => "MULTIAPPEND",
            Self::Utf8Accept => "UTF8=ACCEPT",
            Self::ObjectId => "OBJECTID",
            Self::StatusSize => "STATUS=SIZE",
            Self::Children => "CHILDREN",
            Self::Auth(m) => return format!("AUTH={m}"),
            Self::Thread(a) => return format!("THREAD={a}"),
            Self::Compress(m) => return format!("COMPRESS={m}"),
            Self::AppendLimit(Some(n)) => return format!("APPENDLIMIT={n}"),
            Self::Other(a) => return a.as_str().to_owned(),
        };
        fixed.to_owned()
    }
}

/// What IMAP4rev2 absorbed (RFC 9051 section 1, Appendix E): a server that offers it offers
/// these.
const REV2_IMPLIES: &[Capability] = &[
    Capability::Idle,
    Capability::Namespace,
    Capability::Unselect,
    Capability::UidPlus,
    Capability::ESearch,
    Capability::SearchRes,
    Capability::Enable,
    Capability::SaslIr,
    Capability::ListExtended,
    Capability::ListStatus,
    Capability::Move,
    Capability::LiteralMinus,
    Capability::Binary,
    Capability::SpecialUse,
    Capability::StatusSize,
    Capability::Children,
];

/// A server's capability list, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities(pub Vec<Capability>);

impl Capabilities {
    /// True when `cap` was listed, or is implied (IMAP4rev2 implies what it absorbed;
    /// LITERAL+ implies LITERAL-).
    pub fn has(&self, cap: &Capability) -> bool {
        self.0.contains(cap)
            || (self.0.contains(&Capability::Imap4Rev2) && REV2_IMPLIES.contains(cap))
            || (*cap == Capability::LiteralMinus && self.0.contains(&Capability::LiteralPlus))
    }

    /// True when `AUTH=mechanism` was listed (any case).
    pub fn has_auth(&self, mechanism: &str) -> bool {
        self.0
            .iter()
            .any(|c| matches!(c, Capability::Auth(m) if m.is(mechanism)))
    }

    /// The SASL mechanisms offered.
    pub fn auth_mechanisms(&self) -> impl Iterator<Item = &Atom> {
        self.0.iter().filter_map(|c| match c {
            Capability::Auth(m) => Some(m),
            _ => None,
        })
    }

    /// True when IMAP4rev2 is offered.
    pub fn imap4rev2(&self) -> bool {
        self.has(&Capability::Imap4Rev2)
    }

    /// The APPENDLIMIT, when one was given.
    pub fn append_limit(&self) -> Option<u64> {
        self.0.iter().find_map(|c| match c {
            Capability::AppendLimit(n) => *n,
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(names: &[&'static str]) -> Capabilities {
        Capabilities(
            names
                .iter()
                .map(|n| Capability::from_atom(Atom::from_static(n).unwrap()))
                .collect(),
        )
    }

    #[test]
    fn typed_names_and_implications() {
        let c = caps(&[
            "IMAP4rev2",
            "AUTH=PLAIN",
            "literal+",
            "APPENDLIMIT=35651584",
            "X-FOO",
        ]);
        assert!(c.imap4rev2());
        assert!(c.has(&Capability::Move) && c.has(&Capability::ESearch));
        assert!(c.has(&Capability::LiteralMinus) && c.has(&Capability::LiteralPlus));
        assert!(!c.has(&Capability::QResync));
        assert!(c.has_auth("plain"));
        assert_eq!(c.append_limit(), Some(35651584));
        assert_eq!(
            c.0[4],
            Capability::Other(Atom::from_static("X-FOO").unwrap())
        );
        let rev1 = caps(&["IMAP4rev1", "LITERAL-"]);
        assert!(!rev1.has(&Capability::Move) && !rev1.has(&Capability::LiteralPlus));
        for (name, wire) in [
            ("auth=plain", "AUTH=plain"),
            ("utf8=accept", "UTF8=ACCEPT"),
            ("THREAD=REFERENCES", "THREAD=REFERENCES"),
        ] {
            assert_eq!(
                Capability::from_atom(Atom::from_static(name).unwrap()).to_wire(),
                wire
            );
        }
    }
}
