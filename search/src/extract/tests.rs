use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn repo_file(relative: &str) -> Result<Vec<u8>, std::io::Error> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", relative]
        .iter()
        .collect();
    std::fs::read(path)
}

fn archive_file(name: &str) -> Result<Vec<u8>, std::io::Error> {
    repo_file(&format!("apps-examples/document-archive/files/{name}"))
}

fn extract(name: &str, bytes: Vec<u8>) -> Result<Extracted, ExtractError> {
    extract_text(name, "", bytes, &ExtractLimits::default())
}

/// The extracted text, with the whitespace dropped, contains every needle.
fn assert_contains(extracted: &Extracted, needles: &[&str]) {
    let compact: String = extracted
        .text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for needle in needles {
        assert!(
            compact.contains(needle),
            "{needle:?} not in {:?}",
            extracted.text
        );
    }
}

#[test]
fn detects_by_extension_content_type_and_magic() {
    assert_eq!(detect("a.PDF", "", b""), FileKind::Pdf);
    assert_eq!(detect("noname", "", b"%PDF-1.7\n"), FileKind::Pdf);
    assert_eq!(detect("scan.bin", "", b"%PDF-1.4"), FileKind::Pdf);
    assert_eq!(detect("報告.docx", "", b"PK\x03\x04"), FileKind::Docx);
    assert_eq!(
        detect("a", "application/vnd.oasis.opendocument.spreadsheet", b"PK"),
        FileKind::Spreadsheet
    );
    assert_eq!(detect("a.xls", "", b""), FileKind::Spreadsheet);
    assert_eq!(
        detect("a.csv", "text/csv; charset=Shift_JIS", b""),
        FileKind::Csv
    );
    assert_eq!(detect("readme", "text/plain", b""), FileKind::Text);
    assert_eq!(detect("memo", "", "お知らせ\n".as_bytes()), FileKind::Text);
    assert_eq!(
        detect(
            "a.doc",
            "application/msword",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
        ),
        FileKind::Unsupported
    );
    assert_eq!(
        detect("photo.jpg", "image/jpeg", b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
        FileKind::Unsupported
    );
    assert_eq!(FileKind::Spreadsheet.label(), "xlsx");
    assert_eq!(FileKind::Text.label(), "txt");
}

#[test]
fn pdf_from_the_archive() -> TestResult {
    let extracted = extract("r8-0002-1.pdf", archive_file("r8-0002-1.pdf")?)?;
    assert_eq!(extracted.kind, FileKind::Pdf);
    assert!(!extracted.truncated);
    assert!(
        extracted.text.chars().filter(|c| is_cjk_char(*c)).count() > 50,
        "{}",
        extracted.text
    );
    // every PDF of the archive gives text
    let dir: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../apps-examples/document-archive/files",
    ]
    .iter()
    .collect();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let extracted = extract(&name, std::fs::read(&path)?)?;
        assert!(
            extracted.text.chars().any(is_cjk_char),
            "{name}: {:?}",
            extracted.text
        );
    }
    Ok(())
}

fn is_cjk_char(c: char) -> bool {
    crate::tokenizer::is_cjk(c)
}

#[test]
fn pdf_text_has_no_spaces_inside_japanese() -> TestResult {
    let extracted = extract("r7-0003-1.pdf", archive_file("r7-0003-1.pdf")?)?;
    assert!(!extracted.text.contains("情 報"), "{}", extracted.text);
    assert_eq!(
        formats::tidy_whitespace("令和 5  年度\n\n kintone で 管理"),
        "令和 5 年度\nkintone で管理"
    );
    Ok(())
}

#[test]
fn docx_from_the_archive() -> TestResult {
    let extracted = extract("r7-0003-2.docx", archive_file("r7-0003-2.docx")?)?;
    assert_eq!(extracted.kind, FileKind::Docx);
    assert_contains(&extracted, &["地方公共団体における情報セキュリティポリシーに関するガイドラインの改定について（通知）"]);
    assert!(extracted.text.lines().count() > 2);
    Ok(())
}

#[test]
fn xlsx_from_the_archive() -> TestResult {
    let extracted = extract("r7-0004-1.xlsx", archive_file("r7-0004-1.xlsx")?)?;
    assert_eq!(extracted.kind, FileKind::Spreadsheet);
    assert!(
        extracted.text.starts_with("調査表様式\n"),
        "{}",
        extracted.text
    );
    assert!(
        extracted.text.contains("団体名\t担当課\t回答者"),
        "{}",
        extracted.text
    );
    Ok(())
}

#[test]
fn ods_and_xls_fixtures() -> TestResult {
    for name in ["roster.ods", "roster.xls"] {
        let bytes = repo_file(&format!("search/tests/fixtures/{name}"))?;
        let extracted = extract(name, bytes)?;
        assert_eq!(extracted.kind, FileKind::Spreadsheet, "{name}");
        assert!(
            extracted.text.starts_with("名簿\n"),
            "{name}: {}",
            extracted.text
        );
        assert!(
            extracted.text.contains("長野市\t市町村課\t12\tﾃﾞｰﾀ連携あり"),
            "{name}: {}",
            extracted.text
        );
        assert!(
            extracted.text.contains("髙森町\t総務課\t3.5\n"),
            "{name}: {}",
            extracted.text
        );
    }
    Ok(())
}

#[test]
fn csv_in_utf8_and_shift_jis() -> TestResult {
    let utf8 = extract("r7-0011-2.csv", archive_file("r7-0011-2.csv")?)?;
    let sjis = extract(
        "参加団体一覧（Shift_JIS）.csv",
        archive_file("r7-0011-3.csv")?,
    )?;
    for extracted in [&utf8, &sjis] {
        assert_eq!(extracted.kind, FileKind::Csv);
        assert!(
            extracted
                .text
                .starts_with("団体名\t参加区分\t電子申請システム"),
            "{}",
            extracted.text
        );
        assert!(extracted.text.contains("長野市\t参加"));
    }
    let quoted = "氏名,所属\n\"佐藤, 花子\",市町村課\n".as_bytes().to_vec();
    assert_eq!(
        extract("a.csv", quoted)?.text,
        "氏名\t所属\n佐藤, 花子\t市町村課\n"
    );
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice("①,㈱,髙,～".as_bytes());
    assert_eq!(extract("a.csv", bom)?.text, "①\t㈱\t髙\t～\n");
    let (sjis_bytes, _, _) = encoding_rs::SHIFT_JIS.encode("①,㈱,髙,～");
    assert_eq!(
        extract("a.csv", sjis_bytes.into_owned())?.text,
        "①\t㈱\t髙\t～\n"
    );
    Ok(())
}

#[test]
fn plain_text() -> TestResult {
    let extracted = extract("r7-0012-2.txt", archive_file("r7-0012-2.txt")?)?;
    assert_eq!(extracted.kind, FileKind::Text);
    assert!(extracted
        .text
        .starts_with("住民基本台帳事務処理要領の一部改正について（通知）"));
    // (EUC-JP half-width katakana, two bytes each, is left out: rare, and ambiguous.)
    for sample in ["住民基本台帳", "お知らせ", "市町村課、長野県。"] {
        let (euc, _, _) = encoding_rs::EUC_JP.encode(sample);
        assert_eq!(extract("a.txt", euc.into_owned())?.text, sample);
    }
    for sample in ["住民基本台帳", "お知らせ", "ﾔﾏﾀﾞ ﾀﾛｳ,山田太郎\nﾃﾞｰﾀ,連携"]
    {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(sample);
        assert_eq!(extract("a.txt", sjis.into_owned())?.text, sample);
    }
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("ﾔﾏﾀﾞ ﾀﾛｳ,1234\nｽｽﾞｷ ﾊﾅｺ,5678\n");
    assert_eq!(
        extract("a.csv", sjis.into_owned())?.text,
        "ﾔﾏﾀﾞ ﾀﾛｳ\t1234\nｽｽﾞｷ ﾊﾅｺ\t5678\n"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("県".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(extract("a.txt", utf16)?.text, "県");
    Ok(())
}

#[test]
fn empty_files() {
    assert_eq!(
        extract("empty.txt", Vec::new()).map(|e| e.text),
        Ok(String::new())
    );
    assert_eq!(
        extract("empty.csv", Vec::new()).map(|e| e.text),
        Ok(String::new())
    );
    for name in ["empty.pdf", "empty.docx", "empty.xlsx"] {
        assert!(
            matches!(
                extract(name, Vec::new()),
                Err(ExtractError::Malformed { .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn malformed_files_give_a_reason() -> TestResult {
    let pdf = archive_file("r8-0002-1.pdf")?;
    for cut in [pdf.len() / 2, pdf.len() - 40, 100, 10] {
        // a truncated PDF may still give some text, or an error, or a contained panic: never a crash
        let outcome = extract("truncated.pdf", pdf[..cut].to_vec());
        if let Err(error) = outcome {
            assert!(!error.to_string().is_empty());
        }
    }
    let mut seed: u32 = 12345;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        })
        .collect();
    for name in [
        "random.pdf",
        "random.docx",
        "random.xlsx",
        "random.ods",
        "random.xls",
    ] {
        match extract(name, random.clone()) {
            Err(ExtractError::Malformed { message, .. }) => assert!(!message.is_empty()),
            Err(ExtractError::Panicked(_)) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    let error = extract("photo.jpg", random.clone()).err();
    assert_eq!(error, Some(ExtractError::Unsupported));
    let limits = ExtractLimits {
        max_input_bytes: 1000,
        ..ExtractLimits::default()
    };
    let error = extract_text("big.pdf", "", random, &limits).err();
    assert_eq!(
        error,
        Some(ExtractError::TooLarge {
            size: 4096,
            limit: 1000
        })
    );
    Ok(())
}

/// A DOCX whose document.xml unpacks to `paragraphs` copies of `paragraph`.
fn bomb_docx(paragraph: &str, paragraphs: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("word/document.xml", options)?;
    zip.write_all(br#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body>"#)?;
    let chunk = paragraph.repeat(1000);
    for _ in 0..paragraphs / 1000 {
        zip.write_all(chunk.as_bytes())?;
    }
    zip.write_all(b"</w:body></w:document>")?;
    zip.finish()?;
    Ok(out.into_inner())
}

#[test]
fn docx_bomb_stops_at_the_caps() -> TestResult {
    // 30 MB of text in a small file: stops at the character cap.
    let text_bomb = bomb_docx(
        "<w:p><w:r><w:t>長野県の市町村課からのお知らせです。</w:t></w:r></w:p>",
        500_000,
    )?;
    assert!(text_bomb.len() < 2_000_000, "{}", text_bomb.len());
    let limits = ExtractLimits {
        max_text_chars: 10_000,
        ..ExtractLimits::default()
    };
    let extracted = extract_text("bomb.docx", "", text_bomb, &limits)?;
    assert!(extracted.truncated);
    assert_eq!(extracted.text.chars().count(), 10_000);
    assert!(extracted
        .text
        .starts_with("長野県の市町村課からのお知らせです。\n"));
    // 50 MB of markup with no text: stops at the unpacked-size cap.
    let markup_bomb = bomb_docx("<w:p><w:r><w:rPr><w:b/></w:rPr></w:r></w:p>", 1_000_000)?;
    let limits = ExtractLimits {
        max_unpacked_bytes: 1_000_000,
        ..ExtractLimits::default()
    };
    let extracted = extract_text("bomb.docx", "", markup_bomb, &limits)?;
    assert!(extracted.truncated);
    assert!(extracted.text.len() < 100_000);
    Ok(())
}

#[test]
fn docx_tables_tabs_breaks_and_entities() -> TestResult {
    let body = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>団体名</w:t></w:r></w:p></w:tc>\
                <w:tc><w:p><w:r><w:t>A&amp;B &#x770C;</w:t></w:r></w:p></w:tc></w:tr></w:tbl>\
                <w:p><w:r><w:t>前</w:t><w:tab/><w:t>後</w:t><w:br/><w:t>次</w:t>\
                <w:delText>削除</w:delText></w:r></w:p>";
    let docx = bomb_docx(body, 1000)?;
    let extracted = extract("t.docx", docx)?;
    assert!(
        extracted
            .text
            .starts_with("団体名\n\tA&B 県\n\t前\t後\n次\n"),
        "{:?}",
        extracted.text
    );
    assert!(!extracted.text.contains("削除"));
    Ok(())
}

#[test]
fn containment_catches_panics_and_abandons_stuck_extractors() {
    let panicked = contained(Duration::from_secs(5), || panic!("boom in the extractor"));
    assert_eq!(
        panicked,
        Err(ExtractError::Panicked("boom in the extractor".to_owned()))
    );
    let stuck = contained(Duration::from_millis(50), || {
        std::thread::sleep(Duration::from_millis(500));
        Err(ExtractError::Unsupported)
    });
    assert_eq!(
        stuck,
        Err(ExtractError::TimedOut(Duration::from_millis(50)))
    );
    let text_cap = ExtractLimits {
        max_text_chars: 3,
        ..ExtractLimits::default()
    };
    let extracted = extract_text("a.txt", "", "長野県庁".as_bytes().to_vec(), &text_cap);
    assert_eq!(
        extracted.map(|e| (e.text, e.truncated)),
        Ok(("長野県".to_owned(), true))
    );
}

#[test]
fn files_saved_by_libreoffice() -> TestResult {
    let needles = [
        "市町村課からのお知らせ（令和7年度）",
        "住民基本台帳の閲覧について",
        "ﾃﾞｰﾀ連携",
        "ＫＩＮＴＯＮＥ",
        "髙森町",
    ];
    for name in ["notice-libreoffice.pdf", "notice-libreoffice.docx"] {
        let extracted = extract(name, repo_file(&format!("search/tests/fixtures/{name}"))?)?;
        assert_contains(&extracted, &needles);
    }
    let bytes = repo_file("search/tests/fixtures/roster-libreoffice.xlsx")?;
    let extracted = extract("roster.xlsx", bytes)?;
    assert!(
        extracted.text.contains("長野市\t市町村課\t12\tﾃﾞｰﾀ連携あり"),
        "{}",
        extracted.text
    );
    Ok(())
}
