//! Recursive-descent parser for the grammar of spec §3.1. Context-free: it knows no app, so field codes
//! are accepted as written and checked later (`check`). Guarantees:
//! - never panics and never overflows the stack: parentheses nest at most [`MAX_DEPTH`] levels, and
//!   `and`/`or` chains are parsed by loops, not recursion;
//! - `and` binds tighter than `or`; keywords are case-insensitive;
//! - clauses come in the order condition, `order by`, `limit`, `offset`; anything after is an error;
//! - `limit` over 500 is `GAIA_QU01`, `offset` over 10,000 is `GAIA_QU02`, and a negative or non-integer
//!   value for either is a syntax error (`CB_VA01`);
//! - a query over the size limits below (text length, conditions, `in` values, sort keys, `like`
//!   pattern length) is `GAIA_QU03` (`QueryErrorCode::TooComplex`), found before any SQL is built:
//!   SQLite refuses expression trees deeper than 1,000 and PostgreSQL runs out of stack on deep
//!   ones, which were 500s. The limits are far above what a view or a client builds (docs/api.md).

use super::ast::{Condition, Expr, FunctionCall, Op, Query, SortDirection, SortKey, Value};
use super::lexer::{syntax_error, tokenize, Token, TokenKind};
use crate::error::{QueryErrorCode, UserError};

/// Deepest parenthesis nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// kintone's `limit` maximum.
pub const MAX_LIMIT: i64 = 500;
/// kintone's `offset` maximum.
pub const MAX_OFFSET: i64 = 10_000;
/// Longest query text, in characters (checked before the text is split into tokens).
pub const MAX_QUERY_CHARS: usize = 200_000;
/// Most conditions (`field op value`) in one query.
pub const MAX_CONDITIONS: usize = 1_000;
/// Most values in all `in` / `not in` lists of one query together (each is a bound parameter, and
/// SQLite allows 32,766 per statement).
pub const MAX_IN_VALUES: usize = 10_000;
/// Most `order by` keys.
pub const MAX_SORT_KEYS: usize = 50;
/// Longest `like` pattern, in characters.
pub const MAX_LIKE_CHARS: usize = 1_000;

fn too_complex(message: String) -> UserError {
    UserError::query(QueryErrorCode::TooComplex, message)
}

/// Parses a query. An empty (or all-whitespace) query is valid and has no condition.
///
/// Errors: `CB_VA01` (`QueryErrorCode::Syntax`) for malformed text, `LimitTooLarge`, `OffsetTooLarge`,
/// `TooComplex` beyond the size limits.
pub fn parse(query: &str) -> Result<Query, UserError> {
    let end = query.chars().count();
    if end > MAX_QUERY_CHARS {
        return Err(too_complex(format!(
            "The query is too long: it may have at most {MAX_QUERY_CHARS} characters. (length: {end})"
        )));
    }
    let tokens = tokenize(query)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        end,
        conditions: 0,
        in_values: 0,
    };
    let mut q = Query::default();
    if !p.at_end() && !p.at_clause_start() {
        q.condition = Some(p.or_expr()?);
    }
    if p.peek_keyword("order") {
        p.pos += 1;
        p.expect_keyword("by")?;
        loop {
            if q.order_by.len() >= MAX_SORT_KEYS {
                return Err(too_complex(format!(
                    "The query has too many sort keys: at most {MAX_SORT_KEYS} are allowed in \"order by\"."
                )));
            }
            q.order_by.push(p.sort_key()?);
            if p.peek_kind(&TokenKind::Comma) {
                p.pos += 1;
            } else {
                break;
            }
        }
    }
    if p.peek_keyword("limit") {
        p.pos += 1;
        q.limit = Some(p.paging_number("limit", MAX_LIMIT, QueryErrorCode::LimitTooLarge)?);
    }
    if p.peek_keyword("offset") {
        p.pos += 1;
        q.offset = Some(p.paging_number("offset", MAX_OFFSET, QueryErrorCode::OffsetTooLarge)?);
    }
    if let Some(t) = p.peek() {
        return Err(syntax_error(
            t.position,
            &format!("unexpected {}.", t.kind.describe()),
        ));
    }
    Ok(q)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Character count of the query, the position reported for "unexpected end".
    end: usize,
    /// Conditions and `in` values read so far (size limits).
    conditions: usize,
    in_values: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, offset: usize) -> Option<&TokenKind> {
        self.tokens.get(self.pos + offset).map(|t| &t.kind)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    fn peek_kind(&self, kind: &TokenKind) -> bool {
        self.peek_at(0) == Some(kind)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        is_keyword(self.peek_at(0), keyword)
    }

    /// Whether the next tokens start `order by`, `limit n` or `offset n` rather than a condition on a
    /// field that happens to be called `order`/`limit`/`offset`.
    fn at_clause_start(&self) -> bool {
        if self.peek_keyword("order") {
            return is_keyword(self.peek_at(1), "by");
        }
        if self.peek_keyword("limit") || self.peek_keyword("offset") {
            return matches!(
                self.peek_at(1),
                None | Some(TokenKind::Number(_) | TokenKind::Str(_))
            );
        }
        false
    }

    fn unexpected(&self, expected: &str) -> UserError {
        match self.peek() {
            Some(t) => syntax_error(
                t.position,
                &format!("expected {expected} but found {}.", t.kind.describe()),
            ),
            None => syntax_error(
                self.end,
                &format!("expected {expected} but the query ended."),
            ),
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), UserError> {
        if self.peek_keyword(keyword) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("\"{keyword}\"")))
        }
    }

    fn expect_kind(&mut self, kind: TokenKind) -> Result<(), UserError> {
        if self.peek_kind(&kind) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&kind.describe()))
        }
    }

    fn or_expr(&mut self) -> Result<Expr, UserError> {
        let mut items = vec![self.and_expr()?];
        while self.peek_keyword("or") {
            self.pos += 1;
            items.push(self.and_expr()?);
        }
        Ok(flatten(items, false))
    }

    fn and_expr(&mut self) -> Result<Expr, UserError> {
        let mut items = vec![self.atom()?];
        while self.peek_keyword("and") {
            self.pos += 1;
            items.push(self.atom()?);
        }
        Ok(flatten(items, true))
    }

    fn atom(&mut self) -> Result<Expr, UserError> {
        if self.peek_kind(&TokenKind::LParen) {
            let position = self.peek().map_or(self.end, |t| t.position);
            if self.depth >= MAX_DEPTH {
                return Err(syntax_error(
                    position,
                    &format!("parentheses nest deeper than {MAX_DEPTH} levels."),
                ));
            }
            self.pos += 1;
            self.depth += 1;
            let inner = self.or_expr()?;
            self.depth -= 1;
            self.expect_kind(TokenKind::RParen)?;
            return Ok(inner);
        }
        self.condition().map(Expr::Cond)
    }

    fn condition(&mut self) -> Result<Condition, UserError> {
        let Some(Token {
            kind: TokenKind::Word(field),
            position,
        }) = self.peek().cloned()
        else {
            return Err(self.unexpected("a field code"));
        };
        self.pos += 1;
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(too_complex(format!(
                "The query has too many conditions: at most {MAX_CONDITIONS} are allowed."
            )));
        }
        let comparison = match self.peek_at(0) {
            Some(TokenKind::Eq) => Some(Op::Eq),
            Some(TokenKind::Ne) => Some(Op::Ne),
            Some(TokenKind::Lt) => Some(Op::Lt),
            Some(TokenKind::Gt) => Some(Op::Gt),
            Some(TokenKind::Le) => Some(Op::Le),
            Some(TokenKind::Ge) => Some(Op::Ge),
            _ => None,
        };
        let (op, values) = if let Some(op) = comparison {
            self.pos += 1;
            (op, vec![self.value()?])
        } else if self.peek_keyword("in") {
            self.pos += 1;
            (Op::In, self.value_list()?)
        } else if self.peek_keyword("like") {
            self.pos += 1;
            (Op::Like, vec![self.like_pattern()?])
        } else if self.peek_keyword("not") {
            self.pos += 1;
            if self.peek_keyword("in") {
                self.pos += 1;
                (Op::NotIn, self.value_list()?)
            } else if self.peek_keyword("like") {
                self.pos += 1;
                (Op::NotLike, vec![self.like_pattern()?])
            } else {
                return Err(self.unexpected("\"in\" or \"like\" after \"not\""));
            }
        } else if self.peek_keyword("is") {
            self.pos += 1;
            let op = if self.peek_keyword("not") {
                self.pos += 1;
                Op::IsNotEmpty
            } else {
                Op::IsEmpty
            };
            self.expect_keyword("empty")?;
            (op, Vec::new())
        } else {
            return Err(self.unexpected("an operator"));
        };
        Ok(Condition {
            field,
            op,
            values,
            position,
        })
    }

    fn value(&mut self) -> Result<Value, UserError> {
        match self.peek_at(0).cloned() {
            Some(TokenKind::Str(s)) => {
                self.pos += 1;
                Ok(Value::String(s))
            }
            Some(TokenKind::Number(n)) => {
                self.pos += 1;
                Ok(Value::Number(n))
            }
            Some(TokenKind::Word(name)) if self.peek_at(1) == Some(&TokenKind::LParen) => {
                self.pos += 2;
                let mut args = Vec::new();
                if self.peek_kind(&TokenKind::RParen) {
                    self.pos += 1;
                } else {
                    loop {
                        match self.peek_at(0).cloned() {
                            Some(TokenKind::Word(a) | TokenKind::Number(a)) => {
                                self.pos += 1;
                                args.push(a);
                            }
                            _ => return Err(self.unexpected("a function argument")),
                        }
                        if self.peek_kind(&TokenKind::Comma) {
                            self.pos += 1;
                        } else {
                            self.expect_kind(TokenKind::RParen)?;
                            break;
                        }
                    }
                }
                Ok(Value::Function(FunctionCall {
                    name: name.to_uppercase(),
                    args,
                }))
            }
            _ => Err(self.unexpected("a value (a \"string\", a number or a function)")),
        }
    }

    fn like_pattern(&mut self) -> Result<Value, UserError> {
        match self.peek_at(0).cloned() {
            Some(TokenKind::Str(s)) => {
                self.pos += 1;
                let length = s.chars().count();
                if length > MAX_LIKE_CHARS {
                    return Err(too_complex(format!(
                        "The \"like\" text is too long: at most {MAX_LIKE_CHARS} characters are allowed. (length: {length})"
                    )));
                }
                Ok(Value::String(s))
            }
            Some(TokenKind::Number(n)) => {
                self.pos += 1;
                Ok(Value::String(n))
            }
            _ => Err(self.unexpected("a \"string\" after like")),
        }
    }

    fn value_list(&mut self) -> Result<Vec<Value>, UserError> {
        self.expect_kind(TokenKind::LParen)?;
        let mut values = vec![self.value()?];
        while self.peek_kind(&TokenKind::Comma) {
            self.pos += 1;
            values.push(self.value()?);
            if self.in_values + values.len() > MAX_IN_VALUES {
                return Err(too_complex(format!(
                    "The query has too many values in \"in\" lists: at most {MAX_IN_VALUES} are allowed in all."
                )));
            }
        }
        self.in_values += values.len();
        if self.in_values > MAX_IN_VALUES {
            return Err(too_complex(format!(
                "The query has too many values in \"in\" lists: at most {MAX_IN_VALUES} are allowed in all."
            )));
        }
        self.expect_kind(TokenKind::RParen)?;
        Ok(values)
    }

    fn sort_key(&mut self) -> Result<SortKey, UserError> {
        let Some(TokenKind::Word(field)) = self.peek_at(0).cloned() else {
            return Err(self.unexpected("a field code after \"order by\""));
        };
        self.pos += 1;
        let direction = if self.peek_keyword("asc") {
            self.pos += 1;
            Some(SortDirection::Asc)
        } else if self.peek_keyword("desc") {
            self.pos += 1;
            Some(SortDirection::Desc)
        } else {
            None
        };
        Ok(SortKey { field, direction })
    }

    fn paging_number(
        &mut self,
        clause: &str,
        max: i64,
        too_large: QueryErrorCode,
    ) -> Result<i64, UserError> {
        let (text, position) = match self.peek() {
            Some(Token {
                kind: TokenKind::Number(n),
                position,
            }) => (n.clone(), *position),
            _ => return Err(self.unexpected(&format!("a number after \"{clause}\""))),
        };
        self.pos += 1;
        let digits = text.strip_prefix('+').unwrap_or(&text);
        if text.starts_with('-') {
            return Err(syntax_error(
                position,
                &format!("\"{clause}\" must not be negative."),
            ));
        }
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(syntax_error(
                position,
                &format!("\"{clause}\" must be an integer."),
            ));
        }
        // All digits: a value too big for i64 is certainly over the maximum.
        match digits.parse::<i64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(UserError::query(
                too_large,
                format!("The {clause} must be {max} or less. ({clause}: {text})"),
            )),
        }
    }
}

fn is_keyword(kind: Option<&TokenKind>, keyword: &str) -> bool {
    matches!(kind, Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case(keyword))
}

/// Builds an `And`/`Or` from a chain, splicing in members of the same kind so the tree stays flat.
fn flatten(items: Vec<Expr>, and: bool) -> Expr {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Expr::And(inner) if and => out.extend(inner),
            Expr::Or(inner) if !and => out.extend(inner),
            other => out.push(other),
        }
    }
    if out.len() == 1 {
        if let Some(only) = out.pop() {
            return only;
        }
    }
    if and {
        Expr::And(out)
    } else {
        Expr::Or(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, op: Op, values: Vec<Value>) -> Condition {
        Condition {
            field: field.into(),
            op,
            values,
            position: 0,
        }
    }

    fn strip_positions(e: &mut Expr) {
        match e {
            Expr::And(items) | Expr::Or(items) => items.iter_mut().for_each(strip_positions),
            Expr::Cond(c) => c.position = 0,
        }
    }

    fn parsed(q: &str) -> Result<Query, UserError> {
        let mut q = parse(q)?;
        if let Some(c) = q.condition.as_mut() {
            strip_positions(c);
        }
        Ok(q)
    }

    fn code_of(r: Result<Query, UserError>) -> Option<QueryErrorCode> {
        match r {
            Err(UserError::Query { code, .. }) => Some(code),
            _ => None,
        }
    }

    #[test]
    fn empty_and_clause_only_queries() -> Result<(), UserError> {
        assert_eq!(parse("")?, Query::default());
        assert_eq!(parse(" \u{3000}\n")?, Query::default());
        let q = parse("limit 500")?;
        assert_eq!((q.condition, q.limit, q.offset), (None, Some(500), None));
        let q = parse("ORDER BY $id ASC, 数量 desc, 品名 LIMIT 10 OFFSET 20")?;
        assert_eq!(
            q.order_by,
            vec![
                SortKey {
                    field: "$id".into(),
                    direction: Some(SortDirection::Asc)
                },
                SortKey {
                    field: "数量".into(),
                    direction: Some(SortDirection::Desc)
                },
                SortKey {
                    field: "品名".into(),
                    direction: None
                },
            ]
        );
        assert_eq!((q.limit, q.offset), (Some(10), Some(20)));
        Ok(())
    }

    #[test]
    fn and_binds_tighter_than_or() -> Result<(), UserError> {
        let q = parsed("a = 1 or b = 2 AND c = 3")?;
        let n = |v: &str| vec![Value::Number(v.into())];
        assert_eq!(
            q.condition,
            Some(Expr::Or(vec![
                Expr::Cond(cond("a", Op::Eq, n("1"))),
                Expr::And(vec![
                    Expr::Cond(cond("b", Op::Eq, n("2"))),
                    Expr::Cond(cond("c", Op::Eq, n("3"))),
                ]),
            ]))
        );
        Ok(())
    }

    #[test]
    fn nested_parentheses_flatten() -> Result<(), UserError> {
        let q = parsed("((a = 1 and (b = 2 and c = 3))) and (d = 4 or (e = 5 or f = 6))")?;
        let Some(Expr::And(items)) = &q.condition else {
            panic!("expected and: {q:?}");
        };
        assert_eq!(items.len(), 4);
        assert!(matches!(&items[3], Expr::Or(o) if o.len() == 3));
        assert_eq!(q.top_level_conjuncts().len(), 4);
        Ok(())
    }

    #[test]
    fn all_operator_forms() -> Result<(), UserError> {
        let q = parsed(
            r#"a in ("x", 1, LOGINUSER()) and b not in ("") and c like "k" and d not like "l"
               and e is empty and f is not empty and g<=TODAY() and h>FROM_TODAY(-3, days)"#,
        )?;
        let Some(Expr::And(items)) = q.condition else {
            panic!("expected and");
        };
        let ops: Vec<Op> = items
            .iter()
            .filter_map(|e| {
                if let Expr::Cond(c) = e {
                    Some(c.op)
                } else {
                    None
                }
            })
            .collect();
        use Op::*;
        assert_eq!(
            ops,
            vec![In, NotIn, Like, NotLike, IsEmpty, IsNotEmpty, Le, Gt]
        );
        let Expr::Cond(first) = &items[0] else {
            panic!()
        };
        assert_eq!(
            first.values[2],
            Value::Function(FunctionCall {
                name: "LOGINUSER".into(),
                args: vec![]
            })
        );
        let Expr::Cond(last) = &items[7] else {
            panic!()
        };
        assert_eq!(
            last.values[0],
            Value::Function(FunctionCall {
                name: "FROM_TODAY".into(),
                args: vec!["-3".into(), "days".into()]
            })
        );
        Ok(())
    }

    #[test]
    fn syntax_errors() {
        for q in [
            "a =",
            "a = 1 and",
            "(a = 1",
            "a = 1)",
            "a 1",
            "a in ()",
            "a in (1,)",
            "a not = 1",
            "a is full",
            "a = b",
            "order $id",
            "order by",
            "limit 10 order by $id",
            "offset 1 limit 2",
            "limit -1",
            "limit 1.5",
            "offset -5",
            "a = \"x\ny\"",
        ] {
            assert_eq!(code_of(parse(q)), Some(QueryErrorCode::Syntax), "{q:?}");
        }
    }

    #[test]
    fn paging_limits() {
        assert_eq!(
            code_of(parse("limit 501")),
            Some(QueryErrorCode::LimitTooLarge)
        );
        assert_eq!(
            code_of(parse("limit 99999999999999999999999")),
            Some(QueryErrorCode::LimitTooLarge)
        );
        assert_eq!(
            code_of(parse("offset 10001")),
            Some(QueryErrorCode::OffsetTooLarge)
        );
        assert!(parse("limit 0 offset 10000").is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}a = 1{}", "(".repeat(50_000), ")".repeat(50_000));
        assert_eq!(code_of(parse(&deep)), Some(QueryErrorCode::Syntax));
        // Longer than the text limit: refused before it is even split into tokens.
        let long = format!("{}a = 1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(code_of(parse(&long)), Some(QueryErrorCode::TooComplex));
    }

    #[test]
    fn size_limits_are_too_complex() {
        let many = |n: usize, term: &str, sep: &str| vec![term; n].join(sep);
        let cases = [
            many(MAX_CONDITIONS + 1, "a = 1", " or "),
            format!("a in ({})", many(MAX_IN_VALUES + 1, "1", ",")),
            format!("a in (1) and b in ({})", many(MAX_IN_VALUES, "1", ",")),
            format!("order by {}", many(MAX_SORT_KEYS + 1, "a asc", ", ")),
            format!("a like \"{}\"", "x".repeat(MAX_LIKE_CHARS + 1)),
        ];
        for q in &cases {
            assert_eq!(code_of(parse(q)), Some(QueryErrorCode::TooComplex));
        }
        assert!(parse(&many(MAX_CONDITIONS, "a = 1", " or ")).is_ok());
        assert!(parse(&format!("a in ({})", many(MAX_IN_VALUES, "1", ","))).is_ok());
    }

    #[test]
    fn fields_named_like_keywords() -> Result<(), UserError> {
        let q = parsed("limit = 1 and order in (\"a\") order by limit limit 5")?;
        assert!(q.condition.is_some());
        assert_eq!(q.order_by[0].field, "limit");
        assert_eq!(q.limit, Some(5));
        Ok(())
    }
}
