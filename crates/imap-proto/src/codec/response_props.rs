//! Proptest round trips of responses.
