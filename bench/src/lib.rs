//! Shared parts of the benchmark binaries.

pub mod inproc;
pub mod peer;
pub mod records_fixture;
pub mod served;
