//! `kumiki-surveys-bench`: the survey benchmark of issue 14 (docs/benchmarks.md, "Surveys").
//! In-process, no HTTP server: it links kumiki-engine and times the use cases the survey APIs call.
//!
//! ```text
//! kumiki-surveys-bench --dir D [--database-url postgres://...] [--runs 5] [--dashboard-runs 50]
//! ```
//! Loads (bulk SQL, deterministic): the sending office (one department, its owner) and 1,800
//! organisations (departments under one parent), each with 2 contact users (3,600 users). Then
//! measures:
//! 1. creating a survey to the 1,800 organisations and sending it (`store::create` +
//!    `broadcast::send` in one transaction: 1,800 answers, 3,600 bell notices), a new survey each
//!    run, goal ≤ 2 s;
//! 2. the owner's dashboard of that survey (`answers::dashboard`), goal p99 ≤ 150 ms;
//! 3. merging 1,800 submitted answer sheets of 50 rows × 10 columns into one XLSX
//!    (`merged::write_merge`, as the export route calls it: answers read a page at a time and
//!    streamed into `sheet::write_merged_sheet`), goal ≤ 10 s and peak RSS ≤ 300 MB. The answers
//!    are stored by bulk SQL as `answers::submit` stores them (state, submitter, `sheet_rows` =
//!    the serialised `Vec<Vec<Cell>>` of `sheet::read_answer`).

use std::time::{Duration, Instant};

use anyhow::Result;
use kumiki_bench::inproc::{self, bulk, exec, proc_status_kb, reset_peak_rss, CommonArgs};
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::db::DbConn;
use kumiki_engine::records::FileStore;
use kumiki_engine::surveys::merged::{self, Format, Part};
use kumiki_engine::surveys::sheet::{Cell, SheetAnswer};
use kumiki_engine::surveys::store::{self, SheetInput, SurveyInput};
use kumiki_engine::surveys::{answers, broadcast, Recipient, DEPARTMENT};
use serde_json::json;

const ORGS: usize = 1_800;
const CONTACTS_PER_ORG: usize = 2;
const SHEET_ROWS: usize = 50;
const OWNER: &str = "owner";

struct Args {
    common: CommonArgs,
    runs: usize,
    dashboard_runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut runs = 5;
    let mut dashboard_runs = 50;
    let common = inproc::parse_args("kumiki-surveys-bench", |flag, value| {
        match flag {
            "--runs" => runs = value.parse()?,
            "--dashboard-runs" => dashboard_runs = value.parse()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(Args {
        common,
        runs,
        dashboard_runs,
    })
}

fn org_code(i: usize) -> String {
    format!("o{i:04}")
}

/// The office, 1,800 organisations and their 3,600 contacts.
fn load(conn: &mut DbConn) -> Result<()> {
    let started = Instant::now();
    let mut users = vec![format!(
        "('{OWNER}', '調査担当', '-', FALSE, 'ja', 'Asia/Tokyo', 0)"
    )];
    for i in 0..ORGS {
        for c in 0..CONTACTS_PER_ORG {
            users.push(format!(
                "('{}-{c}', '団体{i} 担当{c}', '-', FALSE, 'ja', 'Asia/Tokyo', 0)",
                org_code(i)
            ));
        }
    }
    bulk(
        conn,
        "users",
        "code, name, password_hash, is_admin, locale, timezone, created_at",
        &users,
    )?;
    let mut depts = vec![
        "('office', '企画課', NULL, 0)".to_owned(),
        "('orgs', '回答団体', NULL, 1)".to_owned(),
    ];
    depts.extend((0..ORGS).map(|i| format!("('{}', '団体{i}', 'orgs', {i})", org_code(i))));
    bulk(conn, "departments", "code, name, parent_code, sort", &depts)?;
    let mut members = vec![format!("('{OWNER}', 'office', TRUE)")];
    for i in 0..ORGS {
        for c in 0..CONTACTS_PER_ORG {
            members.push(format!("('{0}-{c}', '{0}', TRUE)", org_code(i)));
        }
    }
    bulk(
        conn,
        "user_departments",
        "user_code, department_code, is_primary",
        &members,
    )?;
    exec(conn, "ANALYZE")?;
    println!(
        "loaded {ORGS} organisations with {} contacts in {:.1} s",
        ORGS * CONTACTS_PER_ORG,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn acting_for(conn: &mut DbConn, user: &str) -> Result<ActingContext> {
    let principal = Principal::for_user(conn, user, user, false)?;
    Ok(ActingContext::new(
        principal,
        Channel::Api,
        chrono_tz::Asia::Tokyo,
    ))
}

fn recipients() -> Vec<Recipient> {
    (0..ORGS)
        .map(|i| Recipient {
            kind: DEPARTMENT.into(),
            code: org_code(i),
            contacts: None,
        })
        .collect()
}

/// The ten columns of the answer sheet (Table mode).
fn sheet_columns() -> Vec<(&'static str, &'static str)> {
    vec![
        ("施設名", "TEXT"),
        ("所在地", "TEXT"),
        ("区分", "TEXT"),
        ("開設日", "DATE"),
        ("収容人数", "NUMBER"),
        ("備蓄食料", "NUMBER"),
        ("備蓄飲料水", "NUMBER"),
        ("発電機", "NUMBER"),
        ("連絡先", "TEXT"),
        ("備考", "TEXT"),
    ]
}

fn survey_input(n: usize, template: Option<String>) -> SurveyInput {
    let sheet = template.map(|key| {
        let spec = json!({
            "mode": "table",
            "sheet": "回答",
            "headerRow": 1,
            "columns": sheet_columns()
                .iter()
                .map(|(h, k)| json!({"header": h, "kind": k}))
                .collect::<Vec<_>>(),
        });
        SheetInput {
            file_key: key,
            spec: spec.as_object().cloned().unwrap_or_default(),
        }
    });
    SurveyInput {
        title: Some(format!("令和8年度 避難所調査 {n}")),
        body: Some("<p>各団体の避難所について回答してください。</p>".into()),
        due_at: Some(chrono::Utc::now().timestamp() + 14 * 86_400),
        attachments: Some(Vec::new()),
        fields: Some(json!({
            "避難所数": {"type": "NUMBER", "code": "避難所数", "label": "避難所数"}
        })),
        sheet: Some(sheet),
        recipients: Some(recipients()),
        owners: Some(Vec::new()),
        reminders: Some(vec![3, 0]),
    }
}

/// The 50 rows of one organisation's answer sheet, as `sheet::read_answer` returns them.
fn sheet_answer(org: usize) -> SheetAnswer {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default();
    let rows = (0..SHEET_ROWS)
        .map(|r| {
            let k = (org * 131 + r * 17) as f64;
            vec![
                Cell::Text(format!("団体{org} 避難所{r}")),
                Cell::Text(format!("みどり県架空市{org}町{r}番地")),
                Cell::Text(["小学校", "中学校", "公民館", "体育館"][r % 4].to_owned()),
                Cell::Date(date + chrono::Days::new((r % 300) as u64)),
                Cell::Number(100.0 + k % 900.0),
                Cell::Number(1_000.0 + k % 5_000.0),
                Cell::Number(500.0 + k % 2_000.0),
                Cell::Number((r % 3) as f64),
                Cell::Text(format!("0{}-000-{:04}", 200 + org % 700, r)),
                if r % 7 == 0 {
                    Cell::Text("要耐震点検".into())
                } else {
                    Cell::Empty
                },
            ]
        })
        .collect();
    SheetAnswer {
        rows,
        problems: Vec::new(),
    }
}

fn report(name: &str, goal_ms: f64, mut times: Vec<Duration>) {
    times.sort();
    let pick = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i.min(times.len() - 1)].as_secs_f64() * 1000.0
    };
    let p99 = pick(0.99);
    println!(
        "{name}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms (goal ≤ {goal_ms} ms) {}",
        times.len(),
        pick(0.5),
        p99,
        pick(1.0),
        if p99 <= goal_ms { "OK" } else { "MISSED" }
    );
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let db = args.common.open_database("surveys.db")?;
    let mut conn = db.conn()?;
    load(&mut conn)?;
    let files = FileStore::new(args.common.dir.join("files"))?;
    let owner = acting_for(&mut conn, OWNER)?;

    // 1. Create + send to 1,800 organisations, a new survey each run.
    let mut create_times = Vec::new();
    let mut send_times = Vec::new();
    let mut times = Vec::new();
    let mut last = 0;
    for n in 0..args.runs.max(1) {
        let input = survey_input(n, None);
        let t = Instant::now();
        let id = conn.write_transaction(|c| store::create(c, &owner, &input))?;
        let created = t.elapsed();
        let sent = conn.write_transaction(|c| broadcast::send(c, &owner, id))?;
        times.push(t.elapsed());
        create_times.push(created);
        send_times.push(t.elapsed() - created);
        assert_eq!(sent, ORGS);
        last = id;
    }
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM notifications");
    let written = conn.load::<N>(&b)?.first().map_or(0, |r| r.n);
    println!(
        "bell notices written: {written} ({} surveys × {} contacts expected)",
        args.runs.max(1),
        ORGS * CONTACTS_PER_ORG
    );
    report(
        "  of which store::create (1,800 recipients checked)",
        2000.0,
        create_times,
    );
    report(
        "  of which broadcast::send (1,800 answers, 3,600 notices)",
        2000.0,
        send_times,
    );
    report(
        "create + send a survey to 1,800 organisations",
        2000.0,
        times,
    );

    // 2. The dashboard of the last survey, as its owner.
    let mut times = Vec::new();
    for i in 0..args.dashboard_runs.max(1) {
        let sort = [None, Some("state"), Some("organisation")][i % 3];
        let t = Instant::now();
        let d = answers::dashboard(&mut conn, &owner, last, sort, false)?;
        times.push(t.elapsed());
        assert_eq!(d["answers"].as_array().map_or(0, Vec::len), ORGS);
    }
    report("dashboard of a 1,800-organisation survey", 150.0, times);

    // 3. The merged answer sheet of 1,800 submitted answers of 50 rows.
    let template = files.upload(
        &mut conn,
        "避難所調査票.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"template bytes (not read by the bench)",
        OWNER,
    )?;
    let input = survey_input(99, Some(template));
    let sheet_survey = conn.write_transaction(|c| store::create(c, &owner, &input))?;
    conn.write_transaction(|c| broadcast::send(c, &owner, sheet_survey))?;
    let started = Instant::now();
    let mut b = conn.sql();
    b.push("SELECT id AS n FROM survey_answers WHERE survey_id = ")
        .bind_int(sheet_survey)
        .push(" ORDER BY id");
    let answer_ids: Vec<i64> = conn.load::<N>(&b)?.into_iter().map(|r| r.n).collect();
    let now = chrono::Utc::now().timestamp();
    conn.write_transaction(|c| -> Result<()> {
        for (i, id) in answer_ids.iter().enumerate() {
            let rows = serde_json::to_string(&sheet_answer(i).rows)?;
            let by = format!("{}-0", org_code(i));
            let mut b = c.sql();
            b.push("UPDATE survey_answers SET state = 'submitted', opened_by = ")
                .bind_text(&by)
                .push(", opened_at = ")
                .bind_int(now)
                .push(", saved_by = ")
                .bind_text(&by)
                .push(", saved_at = ")
                .bind_int(now)
                .push(", submitted_by = ")
                .bind_text(&by)
                .push(", submitted_at = ")
                .bind_int(now)
                .push(", sheet_rows = ")
                .bind_text(&rows)
                .push(", sheet_problems = '[]', revision = 2 WHERE id = ")
                .bind_int(*id);
            c.execute(&b)?;
        }
        Ok(())
    })?;
    println!(
        "stored {} submitted answers × {SHEET_ROWS} rows (bulk SQL) in {:.1} s",
        answer_ids.len(),
        started.elapsed().as_secs_f64()
    );
    drop(answer_ids);
    let out = args.common.dir.join("merged.xlsx");
    let rss_before = proc_status_kb("VmRSS:");
    // Resets the peak RSS (VmHWM) so it measures the merge, not the load above.
    reset_peak_rss();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        // What `GET /api/surveys/export?part=sheet&format=xlsx` calls.
        merged::write_merge(
            &mut conn,
            &owner,
            sheet_survey,
            Part::Sheet,
            Format::Xlsx,
            &out,
        )?;
        times.push(t.elapsed());
    }
    let peak = proc_status_kb("VmHWM:");
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "merged workbook: {} rows, {:.1} MB; RSS before {:.0} MB, peak during the merges {:.0} MB (goal ≤ 300 MB) {}",
        ORGS * SHEET_ROWS,
        size as f64 / 1e6,
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0,
        if peak <= 300 * 1024 { "OK" } else { "MISSED" }
    );
    report(
        "merge 1,800 answers × 50 rows into one XLSX",
        10_000.0,
        times,
    );
    Ok(())
}
