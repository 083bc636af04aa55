//! NAMESPACE (RFC 2342, RFC 9051 section 7.3.2).

use super::super::string::IString;

/// One namespace: its prefix and hierarchy delimiter, with extension data kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescr {
    /// The prefix.
    pub prefix: IString,
    /// The delimiter, `None` for NIL.
    pub delimiter: Option<u8>,
    /// Extension pairs (`"TRANSLATION" ("...")`), name and raw value.
    pub extensions: Vec<(IString, Vec<IString>)>,
}

/// The three namespace lists; `None` is NIL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespaces {
    /// Personal namespaces.
    pub personal: Option<Vec<NamespaceDescr>>,
    /// Other users' namespaces.
    pub other: Option<Vec<NamespaceDescr>>,
    /// Shared namespaces.
    pub shared: Option<Vec<NamespaceDescr>>,
}
