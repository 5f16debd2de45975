//! The syntax tree of a parsed query. It holds exactly what the user wrote (field codes as text, values
//! as written, function names upper-cased); nothing here has been checked against an app. `and`/`or`
//! chains are flattened, so `a and (b and c)` is one `And` of three, and a one-element chain is never
//! wrapped.

/// A whole query: condition, sort keys, paging.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// `None` for a query without a condition (`""`, `order by $id asc`, `limit 10`).
    pub condition: Option<Expr>,
    pub order_by: Vec<SortKey>,
    /// As written; `parse` has already rejected values over 500.
    pub limit: Option<i64>,
    /// As written; `parse` has already rejected values over 10,000.
    pub offset: Option<i64>,
}

impl Query {
    /// The conditions that are AND-ed at the top level: every record in the result satisfies each of
    /// them. A planner can pick the most selective one to drive the scan; the rest are filters.
    pub fn top_level_conjuncts(&self) -> Vec<&Expr> {
        match &self.condition {
            None => Vec::new(),
            Some(Expr::And(items)) => items.iter().collect(),
            Some(e) => vec![e],
        }
    }
}

/// A boolean expression over conditions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// At least two members, none of them an `And`.
    And(Vec<Expr>),
    /// At least two members, none of them an `Or`.
    Or(Vec<Expr>),
    Cond(Condition),
}

/// `field op value(s)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field code as written (`$id`, `数量`, `tbl.code`).
    pub field: String,
    pub op: Op,
    /// One value for comparisons and `like`, one or more for `in`/`not in`, none for `is [not] empty`.
    pub values: Vec<Value>,
    /// Character offset of the field in the query, for messages.
    pub position: usize,
}

/// Condition operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    NotIn,
    Like,
    NotLike,
    IsEmpty,
    IsNotEmpty,
}

impl Op {
    /// The operator as kintone spells it, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Like => "like",
            Op::NotLike => "not like",
            Op::IsEmpty => "is empty",
            Op::IsNotEmpty => "is not empty",
        }
    }
}

/// A value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `"..."` literal with escapes already expanded.
    String(String),
    /// A bare number, kept as its text (`-1.5`, `20`).
    Number(String),
    Function(FunctionCall),
}

/// `NAME(arg, ...)` with bare-symbol or number arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// Upper-cased.
    pub name: String,
    /// As written (`DAYS`, `-3`, `LAST`).
    pub args: Vec<String>,
}

/// One `order by` key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub field: String,
    /// `None` when the query gave no direction.
    pub direction: Option<SortDirection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Asc,
    Desc,
}

impl SortKey {
    /// The effective direction: kintone sorts descending when none is given (spec §3.1).
    pub fn effective_direction(&self) -> SortDirection {
        self.direction.unwrap_or(SortDirection::Desc)
    }
}
