use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::error::{EngineError, UserError};
use crate::tabular::write_csv::{encode_shift_jis, looks_like_formula};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn fields() -> serde_json::Value {
    json!({"properties": {
        "note_label": {"type": "LABEL", "label": "説明"},
        "contact": {"type": "SINGLE_LINE_TEXT", "code": "contact", "label": "担当者"},
        "staff": {"type": "NUMBER", "code": "staff", "label": "職員数"},
        "as_of": {"type": "DATE", "code": "as_of", "label": "基準日"},
        "topics": {"type": "CHECK_BOX", "code": "topics", "label": "分野"},
        "approver": {"type": "USER_SELECT", "code": "approver", "label": "確認者"},
        "facilities": {"type": "SUBTABLE", "code": "facilities", "fields": {
            "name": {"type": "SINGLE_LINE_TEXT", "code": "name", "label": "施設名"},
            "capacity": {"type": "NUMBER", "code": "capacity", "label": "定員"}
        }},
        "reported": {"type": "DATETIME", "code": "reported", "label": "報告日時"}
    }})
}

#[test]
fn columns_follow_the_properties_with_subtable_fields_in_place() {
    let columns = answer_columns(&fields());
    let codes: Vec<&str> = columns.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "organisation",
            "contact",
            "staff",
            "as_of",
            "topics",
            "approver",
            "facilities.name",
            "facilities.capacity",
            "reported"
        ]
    );
    assert_eq!(columns[0].label, "組織");
    assert_eq!(columns[6].label, "施設名");
    assert_eq!(columns[2].kind, ColumnKind::Number);
    assert_eq!(columns[3].kind, ColumnKind::Date);
    assert_eq!(columns[7].kind, ColumnKind::Number);
}

#[test]
fn rows_repeat_single_values_per_subtable_row() {
    let values = json!({
        "contact": {"type": "SINGLE_LINE_TEXT", "value": "佐藤"},
        "staff": {"type": "NUMBER", "value": "120"},
        "as_of": {"type": "DATE", "value": "2025-04-01"},
        "topics": {"type": "CHECK_BOX", "value": ["福祉", "教育"]},
        "approver": {"type": "USER_SELECT", "value": [{"code": "sato", "name": "佐藤 花子"}, {"code": "kato", "name": ""}]},
        "facilities": {"type": "SUBTABLE", "value": [
            {"id": "1", "value": {"name": {"type": "SINGLE_LINE_TEXT", "value": "第一保育所"}, "capacity": {"type": "NUMBER", "value": "60"}}},
            {"id": "2", "value": {"name": {"type": "SINGLE_LINE_TEXT", "value": "第二保育所"}, "capacity": {"type": "NUMBER", "value": "多数"}}}
        ]},
        "reported": {"type": "DATETIME", "value": "2025-04-02T01:30:00Z"}
    });
    let rows = answer_rows(&fields(), "青葉市", &values);
    let text = |s: &str| Cell::Text(s.to_owned());
    assert_eq!(
        rows,
        vec![
            vec![
                text("青葉市"),
                text("佐藤"),
                Cell::Number(120.0),
                Cell::Date(date(2025, 4, 1)),
                text("福祉\n教育"),
                text("佐藤 花子\nkato"),
                text("第一保育所"),
                Cell::Number(60.0),
                text("2025-04-02T01:30:00Z"),
            ],
            vec![
                text("青葉市"),
                text("佐藤"),
                Cell::Number(120.0),
                Cell::Date(date(2025, 4, 1)),
                text("福祉\n教育"),
                text("佐藤 花子\nkato"),
                text("第二保育所"),
                text("多数"),
                text("2025-04-02T01:30:00Z"),
            ],
        ]
    );
    // No subtable rows, missing values: one row of the organisation and empties.
    let rows = answer_rows(&fields(), "若葉町", &json!({"staff": {"value": ""}}));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].len(), 9);
    assert_eq!(rows[0][0], text("若葉町"));
    assert!(rows[0][1..].iter().all(|c| *c == Cell::Empty));
}

fn small_table() -> (Vec<ExportColumn>, Vec<Vec<Cell>>) {
    let column = |label: &str, kind| ExportColumn {
        code: label.to_owned(),
        label: label.to_owned(),
        kind,
    };
    (
        vec![
            column("組織", ColumnKind::Text),
            column("人数", ColumnKind::Number),
            column("日付", ColumnKind::Date),
            column("備考", ColumnKind::Text),
        ],
        vec![
            vec![
                Cell::Text("青葉市".to_owned()),
                Cell::Number(12.0),
                Cell::Date(date(2025, 4, 1)),
                Cell::Text("a,\"b\"\n①".to_owned()),
            ],
            vec![
                Cell::Text("髙島町".to_owned()),
                Cell::Number(-0.5),
                Cell::Empty,
                Cell::Text("=1+2".to_owned()),
            ],
        ],
    )
}

#[test]
fn csv_utf8_with_bom_exact_bytes() -> TestResult {
    let (columns, rows) = small_table();
    let mut out = Vec::new();
    write_csv(&columns, rows, CsvEncoding::Utf8Bom, &mut out)?;
    let mut expected = b"\xEF\xBB\xBF".to_vec();
    expected.extend_from_slice(
        "組織,人数,日付,備考\r\n青葉市,12,2025-04-01,\"a,\"\"b\"\"\n①\"\r\n髙島町,-0.5,,'=1+2\r\n"
            .as_bytes(),
    );
    assert_eq!(out, expected);
    Ok(())
}

#[test]
fn csv_shift_jis_exact_bytes() -> TestResult {
    let (columns, rows) = small_table();
    let mut out = Vec::new();
    write_csv(&columns, rows, CsvEncoding::ShiftJis, &mut out)?;
    let mut expected = Vec::new();
    // 組織,人数,日付,備考
    expected.extend_from_slice(
        b"\x91\x67\x90\x44,\x90\x6c\x90\x94,\x93\xfa\x95\x74,\x94\xf5\x8d\x6c\r\n",
    );
    // 青葉市,12,2025-04-01,"a,""b""<LF>①"
    expected
        .extend_from_slice(b"\x90\xc2\x97\x74\x8e\x73,12,2025-04-01,\"a,\"\"b\"\"\n\x87\x40\"\r\n");
    // 髙島町,-0.5,,'=1+2 (髙 as Windows writes it, in the IBM extension block)
    expected.extend_from_slice(b"\xfb\xfc\x93\x87\x92\xac,-0.5,,'=1+2\r\n");
    assert_eq!(out, expected, "{:02x?}", out);
    Ok(())
}

#[test]
fn shift_jis_lists_what_it_cannot_hold_and_stops_writing() -> TestResult {
    let (columns, mut rows) = small_table();
    rows.push(vec![
        Cell::Text("𠮷野町".to_owned()),
        Cell::Empty,
        Cell::Empty,
        Cell::Text("よろしく😀".to_owned()),
    ]);
    rows.push(rows[0].clone());
    let mut out = Vec::new();
    let result = write_csv(&columns, rows, CsvEncoding::ShiftJis, &mut out);
    let Err(EngineError::User(UserError::Validation(errors))) = result else {
        panic!("expected an encoding error, got {result:?}");
    };
    let message = &errors["encoding"][0];
    assert_eq!(message.key(), Some("surveys.export.err.shift_jis"));
    assert!(
        message.text().starts_with("2 characters")
            && message.text().contains("4: 組織 «𠮷» (U+20BB7)")
            && message.text().contains("4: 備考 «😀» (U+1F600)"),
        "{}",
        message.text()
    );
    // The header and the two good rows before the bad one; nothing after it.
    assert_eq!(out.iter().filter(|b| **b == b'\r').count(), 3);
    Ok(())
}

#[test]
fn shift_jis_problems_are_capped_at_twenty_with_the_count() -> TestResult {
    let column = ExportColumn {
        code: "name".to_owned(),
        label: "名前".to_owned(),
        kind: ColumnKind::Text,
    };
    let rows = (0..30).map(|_| vec![Cell::Text("😀".to_owned())]);
    let result = write_csv(&[column], rows, CsvEncoding::ShiftJis, &mut std::io::sink());
    let Err(EngineError::User(UserError::Validation(errors))) = result else {
        panic!("expected an encoding error");
    };
    let message = &errors["encoding"][0];
    assert!(message.text().starts_with("30 characters"));
    assert_eq!(message.text().matches("U+1F600").count(), 20);
    assert_eq!(message.args()[0], ("count", "30".to_owned()));
    Ok(())
}

#[test]
fn windows_31j_characters_encode() {
    // Characters Windows users type: full-width tilde and minus, NEC specials, IBM extensions.
    for text in ["～", "－", "−", "①", "㈱", "№", "髙", "﨑", "∥", "￢", "￡"] {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        encode_shift_jis(text, &mut out, &mut bad);
        assert!(bad.is_empty(), "{text} could not be encoded");
    }
    // What Macs and phones type for the same JIS characters: the bytes Windows writes for them.
    for (text, bytes) in [
        ("〜", [0x81, 0x60]),
        ("‖", [0x81, 0x61]),
        ("—", [0x81, 0x5c]),
        ("¢", [0x81, 0x91]),
        ("£", [0x81, 0x92]),
        ("¬", [0x81, 0xca]),
    ] {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        encode_shift_jis(text, &mut out, &mut bad);
        assert_eq!((out.as_slice(), bad.len()), (bytes.as_slice(), 0), "{text}");
    }
}

#[test]
fn formula_guard() {
    assert!(looks_like_formula("=SUM(A1)"));
    assert!(looks_like_formula("@cmd"));
    assert!(looks_like_formula("+81 3-1234"));
    assert!(looks_like_formula("-2+3"));
    assert!(!looks_like_formula("-"));
    assert!(!looks_like_formula("-12.5"));
    assert!(!looks_like_formula("青葉市"));
}

#[test]
fn xlsx_keeps_types() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("answers.xlsx");
    let (columns, rows) = small_table();
    write_xlsx(&columns, rows, &out)?;
    let mut book: Xlsx<_> = calamine::open_workbook(&out)?;
    let range = book.worksheet_range("回答")?;
    assert_eq!(range.get((0, 1)), Some(&Data::String("人数".to_owned())));
    assert_eq!(range.get((1, 1)), Some(&Data::Float(12.0)));
    assert!(matches!(range.get((1, 2)), Some(Data::DateTime(_))));
    assert_eq!(range.get((2, 3)), Some(&Data::String("=1+2".to_owned())));
    assert_eq!(range.get((2, 2)), Some(&Data::Empty));
    Ok(())
}
