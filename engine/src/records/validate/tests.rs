use chrono::TimeZone;
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::fields::ChoiceOption;

type TestResult = Result<(), String>;

/// Users alice/bob, organization `dev`, group `admins`, uploaded file `up1`, stored file `kept1`.
struct FakeResolver {
    next_row: i64,
}

impl Resolver for FakeResolver {
    fn user_name(&mut self, code: &str) -> Option<String> {
        match code {
            "alice" => Some("Alice".to_owned()),
            "bob" => Some("Bob".to_owned()),
            _ => None,
        }
    }

    fn entity_name(&mut self, kind: FieldType, code: &str) -> Option<String> {
        match (kind, code) {
            (FieldType::OrganizationSelect, "dev") => Some("Development".to_owned()),
            (FieldType::GroupSelect, "admins") => Some("Administrators".to_owned()),
            _ => None,
        }
    }

    fn file(&mut self, file_key: &str) -> Option<Value> {
        matches!(file_key, "up1" | "kept1").then(|| {
            json!({"contentType": "text/plain", "fileKey": file_key, "name": "a.txt", "size": "3"})
        })
    }

    fn next_row_id(&mut self) -> i64 {
        self.next_row += 1;
        self.next_row
    }
}

fn resolver() -> FakeResolver {
    FakeResolver { next_row: 100 }
}

fn field(t: FieldType, code: &str) -> FieldProperty {
    FieldProperty::new(t, code, code)
}

fn options(keys: &[&str]) -> Option<IndexMap<String, ChoiceOption>> {
    Some(
        keys.iter()
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
    )
}

fn app(fields: Vec<FieldProperty>) -> AppDefinition {
    let mut def = AppDefinition::new("test");
    for f in fields {
        def.properties.insert(f.code.clone(), f);
    }
    def.assign_field_ids();
    def
}

fn ctx(def: &AppDefinition, mode: WriteMode) -> WriteContext<'_> {
    WriteContext {
        definition: def,
        mode,
        now: Utc
            .with_ymd_and_hms(2024, 3, 31, 16, 5, 42)
            .single()
            .unwrap_or_default(),
        user_code: "alice",
        user_name: "Alice",
        timezone: chrono_tz::Asia::Tokyo,
        error_prefix: String::new(),
    }
}

fn record(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn add(def: &AppDefinition, input: Value) -> Result<Map<String, Value>, FieldErrors> {
    normalize_record(
        &ctx(def, WriteMode::Add),
        &record(input),
        None,
        &mut resolver(),
    )
}

fn update(
    def: &AppDefinition,
    input: Value,
    existing: Value,
) -> Result<Map<String, Value>, FieldErrors> {
    let existing = record(existing);
    normalize_record(
        &ctx(def, WriteMode::Update),
        &record(input),
        Some(&existing),
        &mut resolver(),
    )
}

fn ok(r: Result<Map<String, Value>, FieldErrors>) -> Result<Map<String, Value>, String> {
    r.map_err(|e| format!("unexpected errors: {e:?}"))
}

fn errs(r: Result<Map<String, Value>, FieldErrors>) -> Result<FieldErrors, String> {
    match r {
        Ok(v) => Err(format!("expected errors, got {v:?}")),
        Err(e) => Ok(e),
    }
}

fn messages(e: &FieldErrors, key: &str) -> Vec<String> {
    e.get(key)
        .map(|m| m.iter().map(|m| m.text().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn text_happy_path_and_length_limits() -> TestResult {
    let mut name = field(FieldType::SingleLineText, "name");
    name.min_length = Some("2".to_owned());
    name.max_length = Some("3".to_owned());
    let def = app(vec![
        name,
        field(FieldType::MultiLineText, "memo"),
        field(FieldType::Link, "url"),
    ]);
    let out = ok(add(
        &def,
        json!({"name": {"value": "日本語"}, "memo": {"value": 12}}),
    ))?;
    assert_eq!(
        out["name"], "日本語",
        "three characters fit although nine bytes"
    );
    assert_eq!(out["memo"], "12");
    assert_eq!(out["url"], "");
    let e = errs(add(&def, json!({"name": {"value": "abcd"}})))?;
    assert_eq!(
        messages(&e, "record.name.value"),
        ["Enter less than 4 characters."]
    );
    let e = errs(add(
        &def,
        json!({"name": {"value": "a"}, "memo": {"value": ["x"]}}),
    ))?;
    assert_eq!(
        messages(&e, "record.name.value"),
        ["Enter more than 1 characters."]
    );
    assert_eq!(messages(&e, "record.memo.value"), [EXPECTED_STRING]);
    Ok(())
}

#[test]
fn numbers_are_normalized_and_checked() -> TestResult {
    let mut n = field(FieldType::Number, "n");
    n.min_value = Some("-5".to_owned());
    n.max_value = Some("100".to_owned());
    let def = app(vec![n]);
    for (sent, stored) in [
        (json!("1.5e1"), "15"),
        (json!(" 12 "), "12"),
        (json!("0010.50"), "10.5"),
        (json!(7), "7"),
        (json!(2.5), "2.5"),
        (json!(""), ""),
        (Value::Null, ""),
    ] {
        let out = ok(add(&def, json!({"n": {"value": sent}})))?;
        assert_eq!(out["n"], stored, "{sent}");
    }
    let e = errs(add(&def, json!({"n": {"value": "abc"}})))?;
    assert_eq!(messages(&e, "record[n].value"), [NOT_A_NUMBER]);
    let e = errs(add(&def, json!({"n": {"value": "100.5"}})))?;
    assert_eq!(
        messages(&e, "record.n.value"),
        ["The value must be 100 or less."]
    );
    let e = errs(add(&def, json!({"n": {"value": -6}})))?;
    assert_eq!(
        messages(&e, "record.n.value"),
        ["The value must be -5 or more."]
    );
    Ok(())
}

#[test]
fn single_choices() -> TestResult {
    let mut radio = field(FieldType::RadioButton, "r");
    radio.options = options(&["b", "a"]);
    radio.required = Some(true);
    let mut drop = field(FieldType::DropDown, "d");
    drop.options = options(&["x", "y"]);
    let def = app(vec![radio, drop]);
    let out = ok(add(&def, json!({})))?;
    assert_eq!(out["r"], "b", "a radio button defaults to its first option");
    assert_eq!(out["d"], Value::Null);
    let out = ok(add(&def, json!({"r": {"value": "a"}, "d": {"value": "y"}})))?;
    assert_eq!((&out["r"], &out["d"]), (&json!("a"), &json!("y")));
    let out = ok(add(&def, json!({"r": {"value": ""}, "d": {"value": ""}})))?;
    assert_eq!(
        (&out["r"], &out["d"]),
        (&json!(""), &Value::Null),
        "required never fails on radio"
    );
    let e = errs(add(
        &def,
        json!({"r": {"value": "zz"}, "d": {"value": "q"}}),
    ))?;
    assert_eq!(
        messages(&e, "record.r.value"),
        [r#"The value, "zz", is not in options."#]
    );
    assert_eq!(
        messages(&e, "record.d.value"),
        [r#"The value, "q", is not in options."#]
    );
    Ok(())
}

#[test]
fn multi_choices() -> TestResult {
    let mut cb = field(FieldType::CheckBox, "cb");
    cb.options = options(&["a", "b", "c"]);
    cb.required = Some(true);
    let mut ms = field(FieldType::MultiSelect, "ms");
    ms.options = options(&["a"]);
    let def = app(vec![cb, ms]);
    let out = ok(add(
        &def,
        json!({"cb": {"value": ["c", "a"]}, "ms": {"value": []}}),
    ))?;
    assert_eq!(out["cb"], json!(["c", "a"]));
    assert_eq!(out["ms"], json!([]));
    let e = errs(add(
        &def,
        json!({"cb": {"value": ["a", "zz", "yy"]}, "ms": {"value": "a"}}),
    ))?;
    assert_eq!(
        messages(&e, "record.cb.values[1].value"),
        [r#"The value, "zz", is not in options."#]
    );
    assert_eq!(
        messages(&e, "record.cb.values[2].value"),
        [r#"The value, "yy", is not in options."#]
    );
    assert_eq!(messages(&e, "record.ms.values"), [EXPECTED_ARRAY]);
    let e = errs(add(&def, json!({"cb": {"value": []}})))?;
    assert_eq!(messages(&e, "record.cb.values"), [REQUIRED]);
    Ok(())
}

#[test]
fn dates_times_and_datetimes() -> TestResult {
    let def = app(vec![
        field(FieldType::Date, "d"),
        field(FieldType::Time, "t"),
        field(FieldType::Datetime, "dt"),
    ]);
    let out = ok(add(
        &def,
        json!({"d": {"value": "2024-02-29"}, "t": {"value": "08:30:59"}, "dt": {"value": "2021-02-10T15:14:37+09:00"}}),
    ))?;
    assert_eq!(out["d"], "2024-02-29");
    assert_eq!(out["t"], "08:30");
    assert_eq!(out["dt"], "2021-02-10T06:14:00Z");
    for (sent, stored) in [
        ("2021-02-10T06:14:59Z", "2021-02-10T06:14:00Z"),
        ("2021-02-10T01:14:00-05:00", "2021-02-10T06:14:00Z"),
        ("2021-02-10T00:00:00+09:00", "2021-02-09T15:00:00Z"),
        ("2021-02-10T09:00", "2021-02-10T00:00:00Z"),
    ] {
        let out = ok(add(&def, json!({"dt": {"value": sent}})))?;
        assert_eq!(out["dt"], stored, "{sent}");
    }
    let out = ok(add(
        &def,
        json!({"d": {"value": ""}, "t": {"value": null}, "dt": {"value": ""}}),
    ))?;
    assert_eq!(
        (&out["d"], &out["t"], &out["dt"]),
        (&Value::Null, &Value::Null, &json!(""))
    );
    let e = errs(add(
        &def,
        json!({"d": {"value": "2023-02-29"}, "t": {"value": "25:00"}, "dt": {"value": "yesterday"}}),
    ))?;
    assert_eq!(messages(&e, "record.d.value"), [BAD_DATE]);
    assert_eq!(messages(&e, "record.t.value"), [BAD_TIME]);
    assert_eq!(messages(&e, "record.dt.value"), [BAD_DATETIME]);
    Ok(())
}

#[test]
fn entity_selects() -> TestResult {
    let def = app(vec![
        field(FieldType::UserSelect, "u"),
        field(FieldType::OrganizationSelect, "o"),
        field(FieldType::GroupSelect, "g"),
    ]);
    let out = ok(add(
        &def,
        json!({"u": {"value": [{"code": "bob"}, {"code": "alice", "name": "ignored"}]},
               "o": {"value": [{"code": "dev"}]}, "g": {"value": [{"code": "admins"}]}}),
    ))?;
    assert_eq!(
        out["u"],
        json!([{"code": "bob", "name": "Bob"}, {"code": "alice", "name": "Alice"}])
    );
    assert_eq!(out["o"], json!([{"code": "dev", "name": "Development"}]));
    assert_eq!(
        out["g"],
        json!([{"code": "admins", "name": "Administrators"}])
    );
    let e = errs(add(
        &def,
        json!({"u": {"value": [{"code": "mallory"}]}, "o": {"value": "dev"}, "g": {"value": [{"code": "x"}]}}),
    ))?;
    assert_eq!(
        messages(&e, "record.u.values.value"),
        ["The specified user (code: mallory) not found."]
    );
    assert_eq!(
        messages(&e, "record.o.values.value"),
        [EXPECTED_CODE_OBJECTS]
    );
    assert_eq!(
        messages(&e, "record.g.values.value"),
        ["The specified group (code: x) not found."]
    );
    Ok(())
}

#[test]
fn files() -> TestResult {
    let def = app(vec![field(FieldType::File, "f")]);
    let out = ok(add(&def, json!({"f": {"value": [{"fileKey": "up1"}]}})))?;
    assert_eq!(out["f"][0]["name"], "a.txt");
    assert_eq!(out["f"][0]["fileKey"], "up1");
    let e = errs(add(&def, json!({"f": {"value": [{"fileKey": "nope"}]}})))?;
    assert_eq!(
        messages(&e, "record.f.values"),
        ["The specified file (id: nope) not found."]
    );
    let stored = json!({"f": [{"contentType": "text/plain", "fileKey": "kept1", "name": "a.txt", "size": "3"}]});
    let out = ok(update(&def, json!({"f": {"value": []}}), stored.clone()))?;
    assert_eq!(out["f"], json!([]), "[] clears");
    let out = ok(update(&def, json!({}), stored))?;
    assert_eq!(out["f"][0]["fileKey"], "kept1", "absent keeps");
    Ok(())
}

#[test]
fn system_fields_on_add_and_update() -> TestResult {
    let def = app(vec![field(FieldType::Calc, "calc")]);
    let out = ok(add(
        &def,
        json!({"Record_number": {"value": "99"}, "calc": {"value": "5"}, "Status": {"value": "x"}}),
    ))?;
    assert_eq!(out["Created_by"], json!({"code": "alice", "name": "Alice"}));
    assert_eq!(out["Updated_by"], json!({"code": "alice", "name": "Alice"}));
    assert_eq!(out["Created_datetime"], "2024-03-31T16:05:00Z");
    assert_eq!(out["calc"], "");
    assert!(out.get("Record_number").is_none() && out.get("Status").is_none());
    assert!(out.get("Categories").is_none() && out.get("Assignee").is_none());

    // cli-kintone sends the audit fields of an export when importing.
    let out = ok(add(
        &def,
        json!({"Created_by": {"value": {"code": "bob"}}, "Created_datetime": {"value": "2020-01-02T03:04:05Z"}}),
    ))?;
    assert_eq!(out["Created_by"], json!({"code": "bob", "name": "Bob"}));
    assert_eq!(out["Created_datetime"], "2020-01-02T03:04:00Z");
    let e = errs(add(
        &def,
        json!({"Updated_by": {"value": {"code": "ghost"}}, "Updated_datetime": {"value": "x"}}),
    ))?;
    assert_eq!(
        messages(&e, "record.Updated_by.value"),
        ["The specified user (code: ghost) not found."]
    );
    assert_eq!(
        messages(&e, "record.Updated_datetime.value"),
        [BAD_DATETIME]
    );

    let stored = json!({"Record_number": "7", "Created_by": {"code": "bob", "name": "Bob"},
                        "Created_datetime": "2020-01-01T00:00:00Z", "calc": "42"});
    let out = ok(update(
        &def,
        json!({"Created_by": {"value": {"code": "alice"}}, "Created_datetime": {"value": "bad"}, "calc": {"value": "1"}}),
        stored,
    ))?;
    assert_eq!(out["Created_by"]["code"], "bob");
    assert_eq!(out["Created_datetime"], "2020-01-01T00:00:00Z");
    assert_eq!(out["Record_number"], "7");
    assert_eq!(out["calc"], "42");
    Ok(())
}

fn defaults_app() -> AppDefinition {
    let mut text = field(FieldType::SingleLineText, "text");
    text.default_value = Some(json!("hello"));
    let mut num = field(FieldType::Number, "num");
    num.default_value = Some(json!("010"));
    let mut cb = field(FieldType::CheckBox, "cb");
    cb.options = options(&["a", "b"]);
    cb.default_value = Some(json!(["b", "gone"]));
    let mut drop = field(FieldType::DropDown, "drop");
    drop.options = options(&["x", "y"]);
    drop.default_value = Some(json!("y"));
    let mut date = field(FieldType::Date, "date");
    date.default_now_value = Some(true);
    let mut time = field(FieldType::Time, "time");
    time.default_now_value = Some(true);
    let mut dt = field(FieldType::Datetime, "dt");
    dt.default_now_value = Some(true);
    let mut user = field(FieldType::UserSelect, "user");
    user.default_value =
        Some(json!([{"code": "LOGINUSER()", "type": "FUNCTION"}, {"code": "bob", "type": "USER"}]));
    app(vec![text, num, cb, drop, date, time, dt, user])
}

#[test]
fn defaults_apply_on_add_when_absent() -> TestResult {
    let def = defaults_app();
    let out = ok(add(&def, json!({})))?;
    assert_eq!(out["text"], "hello");
    assert_eq!(out["num"], "10");
    assert_eq!(out["cb"], json!(["b"]));
    assert_eq!(out["drop"], "y");
    // 16:05 UTC is already the next day in Tokyo.
    assert_eq!(out["date"], "2024-04-01");
    assert_eq!(out["time"], "01:05");
    assert_eq!(out["dt"], "2024-03-31T16:05:00Z");
    assert_eq!(
        out["user"],
        json!([{"code": "alice", "name": "Alice"}, {"code": "bob", "name": "Bob"}])
    );

    let out = ok(add(
        &def,
        json!({"text": {"value": ""}, "cb": {"value": []}, "date": {"value": null}, "user": {"value": []}}),
    ))?;
    assert_eq!(out["text"], "", "explicit empty values are kept");
    assert_eq!(out["cb"], json!([]));
    assert_eq!(out["date"], Value::Null);
    assert_eq!(out["user"], json!([]));
    Ok(())
}

#[test]
fn defaults_do_not_apply_on_update() -> TestResult {
    let def = defaults_app();
    let out = ok(update(&def, json!({}), json!({"text": "kept"})))?;
    assert_eq!(out["text"], "kept");
    assert_eq!(out["num"], "");
    assert_eq!(out["cb"], json!([]));
    assert_eq!(out["drop"], Value::Null);
    assert_eq!(out["date"], Value::Null);
    assert_eq!(out["dt"], "");
    assert_eq!(out["user"], json!([]));
    Ok(())
}

#[test]
fn required_is_checked_on_the_merged_record() -> TestResult {
    let mut old_field = field(FieldType::SingleLineText, "old");
    old_field.required = Some(true);
    let mut added_later = field(FieldType::Number, "later");
    added_later.required = Some(true);
    let def = app(vec![
        old_field,
        added_later,
        field(FieldType::SingleLineText, "other"),
    ]);

    let e = errs(add(&def, json!({"old": {"value": ""}})))?;
    assert_eq!(messages(&e, "record.old.value"), [REQUIRED]);
    assert_eq!(messages(&e, "record.later.value"), [REQUIRED]);

    // The stored record predates the required field `later`: any update must fill it.
    let e = errs(update(
        &def,
        json!({"other": {"value": "x"}}),
        json!({"old": "a"}),
    ))?;
    assert_eq!(e.len(), 1);
    assert_eq!(messages(&e, "record.later.value"), [REQUIRED]);
    let out = ok(update(
        &def,
        json!({"later": {"value": "3"}}),
        json!({"old": "a"}),
    ))?;
    assert_eq!((&out["old"], &out["later"]), (&json!("a"), &json!("3")));
    let e = errs(update(
        &def,
        json!({"old": {"value": null}}),
        json!({"old": "a", "later": "1"}),
    ))?;
    assert_eq!(messages(&e, "record.old.value"), [REQUIRED]);
    Ok(())
}

fn table_app() -> AppDefinition {
    let mut table = field(FieldType::Subtable, "tbl");
    let mut item = field(FieldType::SingleLineText, "item");
    item.default_value = Some(json!("new item"));
    let mut qty = field(FieldType::Number, "qty");
    qty.max_value = Some("10".to_owned());
    let mut kind = field(FieldType::DropDown, "kind");
    kind.options = options(&["k1", "k2"]);
    let mut inner = IndexMap::new();
    for f in [item, qty, kind, field(FieldType::Calc, "total")] {
        inner.insert(f.code.clone(), f);
    }
    table.fields = Some(inner);
    app(vec![table, field(FieldType::SingleLineText, "title")])
}

fn stored_rows() -> Value {
    json!({"tbl": [
        {"id": "1", "value": {"item": {"type": "SINGLE_LINE_TEXT", "value": "one"},
                              "qty": {"type": "NUMBER", "value": "1"},
                              "kind": {"type": "DROP_DOWN", "value": "k1"},
                              "total": {"type": "CALC", "value": "11"}}},
        {"id": "2", "value": {"item": {"type": "SINGLE_LINE_TEXT", "value": "two"},
                              "qty": {"type": "NUMBER", "value": "2"},
                              "kind": {"type": "DROP_DOWN", "value": null},
                              "total": {"type": "CALC", "value": "22"}}}
    ]})
}

#[test]
fn subtable_rows_on_add_get_ids_defaults_and_types() -> TestResult {
    let def = table_app();
    let out = ok(add(
        &def,
        json!({"tbl": {"value": [
            {"id": "555", "value": {"qty": {"value": "2e0"}}},
            {"value": {"item": {"value": "x"}, "qty": {"value": "many"}, "kind": {"value": "k2"}}}
        ]}}),
    ))?;
    assert_eq!(
        out["tbl"],
        json!([
            {"id": "101", "value": {"item": {"type": "SINGLE_LINE_TEXT", "value": "new item"},
                                    "qty": {"type": "NUMBER", "value": "2"},
                                    "kind": {"type": "DROP_DOWN", "value": null},
                                    "total": {"type": "CALC", "value": ""}}},
            {"id": "102", "value": {"item": {"type": "SINGLE_LINE_TEXT", "value": "x"},
                                    "qty": {"type": "NUMBER", "value": ""},
                                    "kind": {"type": "DROP_DOWN", "value": "k2"},
                                    "total": {"type": "CALC", "value": ""}}}
        ]),
        "row ids sent on add are replaced; a non-numeric NUMBER in a row is stored empty"
    );
    let out = ok(add(&def, json!({})))?;
    assert_eq!(out["tbl"], json!([]));
    Ok(())
}

#[test]
fn subtable_cell_errors_use_row_keys() -> TestResult {
    let def = table_app();
    let e = errs(add(
        &def,
        json!({"tbl": {"value": [{"value": {}}, {"value": {"qty": {"value": 11}, "kind": {"value": "zz"}}}, "junk"]}}),
    ))?;
    assert_eq!(
        messages(&e, "record.tbl.value[1].value.qty.value"),
        ["The value must be 10 or less."]
    );
    assert_eq!(
        messages(&e, "record.tbl.value[1].value.kind.value"),
        [r#"The value, "zz", is not in options."#]
    );
    assert_eq!(messages(&e, "record.tbl.value[2]"), [EXPECTED_ROW_OBJECT]);
    let e = errs(add(&def, json!({"tbl": {"value": {"not": "rows"}}})))?;
    assert_eq!(messages(&e, "record.tbl.value"), [EXPECTED_ARRAY]);
    Ok(())
}

#[test]
fn subtable_absent_on_update_keeps_rows_and_empty_deletes_all() -> TestResult {
    let def = table_app();
    let out = ok(update(
        &def,
        json!({"title": {"value": "t"}}),
        stored_rows(),
    ))?;
    assert_eq!(out["tbl"], stored_rows()["tbl"]);
    let out = ok(update(&def, json!({"tbl": {"value": []}}), stored_rows()))?;
    assert_eq!(out["tbl"], json!([]));
    Ok(())
}

#[test]
fn subtable_update_merges_by_id_adds_new_rows_and_drops_unsent() -> TestResult {
    let def = table_app();
    let out = ok(update(
        &def,
        json!({"tbl": {"value": [
            {"id": 2, "value": {"qty": {"value": "5"}}},
            {"id": "999", "value": {"qty": {"value": "3"}}},
            {"value": {"item": {"value": "fresh"}}}
        ]}}),
        stored_rows(),
    ))?;
    let rows = out["tbl"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3, "row 1 was not sent and is deleted");
    assert_eq!(rows[0]["id"], "2");
    assert_eq!(
        rows[0]["value"]["item"]["value"], "two",
        "omitted inner fields are kept"
    );
    assert_eq!(rows[0]["value"]["qty"]["value"], "5");
    assert_eq!(rows[0]["value"]["total"]["value"], "22");
    assert_eq!(rows[1]["id"], "101", "an unknown id becomes a new row");
    assert_eq!(
        rows[1]["value"]["item"]["value"], "new item",
        "defaults apply in new rows"
    );
    assert_eq!(rows[1]["value"]["total"]["value"], "");
    assert_eq!(rows[2]["id"], "102");
    assert_eq!(rows[2]["value"]["item"]["value"], "fresh");

    // The same stored id twice: the second one is a new row.
    let out = ok(update(
        &def,
        json!({"tbl": {"value": [{"id": "1", "value": {}}, {"id": "1", "value": {}}]}}),
        stored_rows(),
    ))?;
    assert_eq!(out["tbl"][0]["id"], "1");
    assert_eq!(out["tbl"][1]["id"], "101");
    Ok(())
}

#[test]
fn required_inner_fields_are_checked_in_kept_and_merged_rows() -> TestResult {
    let mut def = table_app();
    if let Some(inner) = def
        .properties
        .get_mut("tbl")
        .and_then(|t| t.fields.as_mut())
    {
        if let Some(kind) = inner.get_mut("kind") {
            kind.required = Some(true);
        }
    }
    let e = errs(update(&def, json!({}), stored_rows()))?;
    assert_eq!(
        e.keys().collect::<Vec<_>>(),
        ["record.tbl.value[1].value.kind.value"]
    );
    let e = errs(update(
        &def,
        json!({"tbl": {"value": [{"id": "2", "value": {}}]}}),
        stored_rows(),
    ))?;
    assert_eq!(
        messages(&e, "record.tbl.value[0].value.kind.value"),
        [REQUIRED]
    );
    ok(update(
        &def,
        json!({"tbl": {"value": [{"id": "2", "value": {"kind": {"value": "k2"}}}]}}),
        stored_rows(),
    ))?;
    Ok(())
}

#[test]
fn bulk_prefix_is_on_every_key() -> TestResult {
    let mut n = field(FieldType::Number, "X");
    n.required = Some(true);
    let def = table_app();
    let mut def2 = def.clone();
    def2.properties.insert("X".to_owned(), n);
    def2.assign_field_ids();
    let mut c = ctx(&def2, WriteMode::Add);
    c.error_prefix = "records[2].".to_owned();
    let input = record(
        json!({"X": {"value": ""}, "tbl": {"value": [{"value": {"qty": {"value": "50"}}}]}}),
    );
    let e = errs(normalize_record(&c, &input, None, &mut resolver()))?;
    assert_eq!(messages(&e, "records[2].record.X.value"), [REQUIRED]);
    assert_eq!(
        messages(&e, "records[2].record.tbl.value[0].value.qty.value"),
        ["The value must be 10 or less."]
    );
    let input = record(json!({"X": {"value": "x1"}}));
    let e = errs(normalize_record(&c, &input, None, &mut resolver()))?;
    assert_eq!(messages(&e, "records[2].record[X].value"), [NOT_A_NUMBER]);
    Ok(())
}

#[test]
fn unknown_codes_are_ignored_and_malformed_entries_reported() -> TestResult {
    let def = app(vec![
        field(FieldType::SingleLineText, "a"),
        field(FieldType::SingleLineText, "b"),
    ]);
    let out = ok(add(
        &def,
        json!({"nope": {"value": 1}, "a": {"type": "NUMBER", "value": "x"}, "b": {}}),
    ))?;
    assert_eq!((&out["a"], &out["b"]), (&json!("x"), &json!("")));
    assert!(out.get("nope").is_none());
    let e = errs(add(&def, json!({"a": "x"})))?;
    assert_eq!(messages(&e, "record.a.value"), [EXPECTED_FIELD_OBJECT]);
    Ok(())
}

#[test]
fn all_errors_are_collected() -> TestResult {
    let mut n = field(FieldType::Number, "n");
    n.required = Some(true);
    let def = app(vec![
        n,
        field(FieldType::Date, "d"),
        field(FieldType::UserSelect, "u"),
    ]);
    let e = errs(add(
        &def,
        json!({"d": {"value": "nope"}, "u": {"value": [{"code": "x"}, {"code": "y"}]}}),
    ))?;
    assert_eq!(e.len(), 3);
    assert_eq!(messages(&e, "record.u.values.value").len(), 2);
    Ok(())
}

/// Every field type, a subtable of the input types, and a form where nothing is required.
fn every_type_app() -> AppDefinition {
    use FieldType::*;
    let input_types = [
        SingleLineText,
        MultiLineText,
        RichText,
        Number,
        Calc,
        RadioButton,
        CheckBox,
        MultiSelect,
        DropDown,
        Date,
        Time,
        Datetime,
        Link,
        File,
        UserSelect,
        OrganizationSelect,
        GroupSelect,
    ];
    let other_types = [ReferenceTable, Label, Spacer, Hr, Group];
    let mut fields = Vec::new();
    let mut inner = IndexMap::new();
    for (i, t) in input_types.iter().chain(other_types.iter()).enumerate() {
        let mut f = field(*t, &format!("f{i}"));
        f.options = options(&["a", "b"]);
        f.required = Some(i % 2 == 0);
        f.min_length = Some("1".to_owned());
        f.max_length = Some("5".to_owned());
        f.min_value = Some("-3".to_owned());
        f.max_value = Some("3".to_owned());
        f.default_value = Some(json!(["a"]));
        f.default_now_value = Some(i % 3 == 0);
        if input_types.contains(t) {
            let mut cell = f.clone();
            cell.code = format!("c{i}");
            inner.insert(cell.code.clone(), cell);
        }
        fields.push(f);
    }
    let mut table = field(Subtable, "tbl");
    table.fields = Some(inner);
    fields.push(table);
    app(fields)
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        "\\PC{0,6}".prop_map(Value::String),
        prop_oneof![
            Just("1.5e1"),
            Just("2024-02-29"),
            Just("12:30"),
            Just("2021-02-10T06:14:00+09:00"),
            Just("a"),
            Just("alice"),
            Just("up1"),
            Just("1"),
            Just("code"),
            Just("fileKey"),
            Just("value"),
            Just("id"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("value".to_owned()),
                        Just("code".to_owned()),
                        Just("fileKey".to_owned()),
                        Just("id".to_owned()),
                        "c[0-9]{1,2}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn any_record() -> impl Strategy<Value = Map<String, Value>> {
    let code = prop_oneof![
        "f[0-9]{1,2}",
        Just("tbl".to_owned()),
        Just("Created_by".to_owned()),
        Just("Created_datetime".to_owned()),
        Just("Record_number".to_owned()),
    ];
    let entry = prop_oneof![any_json().prop_map(|v| json!({ "value": v })), any_json()];
    prop::collection::vec((code, entry), 0..8).prop_map(|kv| kv.into_iter().collect())
}

proptest! {
    #[test]
    fn random_values_never_panic(input in any_record(), existing in any_record(), update in any::<bool>()) {
        let def = every_type_app();
        let mut c = ctx(&def, if update { WriteMode::Update } else { WriteMode::Add });
        c.error_prefix = "records[0].".to_owned();
        let existing: Map<String, Value> = existing
            .into_iter()
            .map(|(k, v)| (k, v.get("value").cloned().unwrap_or(v)))
            .collect();
        let result = normalize_record(&c, &input, update.then_some(&existing), &mut resolver());
        if let Err(errors) = result {
            prop_assert!(errors.keys().all(|k| k.starts_with("records[0].record")));
            prop_assert!(errors.values().all(|m| !m.is_empty()));
        }
    }
}
