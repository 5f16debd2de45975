use super::eval::{evaluate, EvalError, EvalResult, Resolver, Value};
use super::*;
use crate::apps::AppDefinition;
use crate::fields::{FieldProperty, FieldType};
use chrono_tz::Tz;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use std::str::FromStr;

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Fields(HashMap<String, Value>);

impl Resolver for Fields {
    fn field(&self, code: &str) -> EvalResult<Value> {
        self.0
            .get(code)
            .cloned()
            .ok_or_else(|| EvalError(format!("no field {code}")))
    }
}

fn eval_with(expr: &str, fields: &[(&str, Value)]) -> Result<EvalResult<Value>, FormulaError> {
    let f = Formula::parse(expr)?;
    let r = Fields(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    );
    Ok(evaluate(&f, &r, Tz::Asia__Tokyo))
}

fn eval(expr: &str) -> Result<EvalResult<Value>, FormulaError> {
    eval_with(expr, &[])
}

fn num(s: &str) -> Value {
    Value::Number(Decimal::from_str(s).unwrap_or_default())
}

fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

#[test]
fn arithmetic_precedence_and_power() -> TestResult {
    for (expr, want) in [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("12 / 4 / 3", "1"),
        ("2 * 3 ^ 2", "18"),
        ("2 ^ 3 ^ 2", "64"),
        ("-2 ^ 2", "-4"),
        ("(-2) ^ 2", "4"),
        ("2 ^ -1", "0.5"),
        ("- - 3", "3"),
        ("1 + -2", "-1"),
        ("7 - 2 * 3 + 1", "2"),
        ("1.5", "1.5"),
        (".5 * 2", "1"),
    ] {
        assert_eq!(eval(expr)?, Ok(num(want)), "{expr}");
    }
    Ok(())
}

#[test]
fn fractional_power_is_close() -> TestResult {
    let Ok(Value::Number(n)) = eval("2 ^ 0.5")? else {
        return Err("not a number".into());
    };
    assert!((n - Decimal::from_str("1.41421356237")?).abs() < Decimal::from_str("0.0000001")?);
    assert!(eval("(-8) ^ 0.5")?.is_err());
    assert!(eval("0 ^ -1")?.is_err());
    assert!(eval("10 ^ 100")?.is_err());
    Ok(())
}

#[test]
fn decimals_are_exact() -> TestResult {
    assert_eq!(eval("0.1 + 0.2")?, Ok(num("0.3")));
    assert_eq!(eval("0.1 + 0.2 = 0.3")?, Ok(Value::Bool(true)));
    assert_eq!(eval("1.1 * 3")?, Ok(num("3.3")));
    Ok(())
}

#[test]
fn concatenation_with_numbers() -> TestResult {
    assert_eq!(eval("1 + 2 & \"円\"")?, Ok(s("3円")));
    assert_eq!(eval("\"No.\" & 1.50")?, Ok(s("No.1.5")));
    assert_eq!(
        eval_with("A & \"-\" & B", &[("A", Value::Empty), ("B", num("0"))])?,
        Ok(s("-0"))
    );
    assert_eq!(eval("\"say \\\"hi\\\"\"")?, Ok(s("say \"hi\"")));
    Ok(())
}

#[test]
fn comparisons() -> TestResult {
    for (expr, want) in [
        ("1 < 2", true),
        ("2 <= 2", true),
        ("3 > 4", false),
        ("3 >= 4", false),
        ("1 <> 2", true),
        ("1 != 1", false),
        ("\"a\" = \"a\"", true),
        ("\"10\" = 10", true),
        ("1 + 1 = 2", true),
    ] {
        assert_eq!(eval(expr)?, Ok(Value::Bool(want)), "{expr}");
    }
    assert_eq!(
        eval_with("X = \"\"", &[("X", Value::Empty)])?,
        Ok(Value::Bool(true))
    );
    Ok(())
}

#[test]
fn if_and_or_not() -> TestResult {
    assert_eq!(eval("IF(1 < 2, \"yes\", \"no\")")?, Ok(s("yes")));
    assert_eq!(eval("if(AND(1 = 1, 2 = 3), 1, 2)")?, Ok(num("2")));
    assert_eq!(eval("OR(1 = 2, 2 = 2)")?, Ok(Value::Bool(true)));
    assert_eq!(eval("NOT(1 = 2)")?, Ok(Value::Bool(true)));
    assert_eq!(eval("IF(NOT(OR(1 = 2, 0)), 10, 20)")?, Ok(num("10")));
    // Only the branch taken is evaluated.
    assert_eq!(
        eval_with(
            "IF(B = 0, 0, A / B)",
            &[("A", num("5")), ("B", Value::Empty)]
        )?,
        Ok(num("0"))
    );
    assert!(eval("IF(\"x\", 1, 2)")?.is_err());
    Ok(())
}

#[test]
fn rounding_functions() -> TestResult {
    for (expr, want) in [
        ("ROUND(1234.5678, 2)", "1234.57"),
        ("ROUND(2.5)", "3"),
        ("ROUND(-2.5)", "-3"),
        ("ROUND(1250, -2)", "1300"),
        ("ROUND(-1249, -2)", "-1200"),
        ("ROUNDUP(1.21, 1)", "1.3"),
        ("ROUNDUP(-1.21, 1)", "-1.3"),
        ("ROUNDUP(1201, -2)", "1300"),
        ("ROUNDDOWN(1.29, 1)", "1.2"),
        ("ROUNDDOWN(-1.29, 1)", "-1.2"),
        ("ROUNDDOWN(1299, -2)", "1200"),
        ("ROUND(5, -40)", "0"),
        ("ROUND(1.23456, 1.9)", "1.2"),
    ] {
        assert_eq!(eval(expr)?, Ok(num(want)), "{expr}");
    }
    assert!(eval("ROUNDUP(5, -40)")?.is_err());
    Ok(())
}

#[test]
fn yen_formats_rounded_amounts() -> TestResult {
    assert_eq!(eval("YEN(1234567.5, 0)")?, Ok(s("¥1,234,568")));
    assert_eq!(eval("YEN(1234.567, 2)")?, Ok(s("¥1,234.57")));
    assert_eq!(eval("YEN(-1500, -3)")?, Ok(s("-¥2,000")));
    assert_eq!(eval("YEN(999)")?, Ok(s("¥999")));
    Ok(())
}

#[test]
fn sum_and_contains_over_columns() -> TestResult {
    let column = Value::Column(vec![num("1.5"), Value::Empty, num("2")]);
    assert_eq!(
        eval_with("SUM(T, 10)", &[("T", column.clone())])?,
        Ok(num("13.5"))
    );
    assert!(eval_with("T * 2", &[("T", column)])?.is_err());
    let boxes = Value::List(vec!["a".into(), "b".into()]);
    assert_eq!(
        eval_with("CONTAINS(C, \"b\")", &[("C", boxes.clone())])?,
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval_with("CONTAINS(C, \"z\")", &[("C", boxes.clone())])?,
        Ok(Value::Bool(false))
    );
    let rows = Value::Column(vec![Value::List(vec![]), boxes]);
    assert_eq!(
        eval_with("IF(CONTAINS(R, \"a\"), 1, 0)", &[("R", rows)])?,
        Ok(num("1"))
    );
    assert!(Formula::parse("CONTAINS(\"a\", \"a\")").is_err());
    Ok(())
}

#[test]
fn date_format_in_tokyo() -> TestResult {
    // 2026-04-01T15:30:00Z is 2026-04-02 00:30 in Tokyo.
    let t = || ("D", num("1775057400"));
    assert_eq!(
        eval_with(
            "DATE_FORMAT(D, \"YYYY年M月d日 HH:mm\", \"Asia/Tokyo\")",
            &[t()]
        )?,
        Ok(s("2026年4月2日 00:30"))
    );
    assert_eq!(
        eval_with("DATE_FORMAT(D, \"YYYY-MM-dd\", \"Etc/GMT\")", &[t()])?,
        Ok(s("2026-04-01"))
    );
    assert_eq!(
        eval_with("DATE_FORMAT(D, \"HH:mm Z\", \"system\")", &[t()])?,
        Ok(s("00:30 +0900"))
    );
    assert_eq!(
        eval_with("DATE_FORMAT(D, \"MMM yy 'at' h a\", \"UTC\")", &[t()])?,
        Ok(s("Apr 26 at 3 PM"))
    );
    assert!(eval_with("DATE_FORMAT(D, \"YYYY\", \"Nowhere/City\")", &[t()])?.is_err());
    assert_eq!(
        eval_with("DATE_FORMAT(D, \"YYYY\", \"UTC\")", &[("D", Value::Empty)])?,
        Ok(Value::Empty)
    );
    Ok(())
}

#[test]
fn type_errors_and_division_by_zero() -> TestResult {
    assert!(eval("\"a\" * 2")?.is_err());
    assert!(eval("1 / 0")?.is_err());
    assert!(eval("1 / (2 - 2)")?.is_err());
    assert!(eval("(1 = 1) + 1")?.is_err());
    Ok(())
}

#[test]
fn parse_errors_say_where_and_what() {
    let cases = [
        ("1 +", 3, "Expected a number"),
        ("(1 + 2", 6, "Expected \")\""),
        ("1 + 2)", 5, "Unmatched"),
        ("FOO(1)", 0, "Unknown function \"FOO\""),
        ("IF(1, 2)", 0, "IF takes 3 argument(s), but 2 were given"),
        ("ROUND(1, 2, 3)", 0, "ROUND takes 1 to 2"),
        ("1 # 2", 2, "Unexpected character"),
        ("\"open", 0, "never closed"),
        ("1 ! 2", 2, "!="),
        ("", 0, "empty"),
        ("2数量", 1, "cannot start with a digit"),
        ("数量 数量", 3, "Expected an operator"),
        ("SUM()", 0, "at least 1"),
    ];
    for (expr, position, fragment) in cases {
        match Formula::parse(expr) {
            Ok(_) => panic!("{expr:?} parsed"),
            Err(e) => {
                assert_eq!(e.position, position, "{expr:?}: {}", e.message);
                assert!(e.message.contains(fragment), "{expr:?}: {}", e.message);
                assert!(
                    e.message.contains(&format!("character {}", position + 1)),
                    "{}",
                    e.message
                );
            }
        }
    }
}

#[test]
fn hostile_input_is_refused_not_crashed() -> TestResult {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(Formula::parse(&deep).is_err_and(|e| e.message.contains("nested too deeply")));
    let deep_calls = format!("{}1{}", "NOT(".repeat(500), ")".repeat(500));
    assert!(Formula::parse(&deep_calls).is_err());
    let ok = format!(
        "{}1{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(Formula::parse(&ok).is_ok());
    assert!(Formula::parse(&"1+".repeat(40_000)).is_err_and(|e| e.message.contains("too long")));
    // A long flat chain is fine and evaluates without deep recursion.
    let chain = format!("0{}", "+1".repeat(30_000));
    assert_eq!(eval(&chain)?, Ok(num("30000")));
    assert_eq!(eval(&format!("{}5", "-".repeat(30_001)))?, Ok(num("-5")));
    assert!(Formula::parse("99999999999999999999999999999999").is_err());
    let big = ("T", s(&"x".repeat(60_000)));
    let concat = format!("T{}", "&T".repeat(20_000));
    assert!(eval_with(&concat, &[big])?.is_err_and(|e| e.0.contains("too long")));
    Ok(())
}

#[test]
fn references_in_order_once() -> TestResult {
    let f = Formula::parse("SUM(小計) * 税率_1 + IF(小計 > 0, 送料, 0) & sum(x)")?;
    assert_eq!(f.references(), vec!["小計", "税率_1", "送料", "x"]);
    assert_eq!(
        Formula::parse("_a+ｂ・c")?.references(),
        vec!["_a", "ｂ・c"]
    );
    Ok(())
}

// ---- definitions and records ----

fn prop(t: FieldType, code: &str) -> FieldProperty {
    FieldProperty::new(t, code, code)
}

fn calc(code: &str, expression: &str, format: &str) -> FieldProperty {
    let mut p = prop(FieldType::Calc, code);
    p.expression = Some(expression.to_owned());
    p.format = Some(format.to_owned());
    p
}

fn app(fields: Vec<FieldProperty>) -> AppDefinition {
    let mut def = AppDefinition::new("formula test");
    for f in fields {
        def.properties.insert(f.code.clone(), f);
    }
    def.assign_field_ids();
    def
}

fn table(code: &str, fields: Vec<FieldProperty>) -> FieldProperty {
    let mut t = prop(FieldType::Subtable, code);
    let mut inner = IndexMap::new();
    for f in fields {
        inner.insert(f.code.clone(), f);
    }
    t.fields = Some(inner);
    t
}

fn record(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

fn compute(def: &AppDefinition, v: Json) -> Map<String, Json> {
    let mut values = record(v);
    compute_record(def, &mut values, Tz::Asia__Tokyo);
    values
}

#[test]
fn check_definition_reports_problems() {
    let def = app(vec![
        prop(FieldType::Number, "数量"),
        prop(FieldType::CheckBox, "チェック"),
        prop(FieldType::MultiLineText, "メモ"),
        calc("A", "B + 1", "NUMBER"),
        calc("B", "C * 2", "NUMBER"),
        calc("C", "A - 1", "NUMBER"),
        calc("Self", "Self + 1", "NUMBER"),
        calc("Unknown", "数量 + 存在しない", "NUMBER"),
        calc("Broken", "数量 +", "NUMBER"),
        calc("Box", "チェック & \"\"", "NUMBER"),
        calc("Memo", "メモ", "NUMBER"),
        calc(
            "Fine",
            "IF(CONTAINS(チェック, \"x\"), SUM(明細_小計), 数量)",
            "NUMBER",
        ),
        calc("Outside", "明細_小計 * 2", "NUMBER"),
        table(
            "明細",
            vec![
                prop(FieldType::Number, "明細_数量"),
                calc("明細_小計", "明細_数量 * 数量", "NUMBER"),
            ],
        ),
    ]);
    let problems = check_definition(&def);
    let about = |code: &str| -> Vec<&str> {
        problems
            .iter()
            .filter(|(c, _)| c == code)
            .map(|(_, m)| m.as_str())
            .collect()
    };
    for code in ["A", "B", "C"] {
        let m = about(code);
        assert_eq!(m.len(), 1, "{code}: {m:?}");
        assert!(
            m.iter()
                .any(|m| m.contains("refers to itself") && m.contains("A → B → C → A")),
            "{m:?}"
        );
    }
    assert!(about("Self").iter().any(|m| m.contains("Self → Self")));
    assert!(about("Unknown")
        .iter()
        .any(|m| m.contains("\"存在しない\"") && m.contains("does not exist")));
    assert!(about("Broken")
        .iter()
        .any(|m| m.contains("has an error") && m.contains("character")));
    assert!(about("Box").iter().any(|m| m.contains("CONTAINS")));
    assert!(about("Memo").iter().any(|m| m.contains("MULTI_LINE_TEXT")));
    assert!(about("Outside")
        .iter()
        .any(|m| m.contains("only inside SUM")));
    assert!(about("Fine").is_empty(), "{:?}", about("Fine"));
    assert!(about("明細_小計").is_empty());
    assert_eq!(problems.len(), 9, "{problems:?}");
}

#[test]
fn compute_fills_subtable_rows_then_top_level_sum() {
    let mut text = prop(FieldType::SingleLineText, "見出し");
    text.expression = Some("\"合計 \" & 合計 & \"円\"".to_owned());
    let def = app(vec![
        // Declared before what it depends on: order must come from the references.
        calc("合計", "SUM(小計) + 送料", "NUMBER"),
        text,
        prop(FieldType::Number, "送料"),
        table(
            "明細",
            vec![
                prop(FieldType::Number, "単価"),
                prop(FieldType::Number, "数量"),
                calc("小計", "単価 * 数量 * 税率", "NUMBER"),
            ],
        ),
        prop(FieldType::Number, "税率"),
    ]);
    let out = compute(
        &def,
        json!({
            "送料": "500",
            "税率": "1.1",
            "明細": [
                {"id": "1", "value": {"単価": {"type": "NUMBER", "value": "1000"}, "数量": {"value": "2"},
                                       "小計": {"type": "CALC", "value": "stale"}}},
                {"id": "2", "value": {"単価": {"value": "300"}, "数量": {"value": "1"}}},
                {"id": "3", "value": {"単価": {"value": ""}, "数量": {"value": ""}}}
            ]
        }),
    );
    assert_eq!(
        out["明細"][0]["value"]["小計"],
        json!({"type": "CALC", "value": "2200"})
    );
    assert_eq!(out["明細"][1]["value"]["小計"]["value"], "330");
    // Row 3 refers to 税率, which is set, so the row is computed (0), not blank.
    assert_eq!(out["明細"][2]["value"]["小計"]["value"], "0");
    assert_eq!(out["合計"], "3030");
    assert_eq!(out["見出し"], "合計 3030円");
}

#[test]
fn compute_blanks_errors_and_all_empty_references() {
    let mut text = prop(FieldType::SingleLineText, "T");
    text.expression = Some("IF(A = \"\", \"未入力\", \"済\")".to_owned());
    let def = app(vec![
        prop(FieldType::Number, "A"),
        prop(FieldType::Number, "B"),
        calc("Sum", "A + B", "NUMBER"),
        calc("Div", "A / B", "NUMBER"),
        calc("Const", "1 + 1", "NUMBER"),
        calc("Loop1", "Loop2 + 1", "NUMBER"),
        calc("Loop2", "Loop1 + 1", "NUMBER"),
        calc("AfterLoop", "Loop1 + A + 1", "NUMBER"),
        calc("Bad", "A +", "NUMBER"),
        calc("Text", "\"abc\"", "NUMBER"),
        calc("Blank", "IF(A = \"\", \"\", A * 2)", "NUMBER"),
        text,
    ]);
    let empty = compute(&def, json!({"A": "", "B": {"value": null}}));
    assert_eq!(empty["Sum"], "");
    assert_eq!(empty["Const"], "2");
    assert_eq!(empty["Blank"], "");
    assert_eq!(empty["T"], "未入力");
    let filled = compute(&def, json!({"A": "6", "B": {"value": "0"}}));
    assert_eq!(filled["Sum"], "6");
    assert_eq!(filled["Div"], "");
    assert_eq!(filled["B"], json!({"value": "0"}));
    assert_eq!(filled["Loop1"], "");
    assert_eq!(filled["Loop2"], "");
    assert_eq!(filled["AfterLoop"], "7");
    assert_eq!(filled["Bad"], "");
    assert_eq!(filled["Text"], "");
    assert_eq!(filled["Blank"], "12");
    assert_eq!(filled["T"], "済");
}

#[test]
fn date_arithmetic_and_date_formats() {
    let mut label = prop(FieldType::SingleLineText, "表示");
    label.expression = Some("DATE_FORMAT(日時, \"YYYY年M月d日 H:mm\", \"system\")".to_owned());
    let def = app(vec![
        prop(FieldType::Date, "日付"),
        prop(FieldType::Datetime, "日時"),
        prop(FieldType::Time, "時刻"),
        calc("期限", "日付 + 14 * 24 * 60 * 60", "DATE"),
        calc("期限日時", "日時 + 90 * 60 + 59", "DATETIME"),
        calc("終了", "時刻 + 16 * 60 * 60", "TIME"),
        calc("経過", "日時 - 日付", "HOUR_MINUTE"),
        calc("翌週", "期限 + 7 * 86400", "DATE"),
        label,
    ]);
    let out = compute(
        &def,
        json!({"日付": "2026-04-01", "日時": "2026-04-02T02:03:00Z", "時刻": "09:00"}),
    );
    assert_eq!(out["期限"], "2026-04-15");
    assert_eq!(out["期限日時"], "2026-04-02T03:33:00Z");
    assert_eq!(out["終了"], "01:00");
    assert_eq!(out["経過"], "93780");
    assert_eq!(out["翌週"], "2026-04-22");
    assert_eq!(out["表示"], "2026年4月2日 11:03");
}

#[test]
fn number_formats_api_value_and_display() {
    let mut plain = calc("P", "A / 3", "NUMBER");
    plain.unit = Some("kg".to_owned());
    let mut scaled = calc("S", "A / 3", "NUMBER_DIGIT");
    scaled.display_scale = Some("2".to_owned());
    scaled.unit = Some("$".to_owned());
    scaled.unit_position = Some("BEFORE".to_owned());
    let digit = calc("D", "A * 1000.5", "NUMBER_DIGIT");
    let def = app(vec![
        prop(FieldType::Number, "A"),
        plain.clone(),
        scaled.clone(),
        digit.clone(),
    ]);
    let out = compute(&def, json!({"A": "1234"}));
    assert_eq!(out["P"], "411.3333");
    assert_eq!(out["S"], "411.33");
    assert_eq!(out["D"], "1234617");
    assert_eq!(display(&plain, "411.3333", "ja"), "411.3333kg");
    assert_eq!(display(&scaled, "411.33", "ja"), "$411.33");
    assert_eq!(display(&scaled, "-1234567.5", "en"), "$-1,234,567.50");
    assert_eq!(display(&digit, "1234617", "ja"), "1,234,617");
    assert_eq!(display(&digit, "", "ja"), "");
}

#[test]
fn duration_and_date_displays() {
    let hm = calc("H", "x", "HOUR_MINUTE");
    let dhm = calc("D", "x", "DAY_HOUR_MINUTE");
    assert_eq!(display(&hm, "93780", "ja"), "26時間3分");
    assert_eq!(display(&hm, "93780", "en"), "26 hours 3 minutes");
    assert_eq!(display(&hm, "3660", "en-US"), "1 hour 1 minute");
    assert_eq!(display(&dhm, "93780", "ja"), "1日2時間3分");
    assert_eq!(display(&dhm, "93780", "en"), "1 day 2 hours 3 minutes");
    assert_eq!(display(&hm, "-5400", "ja"), "-1時間30分");
    let date = calc("X", "x", "DATE");
    assert_eq!(display(&date, "2026-04-15", "ja"), "2026-04-15");
    let text = prop(FieldType::SingleLineText, "T");
    assert_eq!(display(&text, "1234", "ja"), "1234");
}

#[test]
fn check_box_and_row_contains_in_records() {
    let def = app(vec![
        prop(FieldType::CheckBox, "オプション"),
        calc(
            "料金",
            "IF(CONTAINS(オプション, \"保険\"), 1000, 0) + IF(CONTAINS(種別, \"特急\"), 500, 0)",
            "NUMBER",
        ),
        table(
            "明細",
            vec![
                prop(FieldType::MultiSelect, "種別"),
                calc("行料金", "IF(CONTAINS(種別, \"特急\"), 2, 1)", "NUMBER"),
            ],
        ),
    ]);
    assert!(
        check_definition(&def).is_empty(),
        "{:?}",
        check_definition(&def)
    );
    let out = compute(
        &def,
        json!({"オプション": ["保険", "朝食"], "明細": [
            {"id": "1", "value": {"種別": {"value": ["普通"]}}},
            {"id": "2", "value": {"種別": {"value": ["特急"]}}}
        ]}),
    );
    assert_eq!(out["料金"], "1500");
    assert_eq!(out["明細"][0]["value"]["行料金"]["value"], "1");
    assert_eq!(out["明細"][1]["value"]["行料金"]["value"], "2");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "1",
        "0",
        "2.5",
        "-",
        "+",
        "*",
        "/",
        "^",
        "&",
        "=",
        "<>",
        "<=",
        ">",
        "(",
        ")",
        ",",
        "\"s\"",
        "A",
        "B",
        "SUM(",
        "IF(",
        "AND(",
        "OR(",
        "NOT(",
        "ROUND(",
        "ROUNDUP(",
        "ROUNDDOWN(",
        "YEN(",
        "CONTAINS(",
        "DATE_FORMAT(",
        "\"YYYY-MM-dd HH:mm a Z z 'q'\"",
        "\"Asia/Tokyo\"",
        "\"system\"",
        "99999999999999",
        "0.0000001",
        "-40",
        "40",
    ];

    fn run(expr: &str) {
        if let Ok(f) = Formula::parse(expr) {
            let _ = f.references();
            let fields = Fields(
                [
                    ("A".to_owned(), Value::Number(Decimal::from(7))),
                    (
                        "B".to_owned(),
                        Value::Column(vec![Value::Empty, Value::Number(Decimal::MAX)]),
                    ),
                ]
                .into_iter()
                .collect(),
            );
            let _ = evaluate(&f, &fields, Tz::UTC);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(expr in "\\PC{0,200}") {
            run(&expr);
        }

        #[test]
        fn token_soup_never_panics(pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..60)) {
            run(&pieces.concat());
        }

        #[test]
        fn records_never_panic(expr in "[A-Z0-9+*/^&(),.\" -]{0,40}", a in "\\PC{0,12}") {
            let def = app(vec![prop(FieldType::Number, "A"), calc("C", &expr, "DATETIME")]);
            let mut values = record(json!({"A": a}));
            compute_record(&def, &mut values, Tz::UTC);
            let _ = check_definition(&def);
            let v = values.get("C").and_then(Json::as_str).unwrap_or_default().to_owned();
            let _ = display(&calc("C", &expr, "DAY_HOUR_MINUTE"), &v, "en");
        }
    }
}
