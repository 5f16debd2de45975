use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use super::columns::{cell_of, record_rows, ExportColumn};
use crate::fields::FieldType;
use crate::tabular::Cell;

fn column(code: &str, table: Option<&str>, t: FieldType) -> ExportColumn {
    ExportColumn {
        code: code.to_owned(),
        table: table.map(str::to_owned),
        label: code.to_owned(),
        field_type: t,
    }
}

#[test]
fn values_keep_their_types_and_datetimes_move_to_the_readers_zone(
) -> Result<(), Box<dyn std::error::Error>> {
    let tokyo = chrono_tz::Asia::Tokyo;
    assert_eq!(
        cell_of(FieldType::Number, &json!("1234.5"), tokyo),
        Cell::Number(1234.5)
    );
    assert_eq!(cell_of(FieldType::Number, &json!(""), tokyo), Cell::Empty);
    assert_eq!(
        cell_of(FieldType::Date, &json!("2025-04-01"), tokyo),
        Cell::Date(NaiveDate::from_ymd_opt(2025, 4, 1).ok_or("date")?)
    );
    assert_eq!(
        cell_of(FieldType::Datetime, &json!("2025-03-31T15:30:00Z"), tokyo),
        Cell::DateTime(NaiveDateTime::parse_from_str(
            "2025-04-01 00:30",
            "%Y-%m-%d %H:%M"
        )?)
    );
    assert_eq!(
        cell_of(FieldType::CheckBox, &json!(["A", "B"]), tokyo),
        Cell::Text("A\nB".to_owned())
    );
    assert_eq!(
        cell_of(
            FieldType::UserSelect,
            &json!([{"code": "sato", "name": "佐藤"}]),
            tokyo
        ),
        Cell::Text("sato".to_owned())
    );
    Ok(())
}

#[test]
fn subtable_rows_repeat_the_record_cells_and_mark_the_first_row() {
    let columns = vec![
        column("title", None, FieldType::SingleLineText),
        column("item", Some("items"), FieldType::SingleLineText),
        column("qty", Some("items"), FieldType::Number),
    ];
    let record = json!({
        "title": {"type": "SINGLE_LINE_TEXT", "value": "注文"},
        "items": {"type": "SUBTABLE", "value": [
            {"id": "1", "value": {"item": {"type": "SINGLE_LINE_TEXT", "value": "りんご"}, "qty": {"type": "NUMBER", "value": "3"}}},
            {"id": "2", "value": {"item": {"type": "SINGLE_LINE_TEXT", "value": "みかん"}, "qty": {"type": "NUMBER", "value": "5"}}}
        ]}
    });
    let map = record.as_object().cloned().unwrap_or_default();
    let rows = record_rows(&columns, &map, true, chrono_tz::UTC);
    assert_eq!(
        rows,
        vec![
            vec![
                Cell::Text("*".into()),
                Cell::Text("注文".into()),
                Cell::Text("りんご".into()),
                Cell::Number(3.0)
            ],
            vec![
                Cell::Empty,
                Cell::Text("注文".into()),
                Cell::Text("みかん".into()),
                Cell::Number(5.0)
            ],
        ]
    );
}
