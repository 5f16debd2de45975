//! Record rights in SQL: every rule becomes a `WHEN <condition> THEN <grant>` of one `CASE`, so that
//! lists, counts, cursors and single-record checks all use the same expression. The expression only
//! refers to `r.app_id` and `r.id` (the planner's candidate sets stand in for `records r`).

use std::collections::HashMap;

use diesel::sql_types::BigInt;
use diesel::QueryableByName;

use super::eval::{Access, RecordRights, Who};
use crate::apps::LiveApp;
use crate::db::{DbConn, SqlBuilder};
use crate::error::EngineResult;
use crate::query::{self, QueryContext};

/// Which record right an expression computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    View,
    Edit,
    Delete,
}

fn pick(r: RecordRights, which: Which) -> bool {
    match which {
        Which::View => r.view,
        Which::Edit => r.edit,
        Which::Delete => r.delete,
    }
}

fn push_creator(b: &mut SqlBuilder, user: &str) {
    b.push("EXISTS (SELECT 1 FROM records rc WHERE rc.app_id = r.app_id AND rc.id = r.id AND rc.creator = ")
        .bind_text(user)
        .push(")");
}

/// Appends an integer expression: 1 when the caller has the right on record `r`, else 0. `ctx` is
/// the caller's query context (its `access` is ignored: rule conditions see every field). An access
/// limited by another principal's (`Access::limited_by`) needs both: the product of the two.
pub fn push_right(access: &Access, which: Which, ctx: &QueryContext<'_>, b: &mut SqlBuilder) {
    let Some(limit) = access.limit.as_ref().filter(|l| l.has_record_rules()) else {
        push_own_right(access, which, ctx, b);
        return;
    };
    // The limiting principal's rule conditions see their own LOGINUSER() and department.
    let theirs = QueryContext {
        login_user: &limit.user,
        primary_organization: limit.principal.primary_department(),
        ..ctx.without_access()
    };
    b.push("(");
    push_own_right(access, which, ctx, b);
    b.push(" * ");
    push_right(limit, which, &theirs, b);
    b.push(")");
}

fn push_own_right(access: &Access, which: Which, ctx: &QueryContext<'_>, b: &mut SqlBuilder) {
    let app_right = match which {
        Which::View => access.rights.view,
        Which::Edit => access.rights.edit,
        Which::Delete => access.rights.delete,
    };
    if !app_right {
        b.push("0");
        return;
    }
    if access.rules.is_empty() {
        b.push("1");
        return;
    }
    let plain = ctx.without_access();
    b.push("(CASE");
    for rule in &access.rules {
        b.push(" WHEN ");
        let mut ok = !rule.broken;
        match &rule.condition {
            Some(q) if ok => {
                let mut cond = SqlBuilder::new(b.dialect);
                cond.binds = b.binds.clone();
                if query::compile_bare_condition(q, &plain, &mut cond).is_ok() {
                    b.push(&cond.sql);
                    b.binds = cond.binds;
                } else {
                    // A condition that no longer fits the form matches every record and grants
                    // nothing: fail closed.
                    ok = false;
                    b.push("1=1");
                }
            }
            _ => {
                b.push("1=1");
            }
        }
        b.push(" THEN ");
        if !ok {
            b.push("0");
            continue;
        }
        match rule.grant {
            Who::Fixed(g) => {
                b.push(if pick(g, which) { "1" } else { "0" });
            }
            Who::Creator { creator, other } => {
                let (c, o) = (pick(creator, which), pick(other, which));
                if c == o {
                    b.push(if c { "1" } else { "0" });
                } else {
                    b.push("(CASE WHEN ");
                    push_creator(b, &access.user);
                    b.push(if c {
                        " THEN 1 ELSE 0 END)"
                    } else {
                        " THEN 0 ELSE 1 END)"
                    });
                }
            }
        }
    }
    b.push(" ELSE 1 END)");
}

/// Appends ` AND <view> = 1` when some records may be hidden from the caller; nothing otherwise.
pub(crate) fn push_view_filter(access: &Access, ctx: &QueryContext<'_>, b: &mut SqlBuilder) {
    if access.rights.view && !access.has_record_rules() {
        return;
    }
    b.push(" AND ");
    push_right(access, Which::View, ctx, b);
    b.push(" = 1");
}

#[derive(QueryableByName)]
struct RightsRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    v: i64,
    #[diesel(sql_type = BigInt)]
    e: i64,
    #[diesel(sql_type = BigInt)]
    d: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
}

/// Record rights (and whether the caller created it) of each existing record among `ids`; ids of
/// missing records are absent from the map.
pub fn records_rights(
    conn: &mut DbConn,
    app: &LiveApp,
    access: &Access,
    ids: &[i64],
) -> EngineResult<HashMap<i64, (RecordRights, bool)>> {
    let ctx = crate::acting::condition_context(&app.definition, access);
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut b = conn.sql();
        b.push("SELECT r.id AS id, CAST(");
        push_right(access, Which::View, &ctx, &mut b);
        b.push(" AS BIGINT) AS v, CAST(");
        push_right(access, Which::Edit, &ctx, &mut b);
        b.push(" AS BIGINT) AS e, CAST(");
        push_right(access, Which::Delete, &ctx, &mut b);
        b.push(" AS BIGINT) AS d, CAST(CASE WHEN r.creator = ")
            .bind_text(&access.user)
            .push(" THEN 1 ELSE 0 END AS BIGINT) AS c FROM records r WHERE r.app_id = ")
            .bind_int(app.row.id)
            .push(" AND r.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_int(*id);
        }
        b.push(")");
        let rows: Vec<RightsRow> = conn.load(&b)?;
        for r in rows {
            out.insert(
                r.id,
                (
                    RecordRights {
                        view: r.v == 1,
                        edit: r.e == 1,
                        delete: r.d == 1,
                    },
                    r.c == 1,
                ),
            );
        }
    }
    Ok(out)
}
