//! Typed parsers of header field values. Each takes the raw value (folding included) and
//! returns a value plus defects; they never fail.

pub mod addr_spec;
pub mod address;
pub mod content_type;
pub mod date;
pub(crate) mod lex;
pub mod misc;
pub mod received;
