//! proto-core (in progress)
