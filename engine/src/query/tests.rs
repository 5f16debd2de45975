//! Query tests across modules: checks against an app, SQL shape and binds, execution on SQLite, and
//! property tests that no input panics.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use proptest::prelude::*;

use super::testdb::{TestDb, TestResult};
use super::*;
use crate::apps::FieldId;
use crate::db::{Dialect, SqlValue};
use crate::error::QueryErrorCode;
use crate::fields::{ChoiceOption, FieldProperty, FieldType};

fn choice(t: FieldType, code: &str, keys: &[&str]) -> FieldProperty {
    let mut p = FieldProperty::new(t, code, code);
    let options = keys
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
        .collect();
    p.options = Some(options);
    p
}

fn table(code: &str, inner: Vec<FieldProperty>) -> FieldProperty {
    let mut p = FieldProperty::new(FieldType::Subtable, code, code);
    p.fields = Some(
        inner
            .into_iter()
            .map(|f| (f.code.clone(), f))
            .collect::<IndexMap<_, _>>(),
    );
    p
}

/// An app with one field of most types, two subtables and app code `MyApp`.
fn app() -> AppDefinition {
    let mut def = AppDefinition::new("test");
    def.code = "MyApp".to_owned();
    let mut fields = vec![
        FieldProperty::new(FieldType::SingleLineText, "Text", "Text"),
        FieldProperty::new(FieldType::Number, "Number", "Number"),
        FieldProperty::new(FieldType::MultiLineText, "Memo", "Memo"),
        FieldProperty::new(FieldType::RichText, "Rich", "Rich"),
        FieldProperty::new(FieldType::File, "Attachment", "Attachment"),
        choice(FieldType::DropDown, "Choice", &["A", "B", "x\"y"]),
        choice(FieldType::CheckBox, "Check", &["A", "B", "C"]),
        FieldProperty::new(FieldType::Date, "Date", "Date"),
        FieldProperty::new(FieldType::Time, "Time", "Time"),
        FieldProperty::new(FieldType::Datetime, "DT", "DT"),
        FieldProperty::new(FieldType::UserSelect, "User", "User"),
        FieldProperty::new(FieldType::OrganizationSelect, "Org", "Org"),
        FieldProperty::new(FieldType::GroupSelect, "Grp", "Grp"),
        table(
            "Table",
            vec![
                FieldProperty::new(FieldType::SingleLineText, "Item", "Item"),
                FieldProperty::new(FieldType::Number, "Qty", "Qty"),
                choice(FieldType::CheckBox, "Opt", &["A", "B"]),
            ],
        ),
        table(
            "Notes",
            vec![
                FieldProperty::new(FieldType::SingleLineText, "Note", "Note"),
                FieldProperty::new(FieldType::MultiLineText, "NoteMemo", "NoteMemo"),
            ],
        ),
    ];
    fields.push(FieldProperty::new(FieldType::Label, "Lbl", "Lbl"));
    for f in fields {
        def.properties.insert(f.code.clone(), f);
    }
    def.assign_field_ids();
    def
}

fn fid(def: &AppDefinition, code: &str) -> FieldId {
    def.field_ids.get(code).copied().unwrap_or(-1)
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn ctx(def: &AppDefinition) -> QueryContext<'_> {
    QueryContext {
        definition: def,
        login_user: "alice",
        primary_organization: Some("sales"),
        timezone: chrono_tz::Asia::Tokyo,
        now: instant("2024-03-10T12:00:00Z"),
        access: None,
        text_matcher: None,
    }
}

fn code_of<T: std::fmt::Debug>(r: Result<T, UserError>) -> Option<QueryErrorCode> {
    match r {
        Err(UserError::Query { code, .. }) => Some(code),
        _ => None,
    }
}

fn sql(dialect: Dialect, query: &str, ctx: &QueryContext<'_>) -> Result<SqlBuilder, UserError> {
    let q = prepare(query, ctx)?;
    let mut b = SqlBuilder::new(dialect);
    b.push("SELECT r.id FROM records r WHERE r.app_id = ")
        .bind_int(1);
    compile_condition(&q, ctx, &mut b)?;
    compile_order(&q, ctx, &mut b)?;
    Ok(b)
}

// ---- checks against the app ----

#[test]
fn semantic_errors_carry_kintone_codes() {
    let def = app();
    let c = ctx(&def);
    use QueryErrorCode::*;
    for (q, code) in [
        ("Unknown_Field = 1", UnknownField),
        ("Table.Item in (\"a\")", UnknownField),
        ("Status = \"Done\"", UnknownField),
        ("Assignee in (LOGINUSER())", UnknownField),
        ("order by Nope", UnknownField),
        ("Text < \"a\"", OperatorNotAllowed),
        ("Check = \"A\"", OperatorNotAllowed),
        ("Memo = \"a\"", OperatorNotAllowed),
        ("Rich is empty", OperatorNotAllowed),
        ("Date in (\"2024-01-01\")", OperatorNotAllowed),
        ("Table in (\"a\")", OperatorNotAllowed),
        ("Lbl = 1", OperatorNotAllowed),
        ("Text = LOGINUSER()", OperatorNotAllowed),
        ("Time = TODAY()", OperatorNotAllowed),
        ("Org in (LOGINUSER())", OperatorNotAllowed),
        ("Item = \"a\"", SubtableEquality),
        ("Qty != 1", SubtableEquality),
        ("Choice in (\"Z\")", OptionNotDefined),
        ("Check not in (\"A\", \"D\")", OptionNotDefined),
        ("Date = FROM_TODAY(1, HOURS)", FunctionArgument),
        ("Date = THIS_MONTH(0)", FunctionArgument),
        ("Date = TODAY(1)", FunctionArgument),
        ("User in (LOGINUSER(x))", FunctionArgument),
        ("Date = FOO()", FunctionArgument),
        ("order by Check", SortNotAllowed),
        ("order by Item asc", SortNotAllowed),
        ("order by Memo", SortNotAllowed),
        ("order by User", SortNotAllowed),
        ("limit 501", LimitTooLarge),
        ("offset 10001", OffsetTooLarge),
        ("limit -1", Syntax),
        ("Number > \"abc\"", Syntax),
        ("Number > \"\"", Syntax),
        ("$id = \"abc\"", Syntax),
        ("Record_number = \"Other-3\"", Syntax),
        ("Date = \"2024-02-30\"", Syntax),
        ("Time > \"25:00\"", Syntax),
        ("Text = \"a\nb\"", Syntax),
    ] {
        assert_eq!(code_of(prepare(q, &c)), Some(code), "{q}");
        // Compiling reports the same error and writes nothing.
        if let Ok(parsed) = parse(q) {
            let mut b = SqlBuilder::new(Dialect::Sqlite);
            let r = compile_condition(&parsed, &c, &mut b)
                .and_then(|()| compile_order(&parsed, &c, &mut b));
            assert!(r.is_err(), "{q}");
            assert!(
                b.sql.is_empty() || b.sql == " AND (" || !b.sql.contains("ORDER"),
                "{q}"
            );
        }
    }
}

#[test]
fn unknown_field_message_matches_kintone() {
    let def = app();
    let r = prepare("Unknown_Field = 1", &ctx(&def));
    assert_eq!(
        r,
        Err(UserError::query(
            QueryErrorCode::UnknownField,
            "Specified field (Unknown_Field) not found."
        ))
    );
}

#[test]
fn valid_queries_pass_checks() -> Result<(), UserError> {
    let mut def = app();
    def.process
        .insert("enable".into(), serde_json::Value::Bool(true));
    let c = ctx(&def);
    for q in [
        "",
        "limit 500",
        "Number>=20 and Text!=\"x\"",
        "$id = 3 or Record_number in (\"MyApp-4\", 5)",
        "Choice in (\"\", \"x\\\"y\") and Check not in (\"A\")",
        "User in (LOGINUSER(), \"bob\") and Org in (PRIMARY_ORGANIZATION()) and Created_by in (LOGINUSER())",
        "Created_datetime = THIS_MONTH() and Updated_datetime > LAST_WEEK(monday) and DT <= NOW()",
        "Date >= FROM_TODAY(-7, days) and Date != \"\" and Time < \"09:30\"",
        "Memo like \"a\" and Attachment is not empty and Rich not like \"b\"",
        "Item in (\"x\") and Qty > 3 and Opt in (\"A\") and Note in (\"\")",
        "Status in (\"Done\") and Assignee in (LOGINUSER())",
        "order by Number asc, Text desc, Record_number, Status limit 10 offset 20",
        "Date = \"\"",
    ] {
        prepare(q, &c).map_err(|e| UserError::query(QueryErrorCode::Syntax, format!("{q}: {e}")))?;
    }
    Ok(())
}

#[test]
fn paging_defaults() -> Result<(), UserError> {
    assert_eq!(
        paging(&parse("")?),
        Paging {
            limit: 100,
            offset: 0,
            limit_given: false,
            offset_given: false
        }
    );
    assert_eq!(
        paging(&parse("order by $id limit 5 offset 7")?),
        Paging {
            limit: 5,
            offset: 7,
            limit_given: true,
            offset_given: true
        }
    );
    Ok(())
}

// ---- SQL shape ----

#[test]
fn values_are_bound_never_spliced() -> Result<(), UserError> {
    let def = app();
    let c = ctx(&def);
    let evil =
        r#"Text = "x'); DROP TABLE records; --" and Memo like "50%_off!" and Number in (1.5, -2)"#;
    let b = sql(Dialect::Sqlite, evil, &c)?;
    assert!(
        !b.sql.contains("DROP") && !b.sql.contains("50") && !b.sql.contains("1.5"),
        "{}",
        b.sql
    );
    assert_eq!(b.binds.first(), Some(&SqlValue::Int(1)));
    assert!(b
        .binds
        .contains(&SqlValue::Text("x'); DROP TABLE records; --".into())));
    assert!(b.binds.contains(&SqlValue::Text("%50!%!_off!!%".into())));
    assert!(b.binds.contains(&SqlValue::Float(1.5)) && b.binds.contains(&SqlValue::Float(-2.0)));
    assert!(b.sql.contains("LIKE ?") && b.sql.contains("ESCAPE '!'"));
    let placeholders = (1..=b.binds.len()).all(|n| b.sql.contains(&format!("?{n}")));
    assert!(placeholders, "{}", b.sql);

    let p = sql(Dialect::Postgres, evil, &c)?;
    assert!(
        p.sql.contains("ILIKE $") && !p.sql.contains('?'),
        "{}",
        p.sql
    );
    assert_eq!(p.binds, b.binds);
    Ok(())
}

#[test]
fn sql_shapes() -> Result<(), UserError> {
    let def = app();
    let c = ctx(&def);
    let number = fid(&def, "Number");

    let b = sql(Dialect::Sqlite, "", &c)?;
    assert_eq!(
        b.sql,
        "SELECT r.id FROM records r WHERE r.app_id = ?1 ORDER BY r.id DESC"
    );

    let b = sql(Dialect::Sqlite, "$id > 5 order by $id asc", &c)?;
    assert_eq!(
        b.sql,
        "SELECT r.id FROM records r WHERE r.app_id = ?1 AND (r.id > ?2) ORDER BY r.id ASC"
    );
    assert_eq!(b.binds, vec![SqlValue::Int(1), SqlValue::Int(5)]);

    let b = sql(Dialect::Sqlite, "Number != 3", &c)?;
    assert!(b.sql.contains(&format!(
        "AND (NOT EXISTS (SELECT 1 FROM record_values_num v1 WHERE v1.app_id = r.app_id AND v1.field_id = {number} AND v1.record_id = r.id AND v1.row_id = 0 AND v1.value = ?2))"
    )), "{}", b.sql);

    // Record numbers with the app's code are accepted.
    let b = sql(Dialect::Sqlite, "Record_number in (\"MyApp-12\", 13)", &c)?;
    assert!(b.sql.contains("r.id IN (?2, ?3)"));
    assert_eq!(&b.binds[1..], &[SqlValue::Int(12), SqlValue::Int(13)]);

    let p = sql(Dialect::Postgres, "order by Text asc, Number desc", &c)?;
    assert!(p.sql.contains("COLLATE \"C\" ASC NULLS FIRST"), "{}", p.sql);
    assert!(
        p.sql.contains("row_id = 0) DESC NULLS LAST, r.id DESC"),
        "{}",
        p.sql
    );
    Ok(())
}

#[test]
fn date_functions_bind_utc_bounds_for_the_callers_zone() -> Result<(), UserError> {
    let def = app();
    let base = ctx(&def);
    // Same instant, two users: UTC+13 is already on the 11th, UTC-10 still on the 10th.
    let plus13 = QueryContext {
        timezone: chrono_tz::Etc::GMTMinus13,
        ..base
    };
    let minus10 = QueryContext {
        timezone: chrono_tz::Pacific::Honolulu,
        ..base
    };
    let texts = |b: &SqlBuilder| -> Vec<SqlValue> { b.binds[1..].to_vec() };
    let t = |s: &str| SqlValue::Text(s.to_owned());
    assert_eq!(
        texts(&sql(Dialect::Sqlite, "DT = TODAY()", &plus13)?),
        vec![t("2024-03-10T11:00:00Z"), t("2024-03-11T11:00:00Z")]
    );
    assert_eq!(
        texts(&sql(Dialect::Sqlite, "DT = TODAY()", &minus10)?),
        vec![t("2024-03-10T10:00:00Z"), t("2024-03-11T10:00:00Z")]
    );
    assert_eq!(
        texts(&sql(Dialect::Sqlite, "Date = TODAY()", &plus13)?),
        vec![t("2024-03-11")]
    );
    assert_eq!(
        texts(&sql(Dialect::Sqlite, "Date = TODAY()", &minus10)?),
        vec![t("2024-03-10")]
    );
    // `<` a range compares with its start, `>` with its end.
    assert_eq!(
        texts(&sql(Dialect::Sqlite, "Date < THIS_MONTH()", &base)?),
        vec![t("2024-03-01")]
    );
    assert_eq!(
        texts(&sql(Dialect::Sqlite, "Date > THIS_MONTH()", &base)?),
        vec![t("2024-04-01")]
    );
    // Offsets are normalized to UTC minutes.
    assert_eq!(
        texts(&sql(
            Dialect::Sqlite,
            "DT = \"2024-01-05T10:30:00+09:00\"",
            &base
        )?),
        vec![t("2024-01-05T01:30:00Z"), t("2024-01-05T01:31:00Z")]
    );
    Ok(())
}

// ---- execution on SQLite ----

#[test]
fn negative_operators_match_unset_top_level_values() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let (text, number, choice) = (fid(&def, "Text"), fid(&def, "Number"), fid(&def, "Choice"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3])?;
    db.text(text, 1, 0, "x")?;
    db.text(text, 2, 0, "y")?;
    db.num(number, 1, 0, Some(10.0))?;
    db.num(number, 2, 0, None)?;
    db.num(number, 3, 0, Some(20.0))?;
    db.text(choice, 1, 0, "A")?;
    db.text(choice, 2, 0, "B")?;
    let q = |db: &mut TestDb, s: &str| db.ids(&format!("{s} order by $id asc"), &c);
    assert_eq!(q(&mut db, "Text != \"x\"")?, vec![2, 3]);
    assert_eq!(q(&mut db, "Text = \"x\"")?, vec![1]);
    assert_eq!(q(&mut db, "Text in (\"\")")?, vec![3]);
    assert_eq!(q(&mut db, "Text = \"\"")?, vec![3]);
    assert_eq!(q(&mut db, "Text != \"\"")?, vec![1, 2]);
    assert_eq!(q(&mut db, "Choice not in (\"A\")")?, vec![2, 3]);
    assert_eq!(q(&mut db, "Choice in (\"A\", \"\")")?, vec![1, 3]);
    assert_eq!(q(&mut db, "Choice not in (\"A\", \"\")")?, vec![2]);
    assert_eq!(q(&mut db, "Number != 10")?, vec![2, 3]);
    assert_eq!(q(&mut db, "Number < 15")?, vec![1]);
    assert_eq!(q(&mut db, "Number in (\"\")")?, vec![2]);
    assert_eq!(q(&mut db, "Number not in (\"\", 20)")?, vec![1]);
    assert_eq!(
        q(
            &mut db,
            "Number>=10 and (Text = \"y\" or Choice in (\"A\"))"
        )?,
        vec![1]
    );
    assert_eq!(
        q(&mut db, "$id != 2 and Record_number <= \"MyApp-3\"")?,
        vec![1, 3]
    );
    Ok(())
}

#[test]
fn subtable_conditions_use_the_same_row() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let (item, qty, opt) = (fid(&def, "Item"), fid(&def, "Qty"), fid(&def, "Opt"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3, 4])?;
    // 1: rows (apple, 5) and (pear, 1)   2: one row (apple, 1)   3: no rows   4: row (apple, empty qty)
    for (record, row, name, n) in [
        (1, 11, "apple", Some(5.0)),
        (1, 12, "pear", Some(1.0)),
        (2, 21, "apple", Some(1.0)),
    ] {
        db.text(item, record, row, name)?;
        db.num(qty, record, row, n)?;
    }
    db.text(item, 4, 41, "apple")?;
    db.num(qty, 4, 41, None)?;
    db.text(opt, 1, 11, "A")?;
    db.text(opt, 1, 12, "B")?;
    let q = |db: &mut TestDb, s: &str| db.ids(&format!("{s} order by $id asc"), &c);
    assert_eq!(q(&mut db, "Item in (\"apple\")")?, vec![1, 2, 4]);
    // Same row: only record 1 has apple with qty > 2; record 2's apple has qty 1.
    assert_eq!(q(&mut db, "Item in (\"apple\") and Qty > 2")?, vec![1]);
    assert_eq!(q(&mut db, "Qty > 2 and Item in (\"apple\")")?, vec![1]);
    // pear's row has qty 1, apple's row has qty 5: no single row has pear and qty > 2.
    assert_eq!(
        q(&mut db, "Item in (\"pear\") and Qty > 2")?,
        Vec::<i64>::new()
    );
    // Different branches of an `or` are independent.
    assert_eq!(q(&mut db, "Item in (\"pear\") or Qty > 2")?, vec![1]);
    assert_eq!(
        q(&mut db, "Item in (\"apple\") and Opt in (\"B\")")?,
        Vec::<i64>::new()
    );
    assert_eq!(
        q(&mut db, "Item in (\"apple\") and Opt in (\"A\")")?,
        vec![1]
    );
    // Empty on the same row: record 4's apple row has no qty.
    assert_eq!(
        q(&mut db, "Item in (\"apple\") and Qty in (\"\")")?,
        vec![4]
    );
    assert_eq!(q(&mut db, "Opt in (\"\") and Qty in (1)")?, vec![2]);
    // Negative: rows must exist and all satisfy; record 3 (no rows) never matches.
    assert_eq!(q(&mut db, "Item not in (\"pear\")")?, vec![2, 4]);
    assert_eq!(q(&mut db, "Qty not in (5)")?, vec![2, 4]);
    assert_eq!(q(&mut db, "Qty not in (\"\")")?, vec![1, 2]);
    assert_eq!(q(&mut db, "Opt not in (\"B\")")?, vec![2, 4]);
    assert_eq!(q(&mut db, "Item not like \"APP\"")?, Vec::<i64>::new());
    assert_eq!(q(&mut db, "Item not like \"PEA\"")?, vec![2, 4]);
    assert_eq!(q(&mut db, "Item like \"PEA\"")?, vec![1]);
    Ok(())
}

#[test]
fn subtable_without_number_fields_finds_rows_from_text() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let (note, memo) = (fid(&def, "Note"), fid(&def, "NoteMemo"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3])?;
    db.text(note, 1, 11, "n1")?;
    db.long(memo, 1, 12, "only memo")?;
    db.text(note, 2, 21, "n2")?;
    db.long(memo, 2, 21, "both")?;
    let q = |db: &mut TestDb, s: &str| db.ids(&format!("{s} order by $id asc"), &c);
    assert_eq!(q(&mut db, "Note in (\"\")")?, vec![1]);
    assert_eq!(q(&mut db, "NoteMemo is empty")?, vec![1]);
    assert_eq!(q(&mut db, "NoteMemo is not empty")?, vec![2]);
    assert_eq!(q(&mut db, "Note not in (\"n1\")")?, vec![2]);
    assert_eq!(
        q(&mut db, "Note in (\"n2\") and NoteMemo like \"bo\"")?,
        vec![2]
    );
    Ok(())
}

#[test]
fn like_and_emptiness_on_long_text() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let (memo, file) = (fid(&def, "Memo"), fid(&def, "Attachment"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3, 4])?;
    db.long(memo, 1, 0, "Hello World")?;
    db.long(memo, 2, 0, "100% sure_thing")?;
    db.long(memo, 3, 0, " \n\t\u{3000}")?;
    db.long(file, 1, 0, "report.pdf\nphoto.png")?;
    let q = |db: &mut TestDb, s: &str| db.ids(&format!("{s} order by $id asc"), &c);
    assert_eq!(q(&mut db, "Memo like \"world\"")?, vec![1]);
    assert_eq!(q(&mut db, "Memo like \"0%\"")?, vec![2]);
    assert_eq!(q(&mut db, "Memo like \"0_\"")?, Vec::<i64>::new());
    assert_eq!(q(&mut db, "Memo like \"e_t\"")?, vec![2]);
    assert_eq!(q(&mut db, "Memo not like \"world\"")?, vec![2, 3, 4]);
    assert_eq!(q(&mut db, "Memo is empty")?, vec![3, 4]);
    assert_eq!(q(&mut db, "Memo is not empty")?, vec![1, 2]);
    assert_eq!(q(&mut db, "Attachment like \"PHOTO\"")?, vec![1]);
    Ok(())
}

#[test]
fn like_ignores_width() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let memo = fid(&def, "Memo");
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3])?;
    db.long(memo, 1, 0, "テレワークの申請")?;
    db.long(memo, 2, 0, "ﾃﾞｰﾀ ＤＸ ０１２")?;
    db.long(memo, 3, 0, "dx推進 100%")?;
    let q = |db: &mut TestDb, s: &str| db.ids(&format!("{s} order by $id asc"), &c);
    assert_eq!(q(&mut db, "Memo like \"ﾃﾚﾜｰｸ\"")?, vec![1]);
    assert_eq!(q(&mut db, "Memo like \"データ\"")?, vec![2]);
    assert_eq!(q(&mut db, "Memo like \"ｄｘ\"")?, vec![2, 3]);
    assert_eq!(q(&mut db, "Memo like \"012\"")?, vec![2]);
    assert_eq!(q(&mut db, "Memo like \"１００％\"")?, vec![3]);
    assert_eq!(q(&mut db, "Memo not like \"ＤＸ\"")?, vec![1]);
    Ok(())
}

#[test]
fn dates_and_datetimes_execute_in_the_callers_zone() -> TestResult {
    let def = app();
    let base = ctx(&def);
    let (dt, date) = (fid(&def, "DT"), fid(&def, "Date"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3, 4])?;
    db.text(dt, 1, 0, "2024-03-10T10:30:00Z")?; // Honolulu: 10th 00:30; UTC+13: 10th 23:30
    db.text(dt, 2, 0, "2024-03-10T11:30:00Z")?; // Honolulu: 10th 01:30; UTC+13: 11th 00:30
    db.text(dt, 3, 0, "2024-03-09T20:00:00Z")?; // Honolulu: 9th;        UTC+13: 10th
    db.text(date, 1, 0, "2024-03-10")?;
    db.text(date, 2, 0, "2024-03-11")?;
    db.text(date, 3, 0, "2024-02-29")?;
    let plus13 = QueryContext {
        timezone: chrono_tz::Etc::GMTMinus13,
        ..base
    };
    let minus10 = QueryContext {
        timezone: chrono_tz::Pacific::Honolulu,
        ..base
    };
    let q = |db: &mut TestDb, s: &str, c: &QueryContext<'_>| {
        db.ids(&format!("{s} order by $id asc"), c)
    };
    assert_eq!(q(&mut db, "DT = TODAY()", &plus13)?, vec![2]);
    assert_eq!(q(&mut db, "DT = TODAY()", &minus10)?, vec![1, 2]);
    assert_eq!(q(&mut db, "DT = YESTERDAY()", &plus13)?, vec![1, 3]);
    assert_eq!(q(&mut db, "DT != TODAY()", &plus13)?, vec![1, 3, 4]);
    assert_eq!(q(&mut db, "DT < TODAY()", &plus13)?, vec![1, 3]);
    assert_eq!(
        q(&mut db, "DT >= \"2024-03-10T11:30:00Z\"", &plus13)?,
        vec![2]
    );
    assert_eq!(
        q(&mut db, "DT = \"2024-03-10T20:30:00+09:00\"", &plus13)?,
        vec![2]
    );
    assert_eq!(q(&mut db, "DT = \"\"", &plus13)?, vec![4]);
    assert_eq!(q(&mut db, "Date = TODAY()", &plus13)?, vec![2]);
    assert_eq!(q(&mut db, "Date = TODAY()", &minus10)?, vec![1]);
    assert_eq!(q(&mut db, "Date = THIS_MONTH()", &minus10)?, vec![1, 2]);
    assert_eq!(q(&mut db, "Date <= LAST_MONTH()", &minus10)?, vec![3]);
    assert_eq!(q(&mut db, "Date > \"2024-03-10\"", &minus10)?, vec![2]);
    Ok(())
}

#[test]
fn ordering_puts_nulls_consistently_and_breaks_ties_by_id() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let (number, text) = (fid(&def, "Number"), fid(&def, "Text"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3, 4, 5])?;
    db.num(number, 1, 0, Some(2.0))?;
    db.num(number, 2, 0, None)?;
    db.num(number, 3, 0, Some(-1.0))?;
    db.num(number, 4, 0, Some(2.0))?;
    db.text(text, 1, 0, "b")?;
    db.text(text, 3, 0, "a")?;
    db.text(text, 4, 0, "B")?;
    // NULL and missing values come first ascending, last descending; ties fall back to r.id.
    assert_eq!(db.ids("order by Number asc", &c)?, vec![2, 5, 3, 1, 4]);
    assert_eq!(db.ids("order by Number desc", &c)?, vec![4, 1, 3, 5, 2]);
    // Byte order: "B" < "a" < "b".
    assert_eq!(db.ids("order by Text asc", &c)?, vec![2, 5, 4, 3, 1]);
    assert_eq!(db.ids("order by Text", &c)?, vec![1, 3, 4, 5, 2]);
    assert_eq!(
        db.ids("order by Number asc, $id desc", &c)?,
        vec![5, 2, 3, 4, 1]
    );
    assert_eq!(db.ids("", &c)?, vec![5, 4, 3, 2, 1]);
    assert_eq!(db.ids("order by $id asc limit 2 offset 1", &c)?, vec![2, 3]);
    assert_eq!(
        db.ids("Number > 0 order by Record_number asc", &c)?,
        vec![1, 4]
    );
    Ok(())
}

#[test]
fn entities_and_functions_execute() -> TestResult {
    let def = app();
    let c = ctx(&def);
    let no_org = QueryContext {
        primary_organization: None,
        ..c
    };
    let (user, org) = (fid(&def, "User"), fid(&def, "Org"));
    let mut db = TestDb::new()?;
    db.records(&[1, 2, 3])?;
    db.text(user, 1, 0, "alice")?;
    db.text(user, 1, 0, "bob")?;
    db.text(user, 2, 0, "bob")?;
    db.text(org, 1, 0, "sales")?;
    let q = |db: &mut TestDb, s: &str, c: &QueryContext<'_>| {
        db.ids(&format!("{s} order by $id asc"), c)
    };
    assert_eq!(q(&mut db, "User in (LOGINUSER())", &c)?, vec![1]);
    assert_eq!(q(&mut db, "User not in (LOGINUSER())", &c)?, vec![2, 3]);
    assert_eq!(q(&mut db, "User in (\"bob\")", &c)?, vec![1, 2]);
    assert_eq!(q(&mut db, "Org in (PRIMARY_ORGANIZATION())", &c)?, vec![1]);
    assert_eq!(
        q(&mut db, "Org in (PRIMARY_ORGANIZATION())", &no_org)?,
        Vec::<i64>::new()
    );
    assert_eq!(
        q(&mut db, "Org not in (PRIMARY_ORGANIZATION())", &no_org)?,
        vec![1, 2, 3]
    );
    assert_eq!(
        q(&mut db, "Org in (PRIMARY_ORGANIZATION(), \"\")", &no_org)?,
        vec![2, 3]
    );
    Ok(())
}

// ---- never panics ----

const SOUP: &[&str] = &[
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "and",
    "or",
    "AND",
    "in",
    "not",
    "like",
    "is",
    "empty",
    "order",
    "by",
    "asc",
    "desc",
    "limit",
    "offset",
    "\"A\"",
    "\"\"",
    "\"x\\\"y\"",
    "1",
    "-3",
    "1.5e3",
    "99999999999999999999",
    "$id",
    "Record_number",
    "Text",
    "Number",
    "Memo",
    "Rich",
    "Attachment",
    "Choice",
    "Check",
    "Date",
    "Time",
    "DT",
    "User",
    "Org",
    "Grp",
    "Item",
    "Qty",
    "Opt",
    "Note",
    "NoteMemo",
    "Table",
    "Lbl",
    "Status",
    "Created_datetime",
    "Unknown",
    "TODAY()",
    "NOW()",
    "LOGINUSER()",
    "PRIMARY_ORGANIZATION()",
    "FROM_TODAY(",
    "THIS_MONTH(LAST)",
    "THIS_WEEK(",
    "DAYS",
    "LAST",
    "MONDAY",
    "\u{3000}",
    "\n",
    "\"2024-01-01\"",
    "\"2024-01-01T00:00:00Z\"",
    "\"10:00\"",
    "\"MyApp-1\"",
];

fn exercise(query: &str) {
    let def = app();
    let c = ctx(&def);
    // Ok or Err are both fine; the point is that nothing panics.
    if let Ok(q) = parse(query) {
        let _ = prepare(query, &c);
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let mut b = SqlBuilder::new(dialect);
            let _ = compile_condition(&q, &c, &mut b);
            let _ = compile_order(&q, &c, &mut b);
        }
        let _ = paging(&q);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,80}") {
        exercise(&s);
    }

    #[test]
    fn random_ascii_never_panics(s in "[ -~\t\n\r]{0,120}") {
        exercise(&s);
    }

    #[test]
    fn token_soup_never_panics(
        tokens in prop::collection::vec(prop::sample::select(SOUP), 0..40),
        glue in prop::sample::select(&[" ", "", "\t"][..]),
    ) {
        exercise(&tokens.join(glue));
    }
}

#[test]
fn well_formed_random_conditions_compile_and_run() -> TestResult {
    // A deterministic sweep of valid shapes, executed on SQLite to catch SQL the database rejects.
    let def = app();
    let c = ctx(&def);
    let mut db = TestDb::new()?;
    db.records(&[1])?;
    let atoms = [
        "Text in (\"a\", \"\")",
        "Number not in (\"\", 1)",
        "Memo is not empty",
        "Check not in (\"\")",
        "Item in (\"\") and Opt in (\"\")",
        "Qty in (\"\")",
        "Note not in (\"\", \"x\")",
        "NoteMemo not like \"x\"",
        "Date != THIS_WEEK(SUNDAY)",
        "Created_datetime > NOW()",
        "Org not in (PRIMARY_ORGANIZATION(), \"\")",
    ];
    for a in atoms {
        for b in atoms {
            for shape in [
                "{a} and {b}",
                "({a}) or ({b})",
                "(({a} and {b}) or {a}) order by Number asc, Text desc",
            ] {
                let q = shape.replace("{a}", a).replace("{b}", b);
                db.ids(&q, &c).map_err(|e| format!("{q}: {e}"))?;
            }
        }
    }
    Ok(())
}
