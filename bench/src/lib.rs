//! Shared parts of the benchmark binaries.

pub mod peer;
pub mod records_fixture;
