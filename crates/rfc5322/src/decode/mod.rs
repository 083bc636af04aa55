//! Decoders: base64, quoted-printable, charsets, RFC 2047 encoded words.

pub mod base64;
pub mod charset;
pub mod encoded_word;
pub mod qp;
