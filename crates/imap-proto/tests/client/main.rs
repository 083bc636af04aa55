//! The client machine against written-down sessions (proto-core's transcript runner: whole,
//! byte by byte and at random splits), and the cases the issue names one by one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod adapter;
mod direct;
mod mailkit;
mod rfc_sessions;
mod sessions;
mod splits;
