//! The values of SMTP: commands, paths, parameters, replies, enhanced status codes and the
//! capabilities of an EHLO reply.
//!
//! Borrowed types (`T<'a>`, holding `Cow`s into the input) come out of the codec without a
//! copy; `into_owned()` gives a `T<'static>` for events.

mod capabilities;
mod command;
mod params;
mod path;
mod reply;

pub use capabilities::*;
pub use command::*;
pub use params::*;
pub use path::*;
pub use reply::*;
