//! Evaluation of a parsed formula against field values supplied by a [`Resolver`].
//!
//! Guarantees: never panics; every failure (type mismatch, division by zero, overflow, an unknown time
//! zone) is an [`EvalError`]. `IF` evaluates only the branch it takes, so `IF(b = 0, 0, a / b)` is safe.
//! An empty field counts as 0 in arithmetic and as `""` in text.

use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::str::FromStr;

use super::functions;
use super::parser::{BinOp, Expr, Func};
use super::Formula;

/// Longest text a formula may build, in bytes.
const MAX_TEXT_LEN: usize = 1024 * 1024;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// An empty field.
    Empty,
    Number(Decimal),
    Str(String),
    Bool(bool),
    /// The selected options of a CHECK_BOX or MULTI_SELECT.
    List(Vec<String>),
    /// A subtable column seen from outside its row: one value per row.
    Column(Vec<Value>),
}

impl Value {
    /// Whether the field behind this value counts as empty (for the "all references empty" rule).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Column(rows) => rows.iter().all(Value::is_empty),
            Value::Number(_) | Value::Bool(_) => false,
        }
    }
}

/// Why a formula could not be evaluated. The field then becomes `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EvalError(pub String);

pub(crate) type EvalResult<T> = Result<T, EvalError>;

pub(crate) fn fail<T>(message: impl Into<String>) -> EvalResult<T> {
    Err(EvalError(message.into()))
}

/// Supplies field values by code.
pub(crate) trait Resolver {
    /// The value of a field as this formula sees it: a row's own value inside a subtable row, a
    /// [`Value::Column`] for a subtable field seen from outside its row.
    fn field(&self, code: &str) -> EvalResult<Value>;
}

/// Evaluates `formula`; `tz` is the app time zone that `DATE_FORMAT(..., "system")` uses.
pub(crate) fn evaluate(formula: &Formula, resolver: &dyn Resolver, tz: Tz) -> EvalResult<Value> {
    Evaluator { resolver, tz }.eval(formula.root())
}

struct Evaluator<'a> {
    resolver: &'a dyn Resolver,
    tz: Tz,
}

impl Evaluator<'_> {
    fn eval(&self, e: &Expr) -> EvalResult<Value> {
        match e {
            Expr::Number(n) => Ok(Value::Number(*n)),
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            Expr::Field(code) => self.resolver.field(code),
            Expr::Neg(inner) => {
                let n = to_number(&self.eval(inner)?)?;
                Ok(Value::Number(-n))
            }
            Expr::Chain { first, rest } => {
                let mut acc = self.eval(first)?;
                for (op, rhs) in rest {
                    let rhs = self.eval(rhs)?;
                    acc = binary(*op, &acc, &rhs)?;
                }
                Ok(acc)
            }
            Expr::Call { func, args } => self.call(*func, args),
        }
    }

    fn arg(&self, args: &[Expr], i: usize) -> EvalResult<Value> {
        match args.get(i) {
            Some(e) => self.eval(e),
            None => fail("Missing argument"),
        }
    }

    fn call(&self, func: Func, args: &[Expr]) -> EvalResult<Value> {
        match func {
            Func::If => {
                let branch = if truthy(&self.arg(args, 0)?)? { 1 } else { 2 };
                self.arg(args, branch)
            }
            Func::And | Func::Or => {
                // Every argument is evaluated, so an error anywhere shows whatever the others say.
                let mut all = true;
                let mut any = false;
                for a in args {
                    let t = truthy(&self.eval(a)?)?;
                    all &= t;
                    any |= t;
                }
                Ok(Value::Bool(if func == Func::And { all } else { any }))
            }
            Func::Not => Ok(Value::Bool(!truthy(&self.arg(args, 0)?)?)),
            Func::Sum => {
                let values = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<EvalResult<Vec<_>>>()?;
                functions::sum(&values).map(Value::Number)
            }
            Func::Round | Func::RoundUp | Func::RoundDown => {
                let x = to_number(&self.arg(args, 0)?)?;
                let digits = match args.get(1) {
                    Some(d) => to_number(&self.eval(d)?)?,
                    None => Decimal::ZERO,
                };
                functions::round(func, x, digits).map(Value::Number)
            }
            Func::Yen => {
                let x = to_number(&self.arg(args, 0)?)?;
                let digits = match args.get(1) {
                    Some(d) => to_number(&self.eval(d)?)?,
                    None => Decimal::ZERO,
                };
                functions::yen(x, digits).map(Value::Str)
            }
            Func::DateFormat => {
                let value = self.arg(args, 0)?;
                let pattern = to_text(&self.arg(args, 1)?)?;
                let zone = to_text(&self.arg(args, 2)?)?;
                let seconds = match value {
                    // kintone leaves the result blank for a blank date.
                    Value::Empty => return Ok(Value::Empty),
                    Value::Str(s) if s.is_empty() => return Ok(Value::Empty),
                    other => to_number(&other)?,
                };
                let tz = if zone.eq_ignore_ascii_case("system") {
                    self.tz
                } else {
                    Tz::from_str(&zone)
                        .map_err(|_| EvalError(format!("Unknown time zone \"{zone}\"")))?
                };
                functions::date_format(seconds, &pattern, tz).map(Value::Str)
            }
            Func::Contains => {
                let haystack = self.arg(args, 0)?;
                let needle = to_text(&self.arg(args, 1)?)?;
                functions::contains(&haystack, &needle).map(Value::Bool)
            }
        }
    }
}

/// The number an operand stands for; an empty field is 0.
pub(crate) fn to_number(v: &Value) -> EvalResult<Decimal> {
    match v {
        Value::Empty => Ok(Decimal::ZERO),
        Value::Number(n) => Ok(*n),
        Value::Str(_) => fail("A string cannot be used in a calculation"),
        Value::Bool(_) => fail("A TRUE/FALSE value cannot be used in a calculation"),
        Value::List(_) => fail("A check box or multi-choice field can only be used in CONTAINS"),
        Value::Column(_) => fail("A table field can only be used in SUM here"),
    }
}

/// The text an operand stands for in `&` and in text results.
pub(crate) fn to_text(v: &Value) -> EvalResult<String> {
    match v {
        Value::Empty => Ok(String::new()),
        Value::Number(n) => Ok(number_text(*n)),
        Value::Str(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Value::List(_) => fail("A check box or multi-choice field can only be used in CONTAINS"),
        Value::Column(_) => fail("A table field can only be used in SUM here"),
    }
}

/// A number as plain text: no exponent, no trailing zeros, no `-0`.
pub(crate) fn number_text(n: Decimal) -> String {
    if n.is_zero() {
        "0".to_owned()
    } else {
        n.normalize().to_string()
    }
}

fn truthy(v: &Value) -> EvalResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(!n.is_zero()),
        Value::Empty => Ok(false),
        _ => fail("A condition must be a comparison, AND, OR, NOT or a number"),
    }
}

fn binary(op: BinOp, a: &Value, b: &Value) -> EvalResult<Value> {
    let overflow = || EvalError("The result is too large".to_owned());
    match op {
        BinOp::Concat => {
            let text = to_text(a)? + &to_text(b)?;
            // Each `&` may copy a whole field, so a long chain over one big text field could otherwise
            // build gigabytes; kintone's own text limit is far below this.
            if text.len() > MAX_TEXT_LEN {
                return fail("The text is too long");
            }
            Ok(Value::Str(text))
        }
        BinOp::Add => Ok(Value::Number(
            to_number(a)?
                .checked_add(to_number(b)?)
                .ok_or_else(overflow)?,
        )),
        BinOp::Sub => Ok(Value::Number(
            to_number(a)?
                .checked_sub(to_number(b)?)
                .ok_or_else(overflow)?,
        )),
        BinOp::Mul => Ok(Value::Number(
            to_number(a)?
                .checked_mul(to_number(b)?)
                .ok_or_else(overflow)?,
        )),
        BinOp::Div => {
            let (x, y) = (to_number(a)?, to_number(b)?);
            if y.is_zero() {
                return fail("Division by zero");
            }
            Ok(Value::Number(x.checked_div(y).ok_or_else(overflow)?))
        }
        BinOp::Pow => functions::power(to_number(a)?, to_number(b)?).map(Value::Number),
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
            let ord = compare(a, b)?;
            Ok(Value::Bool(match op {
                BinOp::Eq => ord == Ordering::Equal,
                BinOp::Ne => ord != Ordering::Equal,
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Gt => ord == Ordering::Greater,
                BinOp::Le => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
    }
}

/// Orders two operands. Numbers compare as numbers (a numeric string counts as its number), an empty field
/// equals `""` and counts as 0 against a number, text compares by characters.
fn compare(a: &Value, b: &Value) -> EvalResult<Ordering> {
    match (a, b) {
        (Value::Empty, Value::Empty) => Ok(Ordering::Equal),
        (Value::Empty, Value::Number(n)) => Ok(Decimal::ZERO.cmp(n)),
        (Value::Number(n), Value::Empty) => Ok(n.cmp(&Decimal::ZERO)),
        (Value::Number(x), Value::Number(y)) => Ok(x.cmp(y)),
        (Value::Number(n), Value::Str(s)) => Ok(match Decimal::from_str(s.trim()) {
            Ok(m) => n.cmp(&m),
            Err(_) => number_text(*n).as_str().cmp(s.as_str()),
        }),
        (Value::Str(_), Value::Number(_)) => compare(b, a).map(Ordering::reverse),
        (Value::Empty | Value::Str(_), Value::Empty | Value::Str(_)) => {
            Ok(to_text(a)?.as_str().cmp(to_text(b)?.as_str()))
        }
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        _ => fail("These values cannot be compared"),
    }
}
