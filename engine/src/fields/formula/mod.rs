//! kintone's calculation formula language: the expressions of CALC fields and of SINGLE_LINE_TEXT fields
//! with automatic calculation.
//!
//! Guarantees:
//! - [`Formula::parse`] never panics and never overflows the stack: input longer than [`MAX_EXPRESSION_LEN`]
//!   bytes or nested deeper than [`MAX_DEPTH`] is refused with a [`FormulaError`]. Left-associative operator
//!   chains are stored flat, so the tree is never deeper than the nesting the parser allowed, and evaluation
//!   recursion is bounded the same way.
//! - Numbers are `rust_decimal::Decimal` throughout, so `0.1 + 0.2` is exactly `0.3`; overflow, division by
//!   zero and type mismatches are evaluation errors, never panics.
//! - [`compute_record`] never fails: a formula that does not parse or does not evaluate leaves its field `""`
//!   (kintone shows `#N/A!` on screen; the stored value is empty).
//! - Dates are numbers of seconds as kintone defines them: DATE = UNIX time of 00:00 UTC of that day,
//!   DATETIME = UNIX seconds, TIME = seconds since 00:00.

mod eval;
mod format;
mod functions;
mod lexer;
mod parser;
mod record;

pub use format::display;
pub use record::{check_definition, compute_record};

use parser::Expr;

/// Longest expression accepted, in bytes.
pub const MAX_EXPRESSION_LEN: usize = 64 * 1024;

/// Deepest nesting of parentheses, function calls and unary operators accepted.
pub const MAX_DEPTH: usize = 100;

/// A parse error, with a message fit to show the app builder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FormulaError {
    /// What went wrong and what was expected; names the 1-based character position.
    pub message: String,
    /// 0-based character (not byte) offset in the expression where the problem was found.
    pub position: usize,
}

impl FormulaError {
    pub(crate) fn at(position: usize, message: impl std::fmt::Display) -> FormulaError {
        FormulaError {
            message: format!("{message} (at character {})", position + 1),
            position,
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    root: Expr,
}

impl Formula {
    /// Parses an expression.
    ///
    /// Errors: syntax errors, unknown functions, wrong argument counts, over-long or over-deep input. The
    /// message says where (1-based character) and what was expected.
    pub fn parse(expression: &str) -> Result<Formula, FormulaError> {
        Ok(Formula {
            root: parser::parse(expression)?,
        })
    }

    /// Field codes referenced, each once, in order of first appearance.
    pub fn references(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for use_ in self.field_uses() {
            if !out.contains(&use_.code) {
                out.push(use_.code);
            }
        }
        out
    }

    /// Every field reference with how it is used (a subtable column may only be aggregated).
    pub(crate) fn field_uses(&self) -> Vec<parser::FieldUse> {
        let mut out = Vec::new();
        self.root.collect_uses(parser::UseRole::Plain, &mut out);
        out
    }

    pub(crate) fn root(&self) -> &Expr {
        &self.root
    }
}

#[cfg(test)]
mod tests;
