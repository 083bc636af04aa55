//! One file per extension RFC: the types each adds to commands and responses.

pub mod rfc2342;
pub mod rfc2971;
pub mod rfc4731;
pub mod rfc5256;
pub mod rfc5258;
pub mod rfc5464;
pub mod rfc7162;
pub mod rfc9208;
