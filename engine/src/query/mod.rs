//! The kintone query language.
