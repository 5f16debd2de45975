//! Semantic checks: a parsed condition meets the app's fields and the caller, and becomes a
//! [`Resolved`] condition that says which pivot column to probe, with which predicate, and how unset
//! values and subtable rows count. Everything that can fail fails here, so compiling a resolved tree
//! cannot.
//!
//! The normal form is small on purpose. A field condition is
//! - *positive* (`=`, `in`, `<`..`>=`, `like`, `is empty`): "some value satisfies `pred`", or, when
//!   `empty` is set, "... or there is no value" (`in ("")`, `= ""`, `is empty`);
//! - *negative* (`!=`, `not in`, `not like`, `is not empty`): "no value satisfies `pred`", and, when
//!   `empty` is set, "there is a value".
//!
//! On subtable fields "value" reads "row": positive means some row qualifies, negative means rows exist
//! and every row qualifies (spec §3.3).

use super::ast::{Condition, Expr, FunctionCall, Op, SortDirection, SortKey, Value};
use super::dates::{self, Span};
use super::QueryContext;
use crate::apps::FieldId;
use crate::error::{QueryErrorCode, UserError};
use crate::fields::{FieldType, IndexKind};

/// Which pivot table holds a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Num,
    Text,
    Long,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Num => "record_values_num",
            Table::Text => "record_values_text",
            Table::Long => "record_values_long",
        }
    }

    fn of(kind: IndexKind) -> Option<Table> {
        match kind {
            IndexKind::Number => Some(Table::Num),
            IndexKind::Text => Some(Table::Text),
            IndexKind::Long => Some(Table::Long),
            IndexKind::None => None,
        }
    }
}

/// The subtable a field lives in, with what is needed to enumerate its rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Subtable {
    pub code: String,
    /// Inner fields per pivot table. A NUMBER/CALC field has a pivot row for every subtable row (value
    /// NULL when empty), so when one exists it enumerates the rows exactly; otherwise rows are the union
    /// of the text and long pivot rows, which misses rows whose every field is empty.
    pub num_fields: Vec<FieldId>,
    pub text_fields: Vec<FieldId>,
    pub long_fields: Vec<FieldId>,
}

/// A pivot column: one field's values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub table: Table,
    pub field_id: FieldId,
    pub subtable: Option<Subtable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Cmp {
    pub fn sql(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Lt => "<",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Ge => ">=",
        }
    }
}

/// A predicate on one pivot value. Lists are never empty.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pred {
    NumCmp(Cmp, f64),
    NumIn(Vec<f64>),
    TextCmp(Cmp, String),
    TextIn(Vec<String>),
    /// `lo <= value < hi`.
    TextRange(String, String),
    /// A complete LIKE pattern using `!` as the escape character.
    Like(String),
    /// `like` helped by the full-text index (`TextMatcher`): the LIKE pattern, the index position,
    /// the candidate record ids, and whether they are FILE content matches (OR-ed with the name
    /// test) rather than a narrowing of the LIKE test.
    IndexedLike {
        pattern: String,
        position: i64,
        ids: Vec<i64>,
        file_content: bool,
    },
}

/// A predicate on `r.id`. Lists are never empty.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IdPred {
    Cmp(Cmp, i64),
    In(Vec<i64>),
}

/// One condition in normal form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Const(bool),
    /// On `r.id`; `negated` turns `=` into `<>` and `IN` into `NOT IN`.
    Id {
        pred: IdPred,
        negated: bool,
    },
    Field {
        column: Column,
        negative: bool,
        pred: Option<Pred>,
        empty: bool,
    },
}

impl Resolved {
    /// The subtable of a positive subtable condition: such conditions AND-ed together must hold on the
    /// same row.
    pub fn same_row_group(&self) -> Option<&Subtable> {
        match self {
            Resolved::Field {
                column: Column {
                    subtable: Some(s), ..
                },
                negative: false,
                ..
            } => Some(s),
            _ => None,
        }
    }
}

/// A resolved expression tree, the shape of [`Expr`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RExpr {
    And(Vec<RExpr>),
    Or(Vec<RExpr>),
    Leaf(Resolved),
}

/// What `order by` sorts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SortTarget {
    Id,
    Column { table: Table, field_id: FieldId },
}

/// How a field type is queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Id {
        record_number: bool,
    },
    Number,
    /// SINGLE_LINE_TEXT, LINK.
    Text,
    Status,
    Choice,
    /// Entities; `login_user` allows LOGINUSER(), `organization` PRIMARY_ORGANIZATION().
    Entity {
        login_user: bool,
        organization: bool,
    },
    Date,
    DateTime,
    Time,
    /// MULTI_LINE_TEXT, RICH_TEXT, FILE; `emptiness` allows `is [not] empty`.
    Long {
        emptiness: bool,
    },
}

impl Kind {
    fn of(t: FieldType) -> Option<Kind> {
        Some(match t {
            FieldType::RecordNumber => Kind::Id {
                record_number: true,
            },
            FieldType::Number | FieldType::Calc => Kind::Number,
            FieldType::SingleLineText | FieldType::Link => Kind::Text,
            FieldType::Status => Kind::Status,
            FieldType::RadioButton
            | FieldType::DropDown
            | FieldType::CheckBox
            | FieldType::MultiSelect => Kind::Choice,
            FieldType::Creator
            | FieldType::Modifier
            | FieldType::UserSelect
            | FieldType::StatusAssignee => Kind::Entity {
                login_user: true,
                organization: false,
            },
            FieldType::OrganizationSelect => Kind::Entity {
                login_user: false,
                organization: true,
            },
            FieldType::GroupSelect | FieldType::Category => Kind::Entity {
                login_user: false,
                organization: false,
            },
            FieldType::Date => Kind::Date,
            FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime => Kind::DateTime,
            FieldType::Time => Kind::Time,
            FieldType::MultiLineText | FieldType::File => Kind::Long { emptiness: true },
            FieldType::RichText => Kind::Long { emptiness: false },
            FieldType::Subtable
            | FieldType::ReferenceTable
            | FieldType::Label
            | FieldType::Spacer
            | FieldType::Hr
            | FieldType::Group => return None,
        })
    }

    /// The operator table of spec §3.2.
    fn allows(self, op: Op) -> bool {
        use Op::*;
        match self {
            Kind::Id { .. } | Kind::Number => {
                matches!(op, Eq | Ne | Lt | Gt | Le | Ge | In | NotIn)
            }
            Kind::Text => matches!(op, Eq | Ne | In | NotIn | Like | NotLike),
            Kind::Status => matches!(op, Eq | Ne | In | NotIn),
            Kind::Choice | Kind::Entity { .. } => matches!(op, In | NotIn),
            Kind::Date | Kind::DateTime | Kind::Time => matches!(op, Eq | Ne | Lt | Gt | Le | Ge),
            Kind::Long { emptiness } => {
                matches!(op, Like | NotLike) || (emptiness && matches!(op, IsEmpty | IsNotEmpty))
            }
        }
    }
}

fn unknown_field(code: &str) -> UserError {
    UserError::query(
        QueryErrorCode::UnknownField,
        format!("Specified field ({code}) not found."),
    )
}

fn syntax(message: String) -> UserError {
    UserError::query(QueryErrorCode::Syntax, message)
}

/// A field as the query sees it.
struct Target {
    kind: Kind,
    column: Option<Column>,
}

fn lookup(
    code: &str,
    ctx: &QueryContext<'_>,
) -> Result<(FieldType, Option<String>, FieldId), UserError> {
    let field = ctx
        .definition
        .field(code)
        .ok_or_else(|| unknown_field(code))?;
    // A field the caller may not view does not exist for their queries (no oracle on its values).
    if ctx
        .access
        .is_some_and(|a| !a.field_queryable(ctx.definition, code))
    {
        return Err(unknown_field(code));
    }
    let t = field.property.field_type;
    // Process-management fields do not exist while the feature is off (spec §2.1).
    if matches!(t, FieldType::Status | FieldType::StatusAssignee)
        && !ctx.definition.process_enabled()
    {
        return Err(unknown_field(code));
    }
    Ok((t, field.subtable.map(str::to_owned), field.id))
}

fn subtable_info(code: &str, ctx: &QueryContext<'_>) -> Subtable {
    let mut s = Subtable {
        code: code.to_owned(),
        num_fields: Vec::new(),
        text_fields: Vec::new(),
        long_fields: Vec::new(),
    };
    let inner = ctx
        .definition
        .properties
        .get(code)
        .and_then(|p| p.fields.as_ref());
    for (inner_code, p) in inner.into_iter().flatten() {
        let Some(&id) = ctx.definition.field_ids.get(inner_code) else {
            continue;
        };
        match Table::of(p.field_type.index_kind()) {
            Some(Table::Num) => s.num_fields.push(id),
            Some(Table::Text) => s.text_fields.push(id),
            Some(Table::Long) => s.long_fields.push(id),
            None => {}
        }
    }
    s
}

fn target(code: &str, ctx: &QueryContext<'_>) -> Result<Target, UserError> {
    if code == "$id" {
        return Ok(Target {
            kind: Kind::Id {
                record_number: false,
            },
            column: None,
        });
    }
    let (t, subtable, field_id) = lookup(code, ctx)?;
    let kind = Kind::of(t).ok_or_else(|| {
        UserError::query(
            QueryErrorCode::OperatorNotAllowed,
            format!(
                "The field ({code}) of type {} cannot be used in a query condition.",
                t.name()
            ),
        )
    })?;
    let column = Table::of(t.index_kind()).map(|table| Column {
        table,
        field_id,
        subtable: subtable.map(|s| subtable_info(&s, ctx)),
    });
    if column.is_none() && !matches!(kind, Kind::Id { .. }) {
        return Err(unknown_field(code));
    }
    Ok(Target { kind, column })
}

/// Resolves a whole condition tree.
pub(crate) fn resolve_expr(e: &Expr, ctx: &QueryContext<'_>) -> Result<RExpr, UserError> {
    Ok(match e {
        Expr::And(items) => RExpr::And(
            items
                .iter()
                .map(|i| resolve_expr(i, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(items) => RExpr::Or(
            items
                .iter()
                .map(|i| resolve_expr(i, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Cond(c) => RExpr::Leaf(resolve_condition(c, ctx)?),
    })
}

/// Resolves one sort key.
///
/// Errors: `UnknownField`; `SortNotAllowed` for subtable fields and unsortable (multi-valued, long
/// text) types.
pub(crate) fn resolve_sort(
    key: &SortKey,
    ctx: &QueryContext<'_>,
) -> Result<(SortTarget, SortDirection), UserError> {
    let dir = key.effective_direction();
    if key.field == "$id" {
        return Ok((SortTarget::Id, dir));
    }
    let (t, subtable, field_id) = lookup(&key.field, ctx)?;
    let not_sortable = || {
        UserError::query(
            QueryErrorCode::SortNotAllowed,
            format!("The field ({}) cannot be used in \"order by\".", key.field),
        )
    };
    if subtable.is_some() || !t.is_sortable() {
        return Err(not_sortable());
    }
    if t == FieldType::RecordNumber {
        return Ok((SortTarget::Id, dir));
    }
    let table = Table::of(t.index_kind())
        .filter(|t| *t != Table::Long)
        .ok_or_else(not_sortable)?;
    Ok((SortTarget::Column { table, field_id }, dir))
}

/// Values of `=`/`in` lists split into `""` (matches unset) and the rest.
struct Listed<T> {
    items: Vec<T>,
    empty: bool,
}

fn resolve_condition(c: &Condition, ctx: &QueryContext<'_>) -> Result<Resolved, UserError> {
    let Target { kind, column } = target(&c.field, ctx)?;
    if !kind.allows(c.op) {
        return Err(UserError::query(
            QueryErrorCode::OperatorNotAllowed,
            format!(
                "The operator ({}) cannot be used for the field ({}).",
                c.op.as_str(),
                c.field
            ),
        ));
    }
    let in_subtable = column.as_ref().is_some_and(|col| col.subtable.is_some());
    if in_subtable && matches!(c.op, Op::Eq | Op::Ne) {
        return Err(UserError::query(
            QueryErrorCode::SubtableEquality,
            format!(
                "The operators \"=\" and \"!=\" cannot be used for the field ({}) in a table. Use \"in\" or \"not in\".",
                c.field
            ),
        ));
    }
    let field = FieldCtx {
        code: &c.field,
        kind,
        ctx,
    };
    let Some(column) = column else {
        let record_number = matches!(
            kind,
            Kind::Id {
                record_number: true
            }
        );
        return resolve_id(c, record_number, &field);
    };
    let negative = matches!(c.op, Op::Ne | Op::NotIn | Op::NotLike | Op::IsNotEmpty);
    let field_result = |pred: Option<Pred>, empty: bool| Resolved::Field {
        column: column.clone(),
        negative,
        pred,
        empty,
    };

    match c.op {
        Op::IsEmpty | Op::IsNotEmpty => return Ok(field_result(None, true)),
        Op::Like | Op::NotLike => {
            let text = match c.values.first() {
                Some(Value::String(s) | Value::Number(s)) => s,
                _ => {
                    return Err(syntax(format!(
                        "\"like\" on the field ({}) needs a \"string\".",
                        c.field
                    )))
                }
            };
            // Width and case folded, as the value is in SQL (see `compile::folded`).
            let pattern = like_pattern(&super::fold::fold(text));
            use crate::fields::FieldType as T;
            let field_type = ctx
                .definition
                .field(&c.field)
                .map(|f| f.property.field_type);
            let file_field = field_type == Some(T::File);
            // Only the types the full-text index holds (text, link, rich text, files).
            let indexed_type = matches!(
                field_type,
                Some(T::SingleLineText | T::MultiLineText | T::RichText | T::Link | T::File)
            );
            let indexed = match (ctx.text_matcher, c.op, &column.subtable) {
                (Some(m), Op::Like, None) if indexed_type => {
                    m.like_candidates(&c.field, text, file_field)
                }
                _ => None,
            };
            let pred = match indexed {
                Some(found) => Pred::IndexedLike {
                    pattern,
                    position: found.position,
                    ids: found.record_ids,
                    file_content: file_field,
                },
                None => Pred::Like(pattern),
            };
            return Ok(field_result(Some(pred), false));
        }
        _ => {}
    }

    match kind {
        Kind::Number => match c.op {
            Op::Eq | Op::Ne | Op::In | Op::NotIn => {
                let listed = field.listed(&c.values, |f, v| f.number(v))?;
                Ok(field_result(
                    list_pred(listed.items, Pred::NumIn, |x| Pred::NumCmp(Cmp::Eq, x)),
                    listed.empty,
                ))
            }
            _ => {
                let x = single(&c.values)
                    .and_then(|v| field.number(v))?
                    .ok_or_else(|| {
                        syntax(format!("A number is needed for the field ({}).", c.field))
                    })?;
                Ok(field_result(Some(Pred::NumCmp(cmp_of(c.op), x)), false))
            }
        },
        Kind::Text | Kind::Status | Kind::Choice | Kind::Entity { .. } => {
            let listed = field.listed(&c.values, |f, v| f.text(v))?;
            Ok(field_result(
                list_pred(listed.items, Pred::TextIn, |s| Pred::TextCmp(Cmp::Eq, s)),
                listed.empty,
            ))
        }
        Kind::Date | Kind::DateTime | Kind::Time => {
            let value = single(&c.values)?;
            let Some(span) = field.span(value)? else {
                // `= ""` / `!= ""`: unset / set; ordering against "" is meaningless.
                return match c.op {
                    Op::Eq | Op::Ne => Ok(field_result(None, true)),
                    _ => Err(syntax(format!(
                        "The field ({}) cannot be compared with \"\" using {}.",
                        c.field,
                        c.op.as_str()
                    ))),
                };
            };
            Ok(field_result(Some(span_pred(span, c.op)), false))
        }
        // Long fields only take like / is empty, handled above; `allows` guarantees we never get here.
        Kind::Long { .. } | Kind::Id { .. } => Err(syntax(format!(
            "Unsupported condition on the field ({}).",
            c.field
        ))),
    }
}

fn single(values: &[Value]) -> Result<&Value, UserError> {
    values
        .first()
        .ok_or_else(|| syntax("A value is missing.".to_owned()))
}

fn cmp_of(op: Op) -> Cmp {
    match op {
        Op::Lt => Cmp::Lt,
        Op::Gt => Cmp::Gt,
        Op::Le => Cmp::Le,
        Op::Ge => Cmp::Ge,
        _ => Cmp::Eq,
    }
}

fn list_pred<T>(mut items: Vec<T>, many: fn(Vec<T>) -> Pred, one: fn(T) -> Pred) -> Option<Pred> {
    match items.len() {
        0 => None,
        1 => items.pop().map(one),
        _ => Some(many(items)),
    }
}

/// `=` means within the span; `<` before its start; `<=` before its end; `>` from its end; `>=` from
/// its start. `!=` is the negative form of `=`.
fn span_pred(span: Span, op: Op) -> Pred {
    match span {
        Span::Point(k) => match op {
            Op::Eq | Op::Ne => Pred::TextCmp(Cmp::Eq, k),
            other => Pred::TextCmp(cmp_of(other), k),
        },
        Span::Range(lo, hi) => match op {
            Op::Lt => Pred::TextCmp(Cmp::Lt, lo),
            Op::Le => Pred::TextCmp(Cmp::Lt, hi),
            Op::Gt => Pred::TextCmp(Cmp::Ge, hi),
            Op::Ge => Pred::TextCmp(Cmp::Ge, lo),
            _ => Pred::TextRange(lo, hi),
        },
    }
}

/// A substring pattern of already folded text. kintone's `like` is a word search on a full-text index
/// (`like "key"` does not match "keyword"); substring matching is the documented approximation.
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.chars() {
        if matches!(ch, '!' | '%' | '_') {
            p.push('!');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

struct FieldCtx<'q, 'c> {
    code: &'q str,
    kind: Kind,
    ctx: &'q QueryContext<'c>,
}

impl FieldCtx<'_, '_> {
    fn function_not_allowed(&self, f: &FunctionCall) -> UserError {
        if !dates::is_date_function(&f.name)
            && !matches!(f.name.as_str(), "LOGINUSER" | "PRIMARY_ORGANIZATION")
        {
            return UserError::query(
                QueryErrorCode::FunctionArgument,
                format!("Unknown function {}().", f.name),
            );
        }
        UserError::query(
            QueryErrorCode::OperatorNotAllowed,
            format!(
                "The function {}() cannot be used for the field ({}).",
                f.name, self.code
            ),
        )
    }

    /// Splits a value list into `""` and the converted rest; `convert` may drop a value (`None`).
    fn listed<T>(
        &self,
        values: &[Value],
        convert: impl Fn(&Self, &Value) -> Result<Option<T>, UserError>,
    ) -> Result<Listed<T>, UserError> {
        let mut out = Listed {
            items: Vec::new(),
            empty: false,
        };
        for v in values {
            if matches!(v, Value::String(s) if s.is_empty()) {
                out.empty = true;
            } else if let Some(x) = convert(self, v)? {
                out.items.push(x);
            }
        }
        Ok(out)
    }

    fn number(&self, v: &Value) -> Result<Option<f64>, UserError> {
        match v {
            Value::String(s) | Value::Number(s) => {
                let x: f64 = s.trim().parse().map_err(|_| {
                    syntax(format!("\"{s}\" is not a number (field {}).", self.code))
                })?;
                if x.is_finite() {
                    Ok(Some(x))
                } else {
                    Err(syntax(format!(
                        "\"{s}\" is not a number (field {}).",
                        self.code
                    )))
                }
            }
            Value::Function(f) => Err(self.function_not_allowed(f)),
        }
    }

    fn text(&self, v: &Value) -> Result<Option<String>, UserError> {
        let text = match v {
            Value::String(s) | Value::Number(s) => s.clone(),
            Value::Function(f) => {
                let Kind::Entity {
                    login_user,
                    organization,
                } = self.kind
                else {
                    return Err(self.function_not_allowed(f));
                };
                let allowed = (f.name == "LOGINUSER" && login_user)
                    || (f.name == "PRIMARY_ORGANIZATION" && organization);
                if !allowed {
                    return Err(self.function_not_allowed(f));
                }
                if !f.args.is_empty() {
                    return Err(UserError::query(
                        QueryErrorCode::FunctionArgument,
                        format!("The function {}() takes no arguments.", f.name),
                    ));
                }
                if f.name == "LOGINUSER" {
                    return Ok(Some(self.ctx.login_user.to_owned()));
                }
                // kintone ignores PRIMARY_ORGANIZATION() for a user without one.
                return Ok(self.ctx.primary_organization.map(str::to_owned));
            }
        };
        if self.kind == Kind::Choice {
            let known = self
                .ctx
                .definition
                .field(self.code)
                .is_some_and(|f| f.property.has_option(&text));
            if !known {
                return Err(UserError::query(
                    QueryErrorCode::OptionNotDefined,
                    format!(
                        "The value ({text}) is not an option of the field ({}).",
                        self.code
                    ),
                ));
            }
        }
        Ok(Some(text))
    }

    /// The operand of a date/datetime/time comparison; `None` for `""`.
    fn span(&self, v: &Value) -> Result<Option<Span>, UserError> {
        let tz = self.ctx.timezone;
        let when = match v {
            Value::String(s) if s.is_empty() => return Ok(None),
            Value::String(s) | Value::Number(s) => {
                if self.kind == Kind::Time {
                    return Ok(Some(Span::Point(dates::time_key(s)?)));
                }
                dates::parse_literal(s, tz)?
            }
            Value::Function(f) => {
                if self.kind == Kind::Time || !dates::is_date_function(&f.name) {
                    return Err(self.function_not_allowed(f));
                }
                dates::evaluate(f, tz, self.ctx.now)?
            }
        };
        let span = if self.kind == Kind::Date {
            dates::date_span(when, tz)?
        } else {
            dates::datetime_span(when, tz)?
        };
        Ok(Some(span))
    }

    fn record_id(&self, v: &Value, record_number: bool) -> Result<Option<i64>, UserError> {
        let text = match v {
            Value::String(s) | Value::Number(s) => s.trim(),
            Value::Function(f) => return Err(self.function_not_allowed(f)),
        };
        let app_code = &self.ctx.definition.code;
        // A record number may carry the app code (`MyApp-12`) when the app has one.
        let digits = if record_number && !app_code.is_empty() {
            text.strip_prefix(app_code.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .unwrap_or(text)
        } else {
            text
        };
        digits.parse::<i64>().map(Some).map_err(|_| {
            syntax(format!(
                "\"{text}\" is not a record number (field {}).",
                self.code
            ))
        })
    }
}

fn resolve_id(
    c: &Condition,
    record_number: bool,
    field: &FieldCtx<'_, '_>,
) -> Result<Resolved, UserError> {
    let listed = field.listed(&c.values, |f, v| f.record_id(v, record_number))?;
    let negated = matches!(c.op, Op::Ne | Op::NotIn);
    // Every record has an id, so `""` never matches positively and is always satisfied negatively.
    let Some(pred) = (match c.op {
        Op::Eq | Op::Ne | Op::In | Op::NotIn => {
            let mut ids = listed.items;
            match ids.len() {
                0 => None,
                1 => ids.pop().map(|id| IdPred::Cmp(Cmp::Eq, id)),
                _ => Some(IdPred::In(ids)),
            }
        }
        op => {
            let id = listed.items.first().copied().ok_or_else(|| {
                syntax(format!(
                    "The field ({}) cannot be compared with \"\" using {}.",
                    c.field,
                    op.as_str()
                ))
            })?;
            Some(IdPred::Cmp(cmp_of(op), id))
        }
    }) else {
        return Ok(Resolved::Const(negated));
    };
    Ok(Resolved::Id { pred, negated })
}
