use chrono::NaiveDate;
use std::io::Write;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Table, TableColumn, Workbook};

use super::*;
use crate::error::{EngineError, UserError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The message key and English text of a `sheet` validation error.
fn sheet_error<T: std::fmt::Debug>(result: EngineResult<T>) -> (String, String) {
    match result {
        Err(EngineError::User(UserError::Validation(errors))) => {
            let message = &errors["sheet"][0];
            (
                message.key().unwrap_or_default().to_owned(),
                message.text().to_owned(),
            )
        }
        other => panic!("expected a sheet validation error, got {other:?}"),
    }
}

/// A table template: a title row, the header in row 3 (市町村名, 調査日, 備考, 世帯数) and an
/// example row 4 whose values give the kinds.
fn table_template(path: &Path) -> TestResult {
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy/mm/dd");
    let sheet = book.add_worksheet();
    sheet.set_name("回答")?;
    sheet.write_string(0, 0, "令和7年度 世帯数調査")?;
    for (col, header) in ["市町村名", "調査日", "備考", "世帯数"].iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    sheet.write_string(3, 0, "例：青葉市")?;
    sheet.write_datetime_with_format(3, 1, ExcelDateTime::from_ymd(2025, 4, 1)?, &date_format)?;
    sheet.write_number(3, 3, 1234.0)?;
    book.save(path)?;
    Ok(())
}

fn table_spec() -> SheetSpec {
    SheetSpec {
        template_file_key: "key".to_owned(),
        template_name: "template.xlsx".to_owned(),
        mode: SheetMode::Table {
            sheet: "回答".to_owned(),
            header_row: 3,
            columns: vec![
                SheetColumn {
                    header: "市町村名".to_owned(),
                    kind: ColumnKind::Text,
                },
                SheetColumn {
                    header: "調査日".to_owned(),
                    kind: ColumnKind::Date,
                },
                SheetColumn {
                    header: "備考".to_owned(),
                    kind: ColumnKind::Text,
                },
                SheetColumn {
                    header: "世帯数".to_owned(),
                    kind: ColumnKind::Number,
                },
            ],
        },
    }
}

/// A filled answer: `sheet_name`, `headers` in row 3 (or `header_row`), and four data rows,
/// then an empty row and a stray note below it.
fn table_answer(path: &Path, sheet_name: &str, headers: &[&str], header_row: u32) -> TestResult {
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy/mm/dd");
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    sheet.write_string(0, 0, "令和7年度 世帯数調査")?;
    let h = header_row - 1;
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(h, col as u16, *header)?;
    }
    // Row h+2 (Excel): numbers and a real date.
    sheet.write_string(h + 1, 0, "青葉市")?;
    sheet.write_datetime_with_format(
        h + 1,
        1,
        ExcelDateTime::from_ymd(2025, 4, 2)?,
        &date_format,
    )?;
    sheet.write_number(h + 1, 3, 5210.0)?;
    // Numbers and dates typed as text.
    sheet.write_string(h + 2, 0, "若葉町")?;
    sheet.write_string(h + 2, 1, "2025/4/3")?;
    sheet.write_string(h + 2, 2, "速報値")?;
    sheet.write_string(h + 2, 3, "1,234")?;
    sheet.write_string(h + 3, 0, "緑村")?;
    sheet.write_string(h + 3, 1, "２０２５－０４－０４")?;
    sheet.write_string(h + 3, 3, "１２")?;
    // A number column with text, a date column with a word.
    sheet.write_string(h + 4, 0, "東山市")?;
    sheet.write_string(h + 4, 1, "未定")?;
    sheet.write_string(h + 4, 3, "abc")?;
    // Row h+6 is empty: reading stops there.
    sheet.write_string(h + 6, 0, "メモ：提出済み")?;
    book.save(path)?;
    Ok(())
}

fn write_zip(path: &Path, entries: &[(&str, &[u8])]) -> TestResult {
    let file = std::fs::File::create(path)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in entries {
        zip.start_file(*name, options)?;
        zip.write_all(body)?;
    }
    zip.finish()?;
    Ok(())
}

fn temp() -> Result<(tempfile::TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("book.xlsx");
    Ok((dir, path))
}

#[test]
fn inspects_a_table_template() -> TestResult {
    let (_dir, path) = temp()?;
    table_template(&path)?;
    let mode = inspect_template(&path, None)?;
    assert_eq!(mode, table_spec().mode);
    assert_eq!(inspect_template(&path, Some("table"))?, table_spec().mode);
    let (key, _) = sheet_error(inspect_template(&path, Some("cells")));
    assert_eq!(key, "surveys.sheet.err.no_names");
    Ok(())
}

#[test]
fn inspects_the_sheet_of_an_excel_table() -> TestResult {
    let (_dir, path) = temp()?;
    let mut book = Workbook::new();
    let first = book.add_worksheet();
    first.set_name("記入要領")?;
    first.write_string(0, 0, "記入の仕方")?;
    first.write_string(0, 1, "このシートは読みません")?;
    let second = book.add_worksheet();
    second.set_name("調査表")?;
    second.write_string(1, 1, "施設名")?;
    second.write_string(1, 2, "定員")?;
    second.write_string(2, 1, "例")?;
    second.write_number(2, 2, 30)?;
    let table = Table::new().set_columns(&[
        TableColumn::new().set_header("施設名"),
        TableColumn::new().set_header("定員"),
    ]);
    second.add_table(1, 1, 5, 2, &table)?;
    book.save(&path)?;
    let mode = inspect_template(&path, None)?;
    assert_eq!(
        mode,
        SheetMode::Table {
            sheet: "調査表".to_owned(),
            header_row: 2,
            columns: vec![
                SheetColumn {
                    header: "施設名".to_owned(),
                    kind: ColumnKind::Text
                },
                SheetColumn {
                    header: "定員".to_owned(),
                    kind: ColumnKind::Number
                },
            ],
        }
    );
    Ok(())
}

#[test]
fn reads_a_good_table_answer_with_problems_beside_the_rows() -> TestResult {
    let (_dir, path) = temp()?;
    table_answer(&path, "回答", &["市町村名", "調査日", "備考", "世帯数"], 3)?;
    let answer = read_answer(&table_spec(), &path)?;
    let text = |s: &str| Cell::Text(s.to_owned());
    assert_eq!(
        answer.rows,
        vec![
            vec![
                text("青葉市"),
                Cell::Date(date(2025, 4, 2)),
                Cell::Empty,
                Cell::Number(5210.0)
            ],
            vec![
                text("若葉町"),
                Cell::Date(date(2025, 4, 3)),
                text("速報値"),
                Cell::Number(1234.0)
            ],
            vec![
                text("緑村"),
                Cell::Date(date(2025, 4, 4)),
                Cell::Empty,
                Cell::Number(12.0)
            ],
            vec![text("東山市"), text("未定"), Cell::Empty, text("abc")],
        ]
    );
    assert_eq!(
        answer.problems,
        vec![
            CellProblem {
                cell: "B7".to_owned(),
                column: "調査日".to_owned(),
                value: "未定".to_owned(),
                expected: ColumnKind::Date,
            },
            CellProblem {
                cell: "D7".to_owned(),
                column: "世帯数".to_owned(),
                value: "abc".to_owned(),
                expected: ColumnKind::Number,
            },
        ]
    );
    Ok(())
}

#[test]
fn finds_the_header_a_few_rows_down() -> TestResult {
    let (_dir, path) = temp()?;
    table_answer(&path, "回答", &["市町村名", "調査日", "備考", "世帯数"], 5)?;
    let answer = read_answer(&table_spec(), &path)?;
    assert_eq!(answer.rows.len(), 4);
    assert_eq!(answer.problems[1].cell, "D9");
    Ok(())
}

#[test]
fn refuses_a_wrong_sheet_name() -> TestResult {
    let (_dir, path) = temp()?;
    table_answer(
        &path,
        "Sheet1",
        &["市町村名", "調査日", "備考", "世帯数"],
        3,
    )?;
    let (key, text) = sheet_error(read_answer(&table_spec(), &path));
    assert_eq!(key, "surveys.sheet.err.sheet_missing");
    assert!(
        text.contains("\"回答\"") && text.contains("「Sheet1」"),
        "{text}"
    );
    Ok(())
}

#[test]
fn refuses_renamed_missing_and_added_columns_naming_them() -> TestResult {
    let (_dir, path) = temp()?;
    table_answer(
        &path,
        "回答",
        &["市町村名", "調査日", "備考", "世帯の数"],
        3,
    )?;
    let (key, text) = sheet_error(read_answer(&table_spec(), &path));
    assert_eq!(key, "surveys.sheet.err.columns");
    assert!(
        text.contains("Missing: 「世帯数」") && text.contains("Not in the template: 「世帯の数」"),
        "{text}"
    );

    table_answer(&path, "回答", &["市町村名", "備考", "調査日", "世帯数"], 3)?;
    let (_, text) = sheet_error(read_answer(&table_spec(), &path));
    assert!(
        text.contains("Missing: —")
            && text.contains("This file: 「市町村名」「備考」「調査日」「世帯数」"),
        "{text}"
    );

    table_answer(
        &path,
        "回答",
        &["市町村名", "調査日", "備考", "世帯数", "人口"],
        3,
    )?;
    let (_, text) = sheet_error(read_answer(&table_spec(), &path));
    assert!(text.contains("Not in the template: 「人口」"), "{text}");
    Ok(())
}

#[test]
fn header_cells_compare_after_nfkc_and_whitespace_folding() -> TestResult {
    let (_dir, path) = temp()?;
    table_answer(&path, "回答", &["市町村名 ", "調査日", "備考", "世帯数"], 3)?;
    assert_eq!(read_answer(&table_spec(), &path)?.rows.len(), 4);
    Ok(())
}

fn named_template(path: &Path, define: &[(&str, &str)], values: bool) -> TestResult {
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy/mm/dd");
    let sheet = book.add_worksheet();
    sheet.set_name("調査票")?;
    sheet.write_string(1, 0, "団体名")?;
    sheet.write_string(2, 0, "職員数")?;
    sheet.write_string(3, 0, "基準日")?;
    if values {
        sheet.write_string(1, 1, "青葉市")?;
        sheet.write_string(2, 1, "多い")?;
        sheet.write_string(3, 1, "2025年4月1日")?;
    } else {
        sheet.write_number(2, 1, 0)?;
        sheet.write_datetime_with_format(
            3,
            1,
            ExcelDateTime::from_ymd(2025, 4, 1)?,
            &date_format,
        )?;
    }
    for (name, target) in define {
        book.define_name(*name, target)?;
    }
    book.save(path)?;
    Ok(())
}

const NAMES: &[(&str, &str)] = &[
    ("基準日", "=調査票!$B$4"),
    ("団体名", "=調査票!$B$2"),
    ("職員数", "=調査票!$B$3"),
];

#[test]
fn inspects_and_reads_named_cells() -> TestResult {
    let (_dir, path) = temp()?;
    named_template(&path, NAMES, false)?;
    let mode = inspect_template(&path, None)?;
    let cell = |name: &str, cell: &str, kind| NamedCell {
        name: name.to_owned(),
        cell: cell.to_owned(),
        kind,
    };
    assert_eq!(
        mode,
        SheetMode::Cells {
            sheet: "調査票".to_owned(),
            cells: vec![
                cell("団体名", "B2", ColumnKind::Text),
                cell("職員数", "B3", ColumnKind::Number),
                cell("基準日", "B4", ColumnKind::Date),
            ],
        }
    );
    let spec = SheetSpec {
        template_file_key: String::new(),
        template_name: String::new(),
        mode,
    };
    named_template(&path, NAMES, true)?;
    let answer = read_answer(&spec, &path)?;
    assert_eq!(
        answer.rows,
        vec![vec![
            Cell::Text("青葉市".to_owned()),
            Cell::Text("多い".to_owned()),
            Cell::Date(date(2025, 4, 1)),
        ]]
    );
    assert_eq!(answer.problems.len(), 1);
    assert_eq!(answer.problems[0].cell, "B3");
    assert_eq!(answer.problems[0].expected, ColumnKind::Number);

    named_template(&path, &NAMES[..2], true)?;
    let (key, text) = sheet_error(read_answer(&spec, &path));
    assert_eq!(key, "surveys.sheet.err.names_missing");
    assert!(text.contains("「職員数」"), "{text}");
    Ok(())
}

#[test]
fn refuses_macros_encryption_legacy_and_other_files() -> TestResult {
    let (_dir, path) = temp()?;
    let content_types: &[u8] =
        b"<Types><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>";
    write_zip(
        &path,
        &[
            ("[Content_Types].xml", content_types),
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/vbaProject.bin", b"\x00\x01macro"),
        ],
    )?;
    assert_eq!(
        sheet_error(inspect_template(&path, None)).0,
        "surveys.sheet.err.macro"
    );

    let xlsm_types: &[u8] = b"<Types><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/></Types>";
    write_zip(
        &path,
        &[
            ("[Content_Types].xml", xlsm_types),
            ("xl/workbook.xml", b"<workbook/>"),
        ],
    )?;
    assert_eq!(
        sheet_error(read_answer(&table_spec(), &path)).0,
        "surveys.sheet.err.macro"
    );

    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.extend(vec![0u8; 504]);
    std::fs::write(&path, &cfb)?;
    assert_eq!(
        sheet_error(inspect_template(&path, None)).0,
        "surveys.sheet.err.legacy_xls"
    );
    cfb.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&path, &cfb)?;
    assert_eq!(
        sheet_error(read_answer(&table_spec(), &path)).0,
        "surveys.sheet.err.encrypted"
    );

    std::fs::write(&path, "市町村名,世帯数\n青葉市,5210\n")?;
    assert_eq!(
        sheet_error(inspect_template(&path, None)).0,
        "surveys.sheet.err.not_xlsx"
    );
    write_zip(&path, &[("word/document.xml", b"<w:document/>")])?;
    assert_eq!(
        sheet_error(inspect_template(&path, None)).0,
        "surveys.sheet.err.not_xlsx"
    );
    // A broken zip behind the right magic.
    std::fs::write(&path, b"PK\x03\x04 not really a zip")?;
    assert_eq!(
        sheet_error(inspect_template(&path, None)).0,
        "surveys.sheet.err.not_xlsx"
    );

    let big = std::fs::File::create(&path)?;
    big.set_len(guard::MAX_FILE_BYTES + 1)?;
    assert_eq!(
        sheet_error(inspect_template(&path, None)).0,
        "surveys.sheet.err.too_large"
    );
    Ok(())
}

/// A zip with a 300 MB run of zeros (written streaming: the test holds 1 MB) is refused from its
/// directory; a 20 MB run (ratio about 1000:1) for its ratio.
#[test]
fn refuses_zip_bombs() -> TestResult {
    let (_dir, path) = temp()?;
    for mib in [300u64, 20] {
        let file = std::fs::File::create(&path)?;
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("[Content_Types].xml", options)?;
        zip.write_all(b"<Types/>")?;
        zip.start_file("xl/workbook.xml", options)?;
        zip.write_all(b"<workbook/>")?;
        zip.start_file("xl/worksheets/sheet1.xml", options)?;
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..mib {
            zip.write_all(&zeros)?;
        }
        zip.finish()?;
        assert!(std::fs::metadata(&path)?.len() < 2 * 1024 * 1024);
        assert_eq!(
            sheet_error(read_answer(&table_spec(), &path)).0,
            "surveys.sheet.err.bomb"
        );
    }
    Ok(())
}

#[test]
fn a_stray_far_cell_costs_nothing() -> TestResult {
    let (_dir, path) = temp()?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回答")?;
    for (col, header) in ["市町村名", "調査日", "備考", "世帯数"].iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    sheet.write_string(3, 0, "青葉市")?;
    // A dense read of this sheet would allocate 1,048,576 × 16,384 cells.
    sheet.write_string(1_048_575, 16_383, "x")?;
    book.save(&path)?;
    let answer = read_answer(&table_spec(), &path)?;
    assert_eq!(answer.rows.len(), 1);
    Ok(())
}

#[test]
fn parses_numbers_dates_and_references() {
    assert_eq!(parse_number_text("1,234"), Some(1234.0));
    assert_eq!(parse_number_text(" －５．５ "), Some(-5.5));
    assert_eq!(parse_number_text("−3"), Some(-3.0));
    assert_eq!(parse_number_text("abc"), None);
    assert_eq!(parse_number_text("inf"), None);
    assert_eq!(parse_number_text("1.2.3"), None);
    assert_eq!(parse_date_text("2025/4/1"), Some(date(2025, 4, 1)));
    assert_eq!(
        parse_date_text("2025-04-01 00:00:00"),
        Some(date(2025, 4, 1))
    );
    assert_eq!(parse_date_text("2025年4月1日"), Some(date(2025, 4, 1)));
    assert_eq!(parse_date_text("2025/2/30"), None);
    assert_eq!(parse_date_text("R7.4.1"), None);
    assert_eq!(cell_ref(6, 3), "D7");
    assert_eq!(cell_ref(0, 26), "AA1");
    assert_eq!(cell_ref(1_048_575, 16_383), "XFD1048576");
    assert_eq!(parse_cell_ref("AA1"), Some((0, 26)));
    assert_eq!(parse_cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
    assert_eq!(parse_cell_ref("A0"), None);
    assert_eq!(
        parse_single_cell("'It''s'!$C$4"),
        Some(("It's".to_owned(), (3, 2)))
    );
    assert_eq!(parse_single_cell("Sheet1!$C$4:$D$5"), None);
    assert_eq!(format_number(12.0), "12");
    assert_eq!(format_number(0.1), "0.1");
}

#[test]
fn spec_json_shape() -> TestResult {
    let json = serde_json::to_value(table_spec())?;
    assert_eq!(json["mode"], "table");
    assert_eq!(json["headerRow"], 3);
    assert_eq!(json["templateFileKey"], "key");
    assert_eq!(json["columns"][3]["kind"], "NUMBER");
    let back: SheetSpec = serde_json::from_value(json)?;
    assert_eq!(back, table_spec());
    let cell = serde_json::to_value(Cell::Date(date(2025, 4, 1)))?;
    assert_eq!(
        cell,
        serde_json::json!({"type": "DATE", "value": "2025-04-01"})
    );
    Ok(())
}

#[test]
fn merged_workbook_reads_back_typed_with_problems() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("merged.xlsx");
    let spec = table_spec();
    let text = |s: &str| Cell::Text(s.to_owned());
    let answers = vec![
        (
            "青葉市".to_owned(),
            SheetAnswer {
                rows: vec![vec![
                    text("本庁"),
                    Cell::Date(date(2025, 4, 2)),
                    Cell::Empty,
                    Cell::Number(5210.0),
                ]],
                problems: vec![],
            },
        ),
        (
            "東山市".to_owned(),
            SheetAnswer {
                rows: vec![
                    vec![
                        text("北支所"),
                        text("未定"),
                        Cell::Empty,
                        Cell::Number(12.5),
                    ],
                    vec![text("南支所"), Cell::Empty, text("注"), text("abc")],
                ],
                problems: vec![CellProblem {
                    cell: "D7".to_owned(),
                    column: "世帯数".to_owned(),
                    value: "abc".to_owned(),
                    expected: ColumnKind::Number,
                }],
            },
        ),
    ];
    write_merged_sheet(&spec, answers, &out)?;
    let mut book: Xlsx<_> = calamine::open_workbook(&out)?;
    assert_eq!(
        book.sheet_names(),
        vec!["回答".to_owned(), "問題".to_owned()]
    );
    let rows = book.worksheet_range("回答")?;
    assert_eq!(rows.get((0, 0)), Some(&Data::String("組織".to_owned())));
    assert_eq!(rows.get((0, 4)), Some(&Data::String("世帯数".to_owned())));
    assert_eq!(rows.get((1, 0)), Some(&Data::String("青葉市".to_owned())));
    assert_eq!(rows.get((1, 4)), Some(&Data::Float(5210.0)));
    match rows.get((1, 2)) {
        Some(Data::DateTime(dt)) => assert_eq!(dt.to_ymd_hms_milli().0, 2025),
        other => panic!("a date cell, got {other:?}"),
    }
    assert_eq!(rows.get((1, 3)), Some(&Data::Empty));
    assert_eq!(rows.get((3, 0)), Some(&Data::String("東山市".to_owned())));
    assert_eq!(rows.get((3, 4)), Some(&Data::String("abc".to_owned())));
    assert_eq!(rows.height(), 4);
    let problems = book.worksheet_range("問題")?;
    let row: Vec<String> = (0..5)
        .map(|c| {
            problems
                .get((1, c))
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(row, ["東山市", "D7", "世帯数", "abc", "数値"]);
    Ok(())
}

/// The template's own extras: a note beside the header after a gap, and a prepared formula on
/// every row of the table (a 計 column showing 0), which does not make a row an answer.
#[test]
fn notes_beside_the_header_and_prepared_formulas_are_not_answers() -> TestResult {
    let (_dir, path) = temp()?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回答")?;
    for (col, header) in ["市町村名", "調査日", "備考", "世帯数"].iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    sheet.write_string(2, 5, "※単位：世帯")?;
    sheet.write_string(3, 0, "青葉市")?;
    sheet.write_number(3, 3, 10)?;
    for row in 3..40 {
        sheet.write_formula(
            row,
            2,
            rust_xlsxwriter::Formula::new("=D4*0").set_result("0"),
        )?;
    }
    book.save(&path)?;
    let answer = read_answer(&table_spec(), &path)?;
    assert_eq!(answer.rows.len(), 1);
    assert_eq!(answer.rows[0][2], Cell::Text("0".to_owned()));
    Ok(())
}

#[test]
fn a_mismatch_describes_the_header_row_most_like_the_template() -> TestResult {
    let (_dir, path) = temp()?;
    table_answer(&path, "回答", &["市町村名", "調査日", "備考", "戸数"], 6)?;
    let (_, text) = sheet_error(read_answer(&table_spec(), &path));
    assert!(
        text.contains("(row 6)")
            && text.contains("Missing: 「世帯数」. Not in the template: 「戸数」"),
        "{text}"
    );
    Ok(())
}

#[test]
fn checks_a_layout_from_a_client() {
    assert!(check_mode(&table_spec().mode).is_ok());
    let mut mode = table_spec().mode;
    if let SheetMode::Table {
        header_row,
        columns,
        ..
    } = &mut mode
    {
        *header_row = 0;
        columns.clear();
    }
    assert!(check_mode(&mode).is_err());
    let cells = |cell: &str| SheetMode::Cells {
        sheet: "調査票".to_owned(),
        cells: vec![NamedCell {
            name: "団体名".to_owned(),
            cell: cell.to_owned(),
            kind: ColumnKind::Text,
        }],
    };
    assert!(check_mode(&cells("B2")).is_ok());
    assert!(check_mode(&cells("B2:C3")).is_err());
}

/// A sheet at the row cap (10,000 rows × 10 columns) is read whole, every row kept.
#[test]
fn a_sheet_at_the_row_cap_is_read_whole() -> TestResult {
    let (_dir, path) = temp()?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回答")?;
    let mut spec = table_spec();
    if let SheetMode::Table { columns, .. } = &mut spec.mode {
        for i in 0..6 {
            columns.push(SheetColumn {
                header: format!("項目{i}"),
                kind: ColumnKind::Number,
            });
        }
    }
    for (col, (header, _)) in spec.mode.columns().iter().enumerate() {
        sheet.write_string(2, col as u16, header)?;
    }
    for row in 3..(3 + MAX_ROWS) {
        sheet.write_string(row, 0, format!("施設{row}"))?;
        sheet.write_string(row, 1, "2025/4/1")?;
        sheet.write_string(row, 2, "備考")?;
        for col in 3..10u16 {
            sheet.write_number(row, col, f64::from(row))?;
        }
    }
    book.save(&path)?;
    let answer = read_answer(&spec, &path)?;
    assert_eq!(answer.rows.len(), MAX_ROWS as usize);
    Ok(())
}

#[test]
fn refuses_more_rows_than_the_cap_rather_than_cutting_them() -> TestResult {
    let (_dir, path) = temp()?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回答")?;
    for (col, header) in ["市町村名", "調査日", "備考", "世帯数"].iter().enumerate() {
        sheet.write_string(2, col as u16, *header)?;
    }
    for row in 3..(3 + MAX_ROWS + 1) {
        sheet.write_number(row, 3, f64::from(row))?;
    }
    book.save(&path)?;
    let (key, _) = sheet_error(read_answer(&table_spec(), &path));
    assert_eq!(key, "surveys.sheet.err.too_many_rows");
    Ok(())
}
