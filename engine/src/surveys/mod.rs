pub mod export;
pub mod sheet;
