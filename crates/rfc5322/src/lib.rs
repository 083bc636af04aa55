#![doc = "Internet Message Format and MIME (work in progress)."]
#![forbid(unsafe_code)]

pub mod address;
pub mod date;

pub use address::{Address, Group, Mailbox};
pub use date::DateTime;
pub mod encode;
pub mod builder;

pub use builder::MessageBuilder;
pub mod mbox;
