//! The planner's plans against the plain compiled query on generated data (SQLite, or PostgreSQL
//! with `KUMIKI_TEST_DATABASE_URL`).
use super::*;
use crate::apps::AppDefinition;
use crate::db::Database;
use crate::fields::{ChoiceOption, FieldProperty, FieldType};
use diesel::sql_types::BigInt;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

#[derive(QueryableByName, Debug, PartialEq)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

const APP: i64 = 1;

fn definition() -> AppDefinition {
    let mut def = AppDefinition::new("plan");
    let mut choice = FieldProperty::new(FieldType::DropDown, "c", "c");
    choice.options = Some(
        ["A", "B", "C"]
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    (*k).to_owned(),
                    ChoiceOption {
                        label: (*k).to_owned(),
                        index: i.to_string(),
                    },
                )
            })
            .collect(),
    );
    for f in [
        FieldProperty::new(FieldType::Number, "n", "n"),
        FieldProperty::new(FieldType::Number, "m", "m"),
        FieldProperty::new(FieldType::Date, "d", "d"),
        FieldProperty::new(FieldType::SingleLineText, "t", "t"),
        // Every record has a value of these two (the walk need not look for records without).
        FieldProperty::new(FieldType::Number, "k", "k"),
        FieldProperty::new(FieldType::Date, "s", "s"),
        choice,
    ] {
        def.properties.insert(f.code.clone(), f);
    }
    def.assign_field_ids();
    def
}

/// 400 records with duplicate, empty (NULL row or no row) and missing values; `k` and `s` have a
/// value (with ties) in every record.
fn fill(conn: &mut DbConn, def: &AppDefinition) -> TestResult {
    let id_of = |code: &str| def.field_ids.get(code).copied().unwrap_or(-1);
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    for id in 1..=400_i64 {
        let mut b = conn.sql();
        b.push("INSERT INTO records (app_id, id, revision, creator, created_at, modifier, updated_at, data) VALUES (")
            .bind_int(APP)
            .push(", ")
            .bind_int(id)
            .push(", 1, 'u', 0, 'u', 0, '{}')");
        conn.execute(&b)?;
        for code in ["n", "m"] {
            let v = next(10);
            // 0: no row at all (field added later), 1: NULL row (empty), else a value with ties.
            if v == 0 {
                continue;
            }
            let mut b = conn.sql();
            b.push("INSERT INTO record_values_num (app_id, field_id, record_id, row_id, value) VALUES (")
                .bind_int(APP)
                .push(&format!(", {}, ", id_of(code)))
                .bind_int(id)
                .push(", 0, ");
            if v == 1 {
                b.push("NULL)");
            } else {
                b.bind_float(next(60) as f64).push(")");
            }
            conn.execute(&b)?;
        }
        for (code, value) in [
            ("d", format!("2024-01-{:02}", 1 + next(28))),
            (
                "t",
                ["b", "B", "a", "é", "Z", ""][next(6) as usize].to_owned(),
            ),
            ("c", ["A", "B", "C", ""][next(4) as usize].to_owned()),
        ] {
            if value.is_empty() || next(8) == 0 {
                continue;
            }
            let mut b = conn.sql();
            b.push("INSERT INTO record_values_text (app_id, field_id, record_id, row_id, value) VALUES (")
                .bind_int(APP)
                .push(&format!(", {}, ", id_of(code)))
                .bind_int(id)
                .push(", 0, ")
                .bind_text(&value)
                .push(")");
            conn.execute(&b)?;
        }
        let mut b = conn.sql();
        b.push(
            "INSERT INTO record_values_num (app_id, field_id, record_id, row_id, value) VALUES (",
        )
        .bind_int(APP)
        .push(&format!(", {}, ", id_of("k")))
        .bind_int(id)
        .push(", 0, ")
        .bind_float(((id * 7919) % 50) as f64)
        .push(")");
        conn.execute(&b)?;
        let mut b = conn.sql();
        b.push(
            "INSERT INTO record_values_text (app_id, field_id, record_id, row_id, value) VALUES (",
        )
        .bind_int(APP)
        .push(&format!(", {}, ", id_of("s")))
        .bind_int(id)
        .push(", 0, ")
        .bind_text(&format!("2024-02-{:02}", 1 + (id * 31) % 28))
        .push(")");
        conn.execute(&b)?;
    }
    Ok(())
}

/// A scratch database (SQLite, or PostgreSQL with `KUMIKI_TEST_DATABASE_URL`) holding app 1 with
/// `fill`'s records and the gap counters a deploy would compute (it lives as long as the guard).
fn filled_app() -> TestResult<(crate::db::scratch::Scratch, Database, AppDefinition)> {
    let (guard, db) = crate::db::scratch::database("plan")?;
    let mut conn = db.conn()?;
    conn.batch_execute(
        "INSERT INTO apps (id, creator, created_at, modifier, modified_at) VALUES (1, 'u', 0, 'u', 0)",
    )?;
    let def = definition();
    fill(&mut conn, &def)?;
    // `k` and `s`: none missing.
    crate::records::gaps::on_deploy(&mut conn, crate::apps::AppId(APP), None, &def)?;
    Ok((guard, db, def))
}

fn context(def: &AppDefinition) -> QueryContext<'_> {
    QueryContext {
        definition: def,
        login_user: "u",
        primary_organization: None,
        timezone: chrono_tz::Asia::Tokyo,
        now: chrono::Utc::now(),
        access: None,
        text_matcher: None,
    }
}

#[test]
fn every_plan_returns_the_rows_of_the_plain_query() -> TestResult {
    let (_dir, db, def) = filled_app()?;
    let mut conn = db.conn()?;
    let ctx = context(&def);
    let queries = [
        "n >= 10 and n < 40 order by d desc",
        "n >= 10 and c in (\"A\", \"B\") order by d asc",
        "c in (\"A\") order by n desc",
        "c in (\"A\") order by n asc",
        "d > \"2024-01-10\" and c not in (\"B\") order by t desc",
        "d <= \"2024-01-10\" and t in (\"B\", \"a\") order by t asc",
        "n = 5 or c in (\"C\") order by d desc",
        "order by d desc",
        "order by m asc",
        "n < 30 and d = \"\" order by n desc",
        "$id > 100 and c in (\"A\", \"B\") order by n desc",
        "m in (3, 4, 5, 6, 7) and n > 20",
        "c in (\"B\") and m >= 0 order by $id asc",
        "n >= 0 order by d desc, n asc",
        // Ascending and descending walks of fields without missing values, and range+in.
        "c in (\"A\") order by k asc",
        "c in (\"A\", \"C\") order by s asc",
        "n >= 10 order by s desc",
        "order by k asc",
        "order by s asc",
        "t in (\"B\", \"a\") order by k desc",
        "n >= 10 and n < 25 and c in (\"B\", \"C\") order by d desc",
        "n >= 10 and n < 25 and c in (\"B\", \"C\") order by s desc",
        "k >= 10 and k < 30 and c in (\"A\") order by s asc",
    ];
    let mut compared = 0;
    let mut without_gaps = 0;
    let mut sifted = 0;
    for text in queries {
        let q = super::super::prepare(text, &ctx)?;
        for (limit, offset) in [
            (500, 0),
            (7, 0),
            (10, 3),
            (25, 90),
            (20, 300),
            (5, 395),
            (3, 600),
        ] {
            let mut results = Vec::new();
            for plan in all_plans(&mut conn, APP, &q, &ctx)? {
                let ids: Vec<Id> =
                    load(&mut conn, APP, "r.id AS id", &q, &ctx, &plan, limit, offset)?;
                let n = count(&mut conn, APP, &q, &ctx, &plan)?;
                results.push((plan, ids, n));
            }
            let Some((_, plain, plain_count)) = results.first() else {
                continue;
            };
            for (plan, ids, n) in &results[1..] {
                assert_eq!(
                    ids, plain,
                    "{text} limit {limit} offset {offset} with {plan:?}"
                );
                assert_eq!(n, plain_count, "count of {text} with {plan:?}");
                compared += 1;
                if matches!(
                    plan,
                    Plan::Walk {
                        none_missing: true,
                        ..
                    }
                ) {
                    without_gaps += 1;
                }
                if matches!(plan, Plan::Sift { cap, .. } if *cap > 0) {
                    sifted += 1;
                }
            }
        }
    }
    assert!(compared > 100, "only {compared} comparisons");
    assert!(without_gaps >= 40, "only {without_gaps} walks without gaps");
    assert!(sifted >= 100, "only {sifted} sifted walks");
    Ok(())
}

/// The index-only count answers exactly the plain count where it answers at all: an AND of
/// indexed conditions, one or several, without record rules.
#[test]
fn counting_from_the_indexes_equals_the_plain_count() -> TestResult {
    let (_dir, db, def) = filled_app()?;
    let mut conn = db.conn()?;
    let ctx = context(&def);
    let answered = [
        "n >= 10 and n < 40",
        "n >= 10 and c in (\"A\", \"B\")",
        "c in (\"A\")",
        "n >= 10 and n < 40 and c in (\"A\", \"C\") and d > \"2024-01-10\"",
        "t in (\"B\", \"a\") and m >= 0 order by n desc",
        "m in (3, 4, 5, 6, 7) and n > 20",
    ];
    for text in answered {
        let q = super::super::prepare(text, &ctx)?;
        let plain = count(&mut conn, APP, &q, &ctx, &Plan::Plain)?;
        let from_indexes = count_from_indexes(&mut conn, APP, 401, &q, &ctx)?;
        assert_eq!(from_indexes, Some(plain), "{text}");
        assert!(plain > 0, "{text} matches something");
    }
    // Not answerable from the indexes alone: an OR, a negation, an empty test, no condition.
    for text in [
        "n = 5 or c in (\"C\")",
        "d > \"2024-01-10\" and c not in (\"B\")",
        "n < 30 and d = \"\"",
        "order by d desc",
    ] {
        let q = super::super::prepare(text, &ctx)?;
        assert_eq!(
            count_from_indexes(&mut conn, APP, 401, &q, &ctx)?,
            None,
            "{text}"
        );
    }
    Ok(())
}

#[test]
fn small_apps_run_plain_and_large_ones_choose_by_selectivity() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = Database::connect(
        &format!("sqlite://{}", dir.path().join("t.db").display()),
        1,
    )?;
    db.migrate()?;
    let mut conn = db.conn()?;
    let def = definition();
    fill(&mut conn, &def)?;
    let ctx = QueryContext {
        definition: &def,
        login_user: "u",
        primary_organization: None,
        timezone: chrono_tz::Asia::Tokyo,
        now: chrono::Utc::now(),
        access: None,
        text_matcher: None,
    };
    let q = super::super::prepare("n = 5 and c in (\"A\") order by d desc", &ctx)?;
    assert_eq!(
        choose(&mut conn, APP, 400, &q, &ctx, Some(100))?,
        Plan::Plain
    );
    // Pretend the app is large: `n = 5` matches a handful of the 1M records, so it drives.
    let plan = choose(&mut conn, APP, 1_000_000, &q, &ctx, Some(100))?;
    assert!(
        matches!(plan, Plan::Drive(Driver { field_id, .. }) if Some(&field_id) == def.field_ids.get("n"))
    );
    let unfiltered = super::super::prepare("order by d desc", &ctx)?;
    assert!(matches!(
        choose(&mut conn, APP, 1_000_000, &unfiltered, &ctx, Some(100))?,
        Plan::Walk { .. }
    ));
    // A page of 10 and a driver matching most of a 20,000-record app: reading the sort index beats
    // probing each candidate, descending, or ascending where no record lacks the value (`s`).
    crate::records::gaps::on_deploy(&mut conn, crate::apps::AppId(APP), None, &def)?;
    for (text, sifts) in [
        ("n >= 0 and c in (\"A\", \"B\") order by d desc", true),
        ("n >= 0 and c in (\"A\", \"B\") order by s asc", true),
        ("n >= 0 and c in (\"A\", \"B\") order by d asc", false),
    ] {
        let q = super::super::prepare(text, &ctx)?;
        let plan = choose(&mut conn, APP, 20_000, &q, &ctx, Some(10))?;
        assert_eq!(matches!(plan, Plan::Sift { .. }), sifts, "{text}: {plan:?}");
    }
    Ok(())
}

/// Text sorts in byte order on both databases (SQLite's BINARY; on PostgreSQL the column's "C"
/// collation, whatever the database's own): `t` holds "b", "B", "a", "é" and "Z".
#[test]
fn text_sorts_in_byte_order_on_both_databases() -> TestResult {
    let (_dir, db, def) = filled_app()?;
    let mut conn = db.conn()?;
    let ctx = context(&def);
    let mut ids_of = |text: &str| -> TestResult<Vec<Id>> {
        let q = super::super::prepare(text, &ctx)?;
        Ok(load(
            &mut conn,
            APP,
            "r.id AS id",
            &q,
            &ctx,
            &Plan::Plain,
            500,
            0,
        )?)
    };
    // "B" (0x42) < "Z" (0x5A) < "a" (0x61) < "b" < "é" (0xC3 0xA9); ties by record id.
    let mut expected = Vec::new();
    for value in ["B", "Z", "a", "b", "é"] {
        let ids = ids_of(&format!("t in (\"{value}\") order by $id asc"))?;
        assert!(!ids.is_empty(), "some record has {value}");
        expected.extend(ids);
    }
    let all = "t in (\"b\", \"B\", \"a\", \"é\", \"Z\")";
    assert_eq!(ids_of(&format!("{all} order by t asc"))?, expected);
    expected.reverse();
    assert_eq!(ids_of(&format!("{all} order by t desc"))?, expected);
    Ok(())
}

/// PostgreSQL: one text value index serves every statement that reads text by value (a driver's
/// equality or range, the walk of a sort), in the column's collation; no statement needs a second
/// index in another collation (migration `2026-12-18-000010_text_values_in_byte_order`).
#[test]
fn one_text_value_index_serves_drivers_and_walks_on_postgresql() -> TestResult {
    let (_dir, db, def) = filled_app()?;
    let mut conn = db.conn()?;
    if conn.dialect() != Dialect::Postgres {
        return Ok(());
    }
    let collation: Vec<TextRow> = conn.load(&{
        let mut b = conn.sql();
        b.push("SELECT collation_name AS text FROM information_schema.columns WHERE table_name = 'record_values_text' AND column_name = 'value'");
        b
    })?;
    assert_eq!(collation.first().map(|r| r.text.as_str()), Some("C"));
    // The table is tiny: make the planner show which index it can use at all.
    conn.batch_execute("SET enable_seqscan = off")?;
    let ctx = context(&def);
    let mut statements = Vec::new();
    for text in [
        "t in (\"a\", \"B\")",
        "d > \"2024-01-10\" and d <= \"2024-01-20\"",
        "s = \"2024-02-03\"",
    ] {
        let q = super::super::prepare(text, &ctx)?;
        let found = drivers(&q, &ctx)?;
        assert!(!found.is_empty(), "{text} has a driver");
        for d in &found {
            let mut b = conn.sql();
            driver_select(&mut b, APP, d, "d.record_id AS n");
            statements.push((text.to_owned(), b));
        }
    }
    for text in [
        "order by d desc",
        "order by s asc",
        "c in (\"A\") order by t asc",
    ] {
        let q = super::super::prepare(text, &ctx)?;
        let walk = all_plans(&mut conn, APP, &q, &ctx)?
            .into_iter()
            .find(|p| matches!(p, Plan::Walk { .. }))
            .ok_or_else(|| format!("{text}: no walk"))?;
        let first = parts(
            Dialect::Postgres,
            APP,
            "r.id AS id",
            &q,
            &ctx,
            &walk,
            &Candidates::Index,
        )?;
        let walk_part = first
            .into_iter()
            .find(|b| b.sql.contains("ORDER BY r.value"))
            .ok_or_else(|| format!("{text}: no walk statement"))?;
        statements.push((text.to_owned(), walk_part));
    }
    for (text, mut b) in statements {
        b.sql = format!("EXPLAIN {}", b.sql);
        let plan: Vec<ExplainRow> = conn.load(&b)?;
        let plan: Vec<String> = plan.into_iter().map(|r| r.line).collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains("record_values_text_by_value") && !plan.contains("Sort"),
            "{text}:\n{plan}"
        );
    }
    Ok(())
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

#[derive(QueryableByName)]
struct ExplainRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

/// A driven list or count runs with PostgreSQL's hash and merge joins off (`load_probing`): the
/// settings hold for that statement only, inside a caller's transaction and outside one.
#[test]
fn driven_statements_leave_the_join_settings_as_they_were() -> TestResult {
    let (_dir, db, def) = filled_app()?;
    let mut conn = db.conn()?;
    let ctx = context(&def);
    let q = super::super::prepare(
        "n >= 10 and n < 40 and c in (\"A\", \"B\") order by d desc",
        &ctx,
    )?;
    let plain = count(&mut conn, APP, &q, &ctx, &Plan::Plain)?;
    let drive = all_plans(&mut conn, APP, &q, &ctx)?
        .into_iter()
        .find(|p| matches!(p, Plan::Drive(_)))
        .ok_or("a driver")?;
    let joins_on = |conn: &mut DbConn| -> TestResult<bool> {
        if conn.dialect() == Dialect::Sqlite {
            return Ok(true);
        }
        let mut b = conn.sql();
        b.push("SELECT CAST(CASE WHEN current_setting('enable_hashjoin') = 'on' AND current_setting('enable_mergejoin') = 'on' THEN 1 ELSE 0 END AS BIGINT) AS n");
        let rows: Vec<IntRow> = conn.load(&b)?;
        Ok(rows.first().is_some_and(|r| r.n == 1))
    };
    assert_eq!(count(&mut conn, APP, &q, &ctx, &drive)?, plain);
    assert!(joins_on(&mut conn)?, "after a count outside a transaction");
    conn.read_transaction(|c| -> TestResult {
        assert_eq!(count(c, APP, &q, &ctx, &drive)?, plain);
        let rows: Vec<IntRow> = load(c, APP, "r.id AS n", &q, &ctx, &drive, 5, 3)?;
        assert_eq!(rows.len(), 5);
        assert!(
            joins_on(c)?,
            "inside the caller's transaction, after the statements"
        );
        Ok(())
    })?;
    assert!(joins_on(&mut conn)?, "after the transaction");
    Ok(())
}
