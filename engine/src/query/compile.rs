//! Compiles resolved conditions and sort keys to SQL for SQLite and PostgreSQL.
//!
//! Guarantees:
//! - every user value is bound through `SqlBuilder::bind_*`; SQL text holds only fixed fragments,
//!   generated aliases and field ids taken from the app definition;
//! - conditions are correlated `EXISTS` probes of the pivot tables on their primary-key prefix
//!   `(app_id, field_id, record_id, row_id)` against the outer `records r`;
//! - unset values: positive operators never match them (except `""` in a list, `= ""`, `is empty`),
//!   negative operators on top-level fields do (`not in ("A")` and `!= "x"` match a record without a
//!   value), via `NOT EXISTS`;
//! - subtable fields: positive conditions hold if some row matches, and positive conditions on the same
//!   table that are AND-ed as siblings must hold on one row; negative conditions need at least one row
//!   and hold on every row; a record without rows matches neither;
//! - sorting is identical on both backends: explicit `NULLS FIRST`/`NULLS LAST`, byte order for text
//!   (`COLLATE "C"` on PostgreSQL, SQLite's default), and `r.id` as the final tie-breaker.

use super::resolve::{Cmp, Column, IdPred, Pred, RExpr, Resolved, SortTarget, Subtable, Table};
use crate::apps::FieldId;
use crate::db::{Dialect, SqlBuilder};
use crate::query::ast::SortDirection;

/// Characters that make a long-text value count as empty (`is empty` = only whitespace).
const BLANK_CHARS: &str = " \t\r\n\u{3000}";

pub(crate) struct Compiler<'b> {
    b: &'b mut SqlBuilder,
    next_alias: usize,
}

/// Which pivot rows of a record a probe looks at.
#[derive(Clone, Copy)]
enum Rows<'a> {
    /// The record's own value (row 0).
    Record,
    /// Any subtable row.
    AnyRow,
    /// The subtable row whose id is this SQL expression.
    Row(&'a str),
}

/// What a probe requires of the value.
#[derive(Clone, Copy)]
enum Need<'a> {
    Pred(&'a Pred),
    NonEmpty,
}

/// AND-ed conditions PostgreSQL may plan as joins; a longer chain is kept one expression.
const MAX_JOINED_CONDITIONS: usize = 8;

impl<'b> Compiler<'b> {
    pub fn new(b: &'b mut SqlBuilder) -> Self {
        Compiler { b, next_alias: 0 }
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.next_alias += 1;
        format!("{prefix}{}", self.next_alias)
    }

    pub fn push(&mut self, sql: &str) {
        self.b.push(sql);
    }

    pub fn expr(&mut self, e: &RExpr) {
        match e {
            RExpr::Leaf(r) => self.leaf(r),
            RExpr::Or(items) => self.balanced(0, items.len(), " OR ", &mut |c, i| {
                if let Some(item) = items.get(i) {
                    c.expr(item);
                }
            }),
            RExpr::And(items) => self.and(items),
        }
    }

    /// Writes parts `lo..hi` joined by `joiner` as a balanced tree of parentheses, `(((p0) J (p1)) J
    /// ((p2) J (p3)))`, in order (bound parameters follow the text): a flat chain of a thousand
    /// conditions would be an expression a thousand deep, which SQLite refuses ("Expression tree is
    /// too large") and PostgreSQL may lack the stack for; balanced, it is about ten deep (and the
    /// recursion here is as shallow).
    fn balanced(
        &mut self,
        lo: usize,
        hi: usize,
        joiner: &str,
        part: &mut impl FnMut(&mut Self, usize),
    ) {
        self.push("(");
        if hi.saturating_sub(lo) <= 1 {
            part(self, lo);
        } else {
            let mid = lo + (hi - lo) / 2;
            self.balanced(lo, mid, joiner, part);
            self.push(joiner);
            self.balanced(mid, hi, joiner, part);
        }
        self.push(")");
    }

    /// Writes an AND chain, merging positive conditions on the same subtable into one row probe.
    fn and(&mut self, items: &[RExpr]) {
        // Group positive subtable leaves by table, in order of first appearance.
        let mut groups: Vec<(&Subtable, Vec<&Resolved>)> = Vec::new();
        let mut others: Vec<&RExpr> = Vec::new();
        for item in items {
            match item {
                RExpr::Leaf(r) => match r.same_row_group() {
                    Some(s) => match groups.iter_mut().find(|(g, _)| g.code == s.code) {
                        Some((_, members)) => members.push(r),
                        None => groups.push((s, vec![r])),
                    },
                    None => others.push(item),
                },
                _ => others.push(item),
            }
        }
        let count = others.len() + groups.len();
        // PostgreSQL turns every `EXISTS` of a top-level AND into a semi-join and plans them together,
        // which takes seconds for a hundred conditions and hours for a few hundred. `IS TRUE` keeps a
        // long chain one expression, evaluated per record as SQLite does; short chains keep the join.
        let opaque = self.b.dialect == Dialect::Postgres && count > MAX_JOINED_CONDITIONS;
        if opaque {
            self.push("(");
        }
        self.balanced(0, count, " AND ", &mut |c, i| match others.get(i) {
            Some(item) => c.expr(item),
            None => {
                if let Some((table, members)) = groups.get(i - others.len()) {
                    c.same_row(table, members);
                }
            }
        });
        if opaque {
            self.push(" IS TRUE)");
        }
    }

    fn leaf(&mut self, r: &Resolved) {
        match r {
            Resolved::Const(true) => self.push("1=1"),
            Resolved::Const(false) => self.push("1=0"),
            Resolved::Id { pred, negated } => self.id(pred, *negated),
            Resolved::Field { column, .. } => match &column.subtable {
                None => self.top_level(r),
                Some(s) if r.same_row_group().is_some() => self.same_row(s, &[r]),
                Some(s) => self.subtable_negative(s, r),
            },
        }
    }

    fn id(&mut self, pred: &IdPred, negated: bool) {
        match pred {
            IdPred::Cmp(Cmp::Eq, id) if negated => {
                self.push("r.id <> ");
                self.b.bind_int(*id);
            }
            IdPred::Cmp(cmp, id) => {
                self.push("r.id ");
                self.push(cmp.sql());
                self.push(" ");
                self.b.bind_int(*id);
            }
            IdPred::In(ids) => {
                self.push(if negated {
                    "r.id NOT IN ("
                } else {
                    "r.id IN ("
                });
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.b.bind_int(*id);
                }
                self.push(")");
            }
        }
    }

    /// `EXISTS (SELECT 1 FROM <pivot> a WHERE <a is field F of r> AND <rows> AND <need>)`.
    fn probe(&mut self, table: Table, field_id: FieldId, rows: Rows<'_>, need: Need<'_>) {
        let a = self.alias("v");
        self.push(&format!(
            "EXISTS (SELECT 1 FROM {} {a} WHERE {a}.app_id = r.app_id AND {a}.field_id = {field_id} AND {a}.record_id = r.id AND ",
            table.name()
        ));
        match rows {
            Rows::Record => self.push(&format!("{a}.row_id = 0")),
            Rows::AnyRow => self.push(&format!("{a}.row_id <> 0")),
            Rows::Row(row) => self.push(&format!("{a}.row_id = {row}")),
        }
        let column = format!("{a}.value");
        match need {
            Need::Pred(p) => {
                self.push(" AND ");
                self.pred(&column, p);
            }
            Need::NonEmpty => self.non_empty(table, &column),
        }
        self.push(")");
    }

    pub(crate) fn pred(&mut self, column: &str, p: &Pred) {
        if let Pred::IndexedLike {
            pattern,
            position,
            ids,
            file_content,
        } = p
        {
            self.indexed_like(column, pattern, *position, ids, *file_content);
            return;
        }
        if let Pred::Like(_) = p {
            // The pattern is folded (resolve.rs); the value is folded the same way in SQL.
            self.folded(column);
        } else {
            self.push(column);
        }
        match p {
            Pred::NumCmp(cmp, x) => {
                self.push(&format!(" {} ", cmp.sql()));
                self.b.bind_float(*x);
            }
            Pred::TextCmp(cmp, s) => {
                self.push(&format!(" {} ", cmp.sql()));
                self.b.bind_text(s);
            }
            Pred::NumIn(xs) => {
                self.push(" IN (");
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.b.bind_float(*x);
                }
                self.push(")");
            }
            Pred::TextIn(xs) => {
                self.push(" IN (");
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.b.bind_text(x);
                }
                self.push(")");
            }
            Pred::TextRange(lo, hi) => {
                self.push(" >= ");
                self.b.bind_text(lo);
                self.push(&format!(" AND {column} < "));
                self.b.bind_text(hi);
            }
            Pred::Like(pattern) => self.like(pattern),
            Pred::IndexedLike { .. } => {}
        }
    }

    /// `like` helped by the index, in its own parentheses: `((<the record is a candidate>) AND
    /// <folded column> LIKE <pattern>)`, the cheap membership test first so that the LIKE runs on
    /// candidates only; for FILE content `(<folded column> LIKE <pattern> OR <content match>)`.
    fn indexed_like(
        &mut self,
        column: &str,
        pattern: &str,
        position: i64,
        ids: &[i64],
        file_content: bool,
    ) {
        // `column` is `<alias>.value` of a pivot row of record `<alias>.record_id`.
        let alias = column.strip_suffix(".value").unwrap_or(column).to_owned();
        if file_content {
            self.push("(");
            self.folded(column);
            self.like(pattern);
            // Content matches per the index, besides the file-name test.
            self.push(" OR ");
            super::plan_like::push_id_in(self.b, &format!("{alias}.record_id"), ids);
            self.push(")");
            return;
        }
        self.push("((");
        // One array parameter, whatever the number of ids (SQLite allows 32,766 parameters).
        super::plan_like::push_id_in(self.b, &format!("{alias}.record_id"), ids);
        // Records changed after the index position, read in this transaction: the index may not
        // have them yet, so they keep the plain LIKE test.
        self.push(&format!(
            " OR {alias}.record_id IN (SELECT cl.record_id FROM change_log cl WHERE cl.app_id = {alias}.app_id AND cl.seq > "
        ));
        self.b.bind_int(position);
        self.push(&format!(
            ") OR EXISTS (SELECT 1 FROM change_log cw WHERE cw.app_id = {alias}.app_id AND cw.record_id = 0 AND cw.seq > "
        ));
        self.b.bind_int(position);
        self.push(")) AND ");
        self.folded(column);
        self.like(pattern);
        self.push(")");
    }

    /// `column` folded for `like` (width and case, `fold.rs`): the folded copy the pivot row keeps,
    /// else the value itself (its fold differs only in ASCII case, which LIKE / ILIKE ignore).
    fn folded(&mut self, column: &str) {
        let sql = super::fold::sql(column);
        self.push(&sql);
    }

    /// ` LIKE <pattern>`: SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE.
    fn like(&mut self, pattern: &str) {
        self.push(match self.b.dialect {
            Dialect::Sqlite => " LIKE ",
            Dialect::Postgres => " ILIKE ",
        });
        self.b.bind_text(pattern);
        self.push(" ESCAPE '!'");
    }

    /// Appends ` AND <value is set>`, or nothing where a pivot row exists only for set values.
    fn non_empty(&mut self, table: Table, column: &str) {
        match table {
            Table::Num => self.push(&format!(" AND {column} IS NOT NULL")),
            Table::Text => {}
            Table::Long => {
                let trim = match self.b.dialect {
                    Dialect::Sqlite => "trim",
                    Dialect::Postgres => "btrim",
                };
                self.push(&format!(" AND {trim}({column}, "));
                self.b.bind_text(BLANK_CHARS);
                self.push(") <> ''");
            }
        }
    }

    /// The value test of a field condition at `rows`: for positive conditions "pred holds or empty",
    /// for negative ones "pred holds nowhere and (if `empty`) set".
    fn field_test(
        &mut self,
        column: &Column,
        negative: bool,
        pred: Option<&Pred>,
        empty: bool,
        rows: Rows<'_>,
    ) {
        let mut parts = 0;
        let joiner = if negative { " AND " } else { " OR " };
        if let Some(p) = pred {
            if negative {
                self.push("NOT ");
            }
            self.probe(column.table, column.field_id, rows, Need::Pred(p));
            parts += 1;
        }
        if empty {
            if parts > 0 {
                self.push(joiner);
            }
            if !negative {
                self.push("NOT ");
            }
            self.probe(column.table, column.field_id, rows, Need::NonEmpty);
            parts += 1;
        }
        if parts == 0 {
            self.push(if negative { "1=1" } else { "1=0" });
        }
    }

    fn top_level(&mut self, r: &Resolved) {
        if let Resolved::Field {
            column,
            negative,
            pred,
            empty,
        } = r
        {
            self.field_test(column, *negative, pred.as_ref(), *empty, Rows::Record);
        }
    }

    /// Negative condition on a subtable field: rows exist, no row holds a forbidden value, and (with
    /// `empty`) no row is empty.
    fn subtable_negative(&mut self, table: &Subtable, r: &Resolved) {
        let Resolved::Field {
            column,
            pred,
            empty,
            ..
        } = r
        else {
            return;
        };
        self.rows_exist(table, |_, _| {});
        if let Some(p) = pred {
            self.push(" AND NOT ");
            self.probe(column.table, column.field_id, Rows::AnyRow, Need::Pred(p));
        }
        if *empty {
            self.push(" AND NOT ");
            self.rows_exist(table, |c, row| {
                c.push(" AND NOT ");
                c.probe(
                    column.table,
                    column.field_id,
                    Rows::Row(row),
                    Need::NonEmpty,
                );
            });
        }
    }

    /// Positive conditions on one subtable that must all hold on the same row.
    fn same_row(&mut self, table: &Subtable, members: &[&Resolved]) {
        // Drive from a member whose matching rows are pivot rows themselves (a plain predicate): its
        // own index probe enumerates the candidate rows and the others are checked on that row.
        let driver = members.iter().position(|m| {
            matches!(
                m,
                Resolved::Field {
                    pred: Some(_),
                    empty: false,
                    ..
                }
            )
        });
        if let Some(i) = driver {
            if let Some(Resolved::Field {
                column,
                pred: Some(p),
                ..
            }) = members.get(i)
            {
                let d = self.alias("d");
                self.push(&format!(
                    "EXISTS (SELECT 1 FROM {} {d} WHERE {d}.app_id = r.app_id AND {d}.field_id = {} AND {d}.record_id = r.id AND {d}.row_id <> 0 AND ",
                    column.table.name(),
                    column.field_id
                ));
                self.pred(&format!("{d}.value"), p);
                let row = format!("{d}.row_id");
                for (j, m) in members.iter().enumerate() {
                    if j != i {
                        self.push(" AND (");
                        self.row_test(m, &row);
                        self.push(")");
                    }
                }
                self.push(")");
                return;
            }
        }
        self.rows_exist(table, |c, row| {
            for m in members {
                c.push(" AND (");
                c.row_test(m, row);
                c.push(")");
            }
        });
    }

    fn row_test(&mut self, r: &Resolved, row: &str) {
        if let Resolved::Field {
            column,
            negative,
            pred,
            empty,
        } = r
        {
            self.field_test(column, *negative, pred.as_ref(), *empty, Rows::Row(row));
        }
    }

    /// `EXISTS` a row of the subtable for which `body` (given the row-id expression, appending
    /// ` AND ...` clauses) holds.
    fn rows_exist(&mut self, table: &Subtable, body: impl Fn(&mut Self, &str)) {
        let sources: Vec<(Table, &[FieldId])> = match table.num_fields.first() {
            // One NUMBER/CALC field lists every row exactly once.
            Some(n) => vec![(Table::Num, std::slice::from_ref(n))],
            None => vec![
                (Table::Text, &table.text_fields[..]),
                (Table::Long, &table.long_fields[..]),
            ]
            .into_iter()
            .filter(|(_, ids)| !ids.is_empty())
            .collect(),
        };
        if sources.is_empty() {
            self.push("1=0");
            return;
        }
        self.push("(");
        for (i, (source, ids)) in sources.into_iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            let d = self.alias("d");
            let list = ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            self.push(&format!(
                "EXISTS (SELECT 1 FROM {} {d} WHERE {d}.app_id = r.app_id AND {d}.field_id IN ({list}) AND {d}.record_id = r.id AND {d}.row_id <> 0",
                source.name()
            ));
            body(self, &format!("{d}.row_id"));
            self.push(")");
        }
        self.push(")");
    }

    /// Writes one sort key.
    pub fn sort_key(&mut self, target: &SortTarget, dir: SortDirection) {
        let dir_sql = match dir {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        match target {
            SortTarget::Id => self.push(&format!("r.id {dir_sql}")),
            SortTarget::Column { table, field_id } => {
                let s = self.alias("s");
                self.push(&format!(
                    "(SELECT MIN({s}.value) FROM {} {s} WHERE {s}.app_id = r.app_id AND {s}.field_id = {field_id} AND {s}.record_id = r.id AND {s}.row_id = 0)",
                    table.name()
                ));
                if *table == Table::Text && self.b.dialect == Dialect::Postgres {
                    // Byte order, as SQLite's default BINARY collation sorts.
                    self.push(" COLLATE \"C\"");
                }
                // Explicit on both sides: the backends' defaults for NULL placement differ.
                self.push(match dir {
                    SortDirection::Asc => " ASC NULLS FIRST",
                    SortDirection::Desc => " DESC NULLS LAST",
                });
            }
        }
    }
}
