//! Public forms end to end in the engine: templates make the apps, residents submit through the
//! system context of channel `PublicForm`, staff read results and the CSV. SQLite by default; with
//! `KUMIKI_TEST_DATABASE_URL` (a PostgreSQL server URL) each test gets a fresh database there.

use chrono::TimeZone;
use serde_json::{json, Map, Value};

use super::*;
use crate::acl::{AppRight, Principal};
use crate::acting::{ActingContext, Channel};
use crate::apps::AppId;
use crate::db::{Database, DbConn};
use crate::error::{EngineError, UserError};

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

/// A migrated database (`db::scratch`): a temp SQLite file, or a fresh PostgreSQL database.
fn db() -> TestResult<(crate::db::scratch::Scratch, Database, DbConn)> {
    let (guard, db) = crate::db::scratch::database("pf")?;
    let conn = db.conn()?;
    Ok((guard, db, conn))
}

fn staff() -> ActingContext {
    ActingContext::system(Channel::Cli, TZ)
}

fn resident() -> ActingContext {
    ActingContext::system(Channel::PublicForm, TZ).with_peer("203.0.113.7", "public_form")
}

/// A template's app and form, published.
fn published(conn: &mut DbConn, template: &str) -> TestResult<(AppId, Form)> {
    let (app, form) = create_from_template(conn, &staff(), template, None)?;
    let form = update_form(
        conn,
        &staff(),
        form.id,
        FormUpdate {
            state: Some(PUBLISHED.into()),
            ..FormUpdate::default()
        },
    )?;
    Ok((app, form))
}

fn values(pairs: &[(&str, Value)]) -> Submission {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert((*k).to_owned(), v.clone());
    }
    Submission {
        values: map,
        lang: "ja".into(),
        copy_to: None,
    }
}

fn event_answer(name: &str) -> Submission {
    values(&[
        ("氏名", json!(name)),
        ("メールアドレス", json!("taro@example.jp")),
        ("参加人数", json!("２")),
    ])
}

fn user_error(e: EngineError) -> UserError {
    match e {
        EngineError::User(u) => u,
        EngineError::Internal(m) => UserError::invalid("internal", m),
    }
}

fn record_count(conn: &mut DbConn, app: AppId) -> TestResult<i64> {
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM records WHERE app_id = ")
        .bind_int(app.0);
    let rows: Vec<crate::db::IntRow> = conn.load(&b)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

fn record_value(conn: &mut DbConn, app: AppId, id: i64) -> TestResult<Map<String, Value>> {
    let live = staff().open_app(conn, app, AppRight::View)?;
    let stored = crate::records::get_record(conn, &live, id)?;
    Ok(crate::records::record_json(&live, &stored, None))
}

fn link(conn: &mut DbConn, form: i64, recipient: &str, mode: &str) -> TestResult<Link> {
    let links = create_links(
        conn,
        &staff(),
        form,
        &[NewLink {
            recipient: recipient.into(),
            prefill: Map::new(),
            mode: mode.into(),
            expires_at: None,
        }],
    )?;
    Ok(links.into_iter().next().ok_or("no link")?)
}

#[test]
fn a_submit_creates_a_record_attributed_to_the_public_form() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "event")?;
    let receipt = submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("山田太郎"),
        None,
    )?;
    let record = record_value(&mut c, app, receipt.record_id)?;
    assert_eq!(record["氏名"]["value"], "山田太郎");
    assert_eq!(
        record["参加人数"]["value"], "2",
        "full-width digits are normalised"
    );
    assert_eq!(record["Created_by"]["value"]["code"], PUBLIC_FORM_USER);
    assert_eq!(get_form(&mut c, &staff(), form.id)?.answer_count, 1);
    // The audit row names the form, not a person.
    let mut b = c.sql();
    b.push("SELECT COUNT(*) AS n FROM audit_log WHERE actor = ")
        .bind_text(&format!("public-form:{}", form.id))
        .push(" AND action = ")
        .bind_text(audit_action::SUBMIT);
    let n: Vec<crate::db::IntRow> = c.load(&b)?;
    assert_eq!(n.first().map(|r| r.n), Some(1));
    Ok(())
}

#[test]
fn the_receipt_is_form_sequence_and_four_characters() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "event")?;
    let first = submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("a"),
        None,
    )?;
    let second = submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("b"),
        None,
    )?;
    for (r, seq) in [(&first, "000001"), (&second, "000002")] {
        let parts: Vec<&str> = r.receipt.split('-').collect();
        assert_eq!(parts.len(), 3, "{}", r.receipt);
        assert_eq!(parts[0], form.id.to_string());
        assert_eq!(parts[1], seq);
        assert_eq!(parts[2].len(), 4);
        assert!(parts[2]
            .chars()
            .all(|ch| ch.is_ascii_uppercase() || ('2'..='9').contains(&ch)));
    }
    Ok(())
}

#[test]
fn invalid_answers_are_keyed_per_field_and_write_nothing() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "event")?;
    let bad = values(&[
        ("氏名", json!("  ")),
        ("メールアドレス", json!("not-an-address")),
        ("参加人数", json!("たくさん")),
        ("電話番号", json!("03-1234-5678")),
    ]);
    let opened = open(&mut c, &resident(), &form.slug, None)?;
    let Err(UserError::FormInvalid(problems)) = validate(&mut c, &opened, &bad) else {
        return Err("validate accepted a bad answer".into());
    };
    let keyed: Vec<(&str, Option<&str>)> = problems
        .iter()
        .map(|p| (p.code.as_str(), p.message.key()))
        .collect();
    assert_eq!(
        keyed,
        [
            ("氏名", Some("public_forms.err.required")),
            ("メールアドレス", Some("public_forms.err.bad_email")),
            ("参加人数", Some("public_forms.err.not_number")),
        ]
    );
    let e = submit(&mut c, &resident(), &form.slug, None, &bad, None)
        .err()
        .ok_or("submitted")?;
    assert!(matches!(user_error(e), UserError::FormInvalid(p) if p.len() == 3));
    assert_eq!(record_count(&mut c, app)?, 0);
    assert_eq!(get_form(&mut c, &staff(), form.id)?.answer_count, 0);
    Ok(())
}

#[test]
fn choices_dates_and_lengths_are_checked() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "facility")?;
    let opened = open(&mut c, &resident(), &form.slug, None)?;
    let answer = values(&[
        ("団体名", json!("囲碁の会")),
        ("代表者氏名", json!("佐藤")),
        ("電話番号", json!("abc")),
        ("施設", json!("屋上")),
        ("利用日", json!("2026/4/31")),
        ("開始時刻", json!("25:00")),
        ("終了時刻", json!("１０:３０")),
        ("利用人数", json!("-3")),
    ]);
    let Err(UserError::FormInvalid(problems)) = validate(&mut c, &opened, &answer) else {
        return Err("accepted".into());
    };
    let keys: Vec<Option<&str>> = problems.iter().map(|p| p.message.key()).collect();
    assert_eq!(
        keys,
        [
            Some("public_forms.err.bad_tel"),
            Some("public_forms.err.not_option"),
            Some("public_forms.err.bad_date"),
            Some("public_forms.err.bad_time"),
            Some("public_forms.err.too_small"),
        ]
    );
    Ok(())
}

#[test]
fn the_max_answers_gate_closes_the_form() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "event")?;
    update_form(
        &mut c,
        &staff(),
        form.id,
        FormUpdate {
            max_answers: Some(Some(1)),
            ..FormUpdate::default()
        },
    )?;
    submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("a"),
        None,
    )?;
    let e = submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("b"),
        None,
    )
    .err()
    .ok_or("second answer accepted")?;
    assert_eq!(user_error(e), UserError::FormClosed);
    assert_eq!(record_count(&mut c, app)?, 1);
    Ok(())
}

#[test]
fn closed_drafts_and_forms_outside_their_window_take_no_answers() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "event")?;
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 12, 6, 9, 0, 0)
        .single()
        .ok_or("time")?;
    let at = resident().at(now);
    let set = |c: &mut DbConn, u: FormUpdate| update_form(c, &staff(), form.id, u);
    let refused = |c: &mut DbConn| -> TestResult<UserError> {
        let e = submit(c, &at, &form.slug, None, &event_answer("a"), None)
            .err()
            .ok_or("accepted")?;
        Ok(user_error(e))
    };
    set(
        &mut c,
        FormUpdate {
            opens_at: Some(Some(now.timestamp() + 60)),
            ..FormUpdate::default()
        },
    )?;
    assert_eq!(refused(&mut c)?, UserError::FormClosed, "not yet open");
    set(
        &mut c,
        FormUpdate {
            opens_at: Some(None),
            closes_at: Some(Some(now.timestamp())),
            ..FormUpdate::default()
        },
    )?;
    assert_eq!(
        refused(&mut c)?,
        UserError::FormClosed,
        "past its closing time"
    );
    set(
        &mut c,
        FormUpdate {
            closes_at: Some(None),
            state: Some(CLOSED.into()),
            ..FormUpdate::default()
        },
    )?;
    assert_eq!(refused(&mut c)?, UserError::FormClosed, "closed");
    set(
        &mut c,
        FormUpdate {
            state: Some(DRAFT.into()),
            ..FormUpdate::default()
        },
    )?;
    assert_eq!(
        refused(&mut c)?,
        UserError::FormNotFound,
        "a draft is not public"
    );
    let e = open(&mut c, &at, "no-such-form", None)
        .err()
        .ok_or("opened")?;
    assert_eq!(user_error(e), UserError::FormNotFound);
    set(
        &mut c,
        FormUpdate {
            state: Some(PUBLISHED.into()),
            ..FormUpdate::default()
        },
    )?;
    submit(&mut c, &at, &form.slug, None, &event_answer("a"), None)?;
    Ok(())
}

#[test]
fn a_one_time_link_answers_once() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "event")?;
    let l = link(&mut c, form.id, "自治会A", ONCE)?;
    let r = submit(
        &mut c,
        &resident(),
        &form.slug,
        Some(&l.token),
        &event_answer("a"),
        None,
    )?;
    let again = submit(
        &mut c,
        &resident(),
        &form.slug,
        Some(&l.token),
        &event_answer("b"),
        None,
    )
    .err()
    .ok_or("second answer accepted")?;
    assert_eq!(user_error(again), UserError::FormLinkUsed);
    let e = open(&mut c, &resident(), &form.slug, Some(&l.token))
        .err()
        .ok_or("opened")?;
    assert_eq!(user_error(e), UserError::FormLinkUsed);
    let listed = list_links(&mut c, &staff(), form.id)?;
    assert_eq!(listed[0].receipt.as_deref(), Some(r.receipt.as_str()));
    assert_eq!(listed[0].record_id, Some(r.record_id));
    // A revoked link opens nothing; a token of another form is unknown.
    let other = link(&mut c, form.id, "自治会B", ONCE)?;
    revoke_links(&mut c, &staff(), form.id, &[other.id])?;
    let e = open(&mut c, &resident(), &form.slug, Some(&other.token))
        .err()
        .ok_or("opened")?;
    assert_eq!(user_error(e), UserError::FormClosed);
    let (_, second) = published(&mut c, "survey")?;
    let e = open(&mut c, &resident(), &second.slug, Some(&l.token))
        .err()
        .ok_or("opened")?;
    assert_eq!(user_error(e), UserError::FormNotFound);
    Ok(())
}

#[test]
fn an_editable_link_updates_the_same_record_and_its_tallies() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "turnout")?;
    let l = link(&mut c, form.id, "第1投票所", EDITABLE)?;
    let answer = |n: &str| {
        values(&[
            ("投票所", json!("第1投票所")),
            ("時刻", json!("09時")),
            ("投票者数", json!(n)),
        ])
    };
    let first = submit(
        &mut c,
        &resident(),
        &form.slug,
        Some(&l.token),
        &answer("120"),
        None,
    )?;
    let opened = open(&mut c, &resident(), &form.slug, Some(&l.token))?;
    assert_eq!(
        opened.current["投票者数"], "120",
        "the page shows the current answer"
    );
    let second = submit(
        &mut c,
        &resident(),
        &form.slug,
        Some(&l.token),
        &answer("150"),
        None,
    )?;
    assert_eq!(first.record_id, second.record_id);
    assert_eq!(first.receipt, second.receipt);
    assert_eq!(record_count(&mut c, app)?, 1);
    assert_eq!(
        record_value(&mut c, app, first.record_id)?["投票者数"]["value"],
        "150"
    );
    let r = results(&mut c, &staff(), form.id)?;
    assert_eq!(r.answers, 1, "an edit does not count again");
    let pivot = r.pivot.ok_or("no pivot")?;
    assert_eq!(pivot.total, 150.0, "the old answer was taken back");
    let count = r
        .questions
        .iter()
        .find(|q| q.code == "時刻")
        .ok_or("時刻")?;
    assert_eq!(
        count.counts.iter().find(|(k, _)| k == "09時"),
        Some(&("09時".into(), 1))
    );
    Ok(())
}

#[test]
fn the_public_form_principal_reaches_only_its_own_app() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "event")?;
    let (other, _) = published(&mut c, "survey")?;
    let acting = ActingContext::new(
        Principal::PublicForm {
            form: form.id,
            app,
            record: None,
        },
        Channel::PublicForm,
        TZ,
    );
    let e = acting
        .open_app(&mut c, other, AppRight::Add)
        .err()
        .ok_or("opened")?;
    assert_eq!(user_error(e), UserError::AppNotFound(other.0.to_string()));
    let e = acting
        .open_app(&mut c, AppId(9999), AppRight::View)
        .err()
        .ok_or("opened")?;
    assert_eq!(user_error(e), UserError::AppNotFound("9999".into()));
    assert!(acting.open_app(&mut c, app, AppRight::Add).is_ok());
    let e = acting
        .open_app(&mut c, app, AppRight::View)
        .err()
        .ok_or("viewed")?;
    assert_eq!(user_error(e), UserError::AppNotFound(app.0.to_string()));
    assert!(acting.open_for_settings(&mut c, app).is_err());
    assert!(acting.visible_apps(&mut c)?.is_empty());
    assert_eq!(acting.audit_actor(), format!("public-form:{}", form.id));
    assert_eq!(acting.user_code(), PUBLIC_FORM_USER);
    // With an editable link's record: that record only.
    let a = submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("a"),
        None,
    )?;
    let b = submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &event_answer("b"),
        None,
    )?;
    let editing = ActingContext::new(
        Principal::PublicForm {
            form: form.id,
            app,
            record: Some(a.record_id),
        },
        Channel::PublicForm,
        TZ,
    );
    let live = editing.open_app(&mut c, app, AppRight::Edit)?;
    assert!(crate::records::get_record(&mut c, &live, a.record_id).is_ok());
    assert!(crate::records::get_record(&mut c, &live, b.record_id).is_err());
    assert!(editing.visible_apps(&mut c)?.is_empty());
    Ok(())
}

#[test]
fn results_count_options_sum_numbers_and_fill_the_pivot() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "turnout")?;
    let reports = [
        ("第1投票所", "07時", "10"),
        ("第1投票所", "08時", "25"),
        ("第2投票所", "07時", "7"),
    ];
    for (station, hour, n) in reports {
        let l = link(&mut c, form.id, station, ONCE)?;
        let s = values(&[
            ("投票所", json!(station)),
            ("時刻", json!(hour)),
            ("投票者数", json!(n)),
        ]);
        submit(&mut c, &resident(), &form.slug, Some(&l.token), &s, None)?;
    }
    let r = results(&mut c, &staff(), form.id)?;
    assert_eq!(r.answers, 3);
    let voters = r
        .questions
        .iter()
        .find(|q| q.code == "投票者数")
        .ok_or("q")?;
    let number = voters.number.as_ref().ok_or("number")?;
    assert_eq!((number.answers, number.sum), (3, 42.0));
    assert_eq!((number.min, number.max), (Some(7.0), Some(25.0)));
    let hours = r.questions.iter().find(|q| q.code == "時刻").ok_or("q")?;
    assert_eq!(hours.counts.len(), 14, "every option, zero included");
    assert_eq!(hours.counts[0], ("07時".into(), 2));
    assert_eq!(hours.counts[1], ("08時".into(), 1));
    let stations = r.questions.iter().find(|q| q.code == "投票所").ok_or("q")?;
    assert_eq!(stations.texts.len(), 3, "latest texts");
    let p = r.pivot.ok_or("pivot")?;
    assert_eq!(p.rows, ["第1投票所", "第2投票所"]);
    assert_eq!(p.columns.len(), 14, "the hour options in order");
    assert_eq!(&p.columns[..2], ["07時", "08時"]);
    assert_eq!(&p.cells[0][..2], [10.0, 25.0]);
    assert_eq!(&p.cells[1][..2], [7.0, 0.0]);
    assert_eq!(p.row_totals, [35.0, 7.0]);
    assert_eq!(&p.column_totals[..2], [17.0, 25.0]);
    assert_eq!(p.total, 42.0);
    assert_eq!(r.by_hour.iter().map(|(_, n)| n).sum::<i64>(), 3);
    Ok(())
}

#[test]
fn survey_counts_multi_choice_and_the_csv_lists_answers() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "survey")?;
    let answers = [
        (
            "30代",
            "満足",
            vec!["子育て", "防災"],
            "公園を増やしてほしい",
        ),
        ("40代", "不満", vec!["防災"], "=SUM(A1), \"引用\""),
    ];
    for (age, sat, interests, text) in &answers {
        let s = values(&[
            ("年代", json!(age)),
            ("満足度", json!(sat)),
            ("関心のある分野", json!(interests)),
            ("ご意見", json!(text)),
        ]);
        submit(&mut c, &resident(), &form.slug, None, &s, None)?;
    }
    let r = results(&mut c, &staff(), form.id)?;
    let interests = r
        .questions
        .iter()
        .find(|q| q.code == "関心のある分野")
        .ok_or("q")?;
    let count = |k: &str| {
        interests
            .counts
            .iter()
            .find(|(o, _)| o == k)
            .map(|(_, n)| *n)
    };
    assert_eq!(
        (count("子育て"), count("防災"), count("交通")),
        (Some(1), Some(2), Some(0))
    );
    assert_eq!(interests.answered, 2);
    let mut out = Vec::new();
    export_csv(&mut c, &staff(), form.id, &mut out)?;
    assert!(out.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let text = String::from_utf8(out[3..].to_vec())?;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        "受付番号,受付日時,宛先,言語,年代,満足度,関心のある分野,ご意見"
    );
    assert!(
        lines[1].ends_with(",ja,30代,満足,\"子育て, 防災\",公園を増やしてほしい"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(",\"'=SUM(A1), \"\"引用\"\"\""),
        "{}",
        lines[2]
    );
    Ok(())
}

#[test]
fn settings_are_checked_against_the_app() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "event")?;
    let mut settings = form.settings.clone();
    settings.fields.push(FormField {
        code: "Created_by".into(),
        required: false,
        label: Texts::default(),
        help: Texts::default(),
    });
    settings.fields.push(FormField {
        code: "ない".into(),
        required: false,
        label: Texts::default(),
        help: Texts::default(),
    });
    let e = create_form(&mut c, &staff(), app, "x", settings)
        .err()
        .ok_or("accepted")?;
    let UserError::Validation(errors) = user_error(e) else {
        return Err("not a validation error".into());
    };
    let keys: Vec<&String> = errors.keys().collect();
    assert_eq!(keys, ["settings.fields[6].code", "settings.fields[7].code"]);
    assert_eq!(templates().len(), 10);
    Ok(())
}

#[test]
fn a_copy_mail_is_planned_when_the_form_offers_it() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "event")?;
    let mut s = event_answer("a");
    s.copy_to = Some("taro@example.jp".into());
    let r = submit(&mut c, &resident(), &form.slug, None, &s, None)?;
    let jobs = crate::jobs::pending(&mut c, &[COPY_MAIL_JOB])?;
    assert_eq!(jobs.len(), 1);
    let payload = &jobs[0].payload;
    assert_eq!(payload["to"], "taro@example.jp");
    assert!(payload["subject"]
        .as_str()
        .unwrap_or_default()
        .contains(&r.receipt));
    assert!(payload["body"]
        .as_str()
        .unwrap_or_default()
        .contains("氏名: a"));
    Ok(())
}

mod links_files_scripts;
