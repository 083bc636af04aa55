//! ID (RFC 2971): client and server tell each other their name and version.

use super::super::string::{IString, NString};

/// The ID parameter list: `NIL`, or field/value pairs (at most 30 by RFC 2971 section 3.3).
pub type IdParams = Option<Vec<(IString, NString)>>;
