//! The example survey of issue 14 (§8): a request from a fictitious ministry (架空省) relayed by a
//! fictitious prefecture (みどり県) to 51 fictitious organisations, with answers in every state.
//!
//! Everything goes through the engine's use cases (`org`, `users`, `surveys::store::create`,
//! `broadcast::send`, `answers::*`) acting as Administrator (the sending office's owner) or as each
//! organisation's contact user, so the example is exactly what the pages would have produced. The
//! steps are dated in the past with `ActingContext::at`: the survey was sent 21 days before the
//! load and was due 2 days before it, so the dashboard shows late answers, extensions and a full
//! history. Loaded once, with the example apps (`examples::load_examples_if_empty`).
//!
//! The contact users get a random password that nobody knows and must change it at first
//! sign-in: the administrator sets one (`PUT /api/org/users.json`, `kumiki user set-password`) to
//! try the answering side.

use chrono::{DateTime, Duration, Utc};
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::db::DbConn;
use kumiki_engine::records::FileStore;
use kumiki_engine::surveys::answers::{self, AnswerInput};
use kumiki_engine::surveys::store::{self, SurveyInput};
use kumiki_engine::surveys::{broadcast, AnswerRow, Recipient, DEPARTMENT};
use kumiki_engine::users::{User, ADMINISTRATOR};
use kumiki_engine::EngineResult;
use serde_json::{json, Map, Value};

/// The survey's title (also what tells the loader it has run already).
pub const TITLE: &str = "令和8年度 地域防災体制に関する調査（架空省）";
/// Department codes of the example tree.
pub const PREFECTURE: &str = "midori";
pub const OFFICE: &str = "midori-kikaku";
pub const MUNICIPALITIES: &str = "midori-shichoson";

/// 51 made-up municipality names. None is the name of a real Japanese municipality (checked when
/// written; any resemblance is accidental).
pub const ORGANISATIONS: [&str; 51] = [
    "青葉市",
    "朝霧市",
    "星見市",
    "若草市",
    "陽向市",
    "水澄市",
    "風見市",
    "月影市",
    "霞野市",
    "白砂市",
    "つばさ市",
    "若葉町",
    "花影町",
    "木漏町",
    "鈴音町",
    "雪代町",
    "岩清町",
    "楓町",
    "萌木町",
    "空羽町",
    "虹ヶ丘町",
    "蛍川町",
    "光が原町",
    "実り野町",
    "千鳥ヶ浜町",
    "野風町",
    "葉月町",
    "岬野町",
    "遠見町",
    "澪標町",
    "すずらん町",
    "あじさい町",
    "ひまわり町",
    "せせらぎ町",
    "なないろ町",
    "そよかぜ町",
    "雲雀村",
    "青嵐村",
    "山吹村",
    "藤棚村",
    "紅葉谷村",
    "白樺野村",
    "鹿鳴村",
    "梢村",
    "小鳥沢村",
    "石楠花村",
    "りんどう村",
    "こもれび村",
    "ほたる野村",
    "ゆずりは村",
    "みずかげ村",
];

/// The embedded attachments (apps-examples/survey-relay/): file name and content type.
const ATTACHMENTS: [(&str, &str); 2] = [
    ("通知_地域防災体制調査.pdf", "application/pdf"),
    ("記入要領.txt", "text/plain"),
];

const BODY: &str = "<p>各市町村 防災担当課 御中</p>\
<p>架空省防災企画室から、令和8年度 地域防災体制に関する調査の依頼がありました（添付の通知を参照）。\
お手数ですが、記入要領に沿って回答欄に入力し、期限までに回答してください。</p>\
<ul><li>避難所数・備蓄食料は令和8年4月1日現在</li><li>避難所一覧には指定避難所を1行ずつ</li></ul>\
<p>みどり県 企画課 防災企画係（この調査・団体・人名はすべて架空です）</p>";

/// What happens to each organisation's answer, by position in `ORGANISATIONS`: U unopened,
/// O opened, D draft, S submitted, R returned, A accepted — 8 U, 6 O, 8 D, 12 S, 5 R, 12 A, shuffled
/// once with a fixed seed so that the states are spread over the list.
const FATES: &[u8; 51] = b"SAODAAOORAASSUAOUUUSRAUARSSSOORSDDAURSSDSUDDDDSAAAU";

/// The organisations given a later due date two hours before the original one: two drafts, one
/// returned answer and two that then submitted late (after the original due, within their own).
const EXTENDED: [usize; 5] = [3, 24, 25, 39, 40];

fn fields() -> Value {
    json!({
        "避難所数": {"type": "NUMBER", "code": "避難所数", "label": "避難所数", "required": true,
                   "unit": "か所", "unitPosition": "AFTER"},
        "備蓄食料": {"type": "NUMBER", "code": "備蓄食料", "label": "備蓄食料（食）", "required": true},
        "担当者": {"type": "SINGLE_LINE_TEXT", "code": "担当者", "label": "担当者", "required": true},
        "避難所一覧": {"type": "SUBTABLE", "code": "避難所一覧", "label": "避難所一覧", "fields": {
            "名称": {"type": "SINGLE_LINE_TEXT", "code": "名称", "label": "名称"},
            "収容人数": {"type": "NUMBER", "code": "収容人数", "label": "収容人数"}
        }}
    })
}

/// The answer values of organisation `i` (deterministic, plausible numbers).
fn values(i: usize, name: &str, complete: bool) -> Map<String, Value> {
    let shelters = 3 + (i * 7) % 9;
    let stem = name.trim_end_matches(['市', '町', '村']);
    let rows: Vec<Value> = (0..shelters.min(if complete { 6 } else { 2 }))
        .map(|n| {
            let kind = [
                "小学校",
                "中学校",
                "公民館",
                "体育館",
                "コミュニティセンター",
                "高校",
            ][n];
            json!({"value": {
                "名称": {"value": format!("{stem}{kind}")},
                "収容人数": {"value": (120 + ((i * 31 + n * 57) % 400)).to_string()}
            }})
        })
        .collect();
    let mut v = Map::new();
    v.insert("避難所数".into(), json!({"value": shelters.to_string()}));
    v.insert(
        "備蓄食料".into(),
        json!({"value": (1_500 + (i * 977) % 9_000).to_string()}),
    );
    if complete {
        let person = [
            "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村",
        ][i % 8];
        v.insert(
            "担当者".into(),
            json!({"value": format!("防災担当 {person}")}),
        );
    }
    v.insert("避難所一覧".into(), json!({"value": rows}));
    v
}

/// Loads the example unless its departments or its survey exist already. Returns whether it did.
pub fn load(conn: &mut DbConn, files: &FileStore, timezone: chrono_tz::Tz) -> EngineResult<bool> {
    if kumiki_engine::org::find_department(conn, PREFECTURE)?.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    let sent = now - Duration::days(21);
    let due = now - Duration::days(2);
    let acting_as = |conn: &mut DbConn, code: &str, at: DateTime<Utc>| -> EngineResult<_> {
        let user = User::find_by_code(conn, code)?.ok_or_else(|| {
            kumiki_engine::EngineError::Internal(format!("example user {code} is missing"))
        })?;
        let principal = Principal::for_user(conn, &user.code, &user.name, user.is_admin)?;
        Ok(ActingContext::new(principal, Channel::System, timezone).at(at))
    };

    // The department tree and the contact users.
    use kumiki_engine::org::{add_department, set_user_departments};
    add_department(conn, PREFECTURE, "みどり県", None, 900)?;
    add_department(conn, OFFICE, "企画課", Some(PREFECTURE), 0)?;
    add_department(conn, MUNICIPALITIES, "県内市町村", Some(PREFECTURE), 1)?;
    let mut recipients = Vec::with_capacity(ORGANISATIONS.len());
    for (i, name) in ORGANISATIONS.iter().enumerate() {
        let dept = format!("midori-{:02}", i + 1);
        add_department(conn, &dept, name, Some(MUNICIPALITIES), i as i64)?;
        let user = format!("midori-{:02}-tanto", i + 1);
        // No password: the administrator sets one to sign in as the contact.
        User::create_without_password(conn, &user, &format!("{name} 防災担当"), false)?;
        kumiki_engine::mfa::set_must_change(conn, &user, true)?;
        set_user_departments(conn, &user, std::slice::from_ref(&dept), None)?;
        recipients.push(Recipient {
            kind: DEPARTMENT.into(),
            code: dept,
            contacts: None,
        });
    }
    let mut admin_departments = kumiki_engine::org::user_departments(conn, ADMINISTRATOR)?
        .into_iter()
        .map(|(code, _)| code)
        .collect::<Vec<_>>();
    let primary = kumiki_engine::org::primary_department(conn, ADMINISTRATOR)?;
    admin_departments.push(OFFICE.to_owned());
    set_user_departments(
        conn,
        ADMINISTRATOR,
        &admin_departments,
        primary.as_deref().or(Some(OFFICE)),
    )?;

    // The survey, created and sent by the office 21 days ago.
    let office = acting_as(conn, ADMINISTRATOR, sent - Duration::hours(2))?;
    let mut keys = Vec::new();
    for (name, content_type) in ATTACHMENTS {
        let bytes = crate::examples::embedded_files("survey-relay")
            .and_then(|mut f| kumiki_engine::packages::FileSource::read(&mut f, name))
            .ok_or_else(|| {
                kumiki_engine::EngineError::Internal(format!("example file {name} is missing"))
            })?;
        keys.push(files.upload(conn, name, content_type, &bytes, ADMINISTRATOR)?);
    }
    let input = SurveyInput {
        title: Some(TITLE.into()),
        body: Some(BODY.into()),
        due_at: Some(due.timestamp()),
        attachments: Some(keys),
        fields: Some(fields()),
        sheet: Some(None),
        recipients: Some(recipients),
        owners: Some(Vec::new()),
        // Reminders sent by hand below: planned jobs dated in the past would all fire at start.
        reminders: Some(Vec::new()),
    };
    let survey = store::create(conn, &office, &input)?;
    let sender = acting_as(conn, ADMINISTRATOR, sent)?;
    broadcast::send(conn, &sender, survey)?;
    let answer_ids: Vec<i64> = {
        let by_code: std::collections::HashMap<String, i64> = AnswerRow::of_survey(conn, survey)?
            .into_iter()
            .map(|a| (a.org_code, a.id))
            .collect();
        (1..=ORGANISATIONS.len())
            .filter_map(|n| by_code.get(&format!("midori-{n:02}")).copied())
            .collect()
    };

    // The steps in the order they happened: the organisations' first days, the reminder three
    // days before the due date, the extensions, then the late answers within their extension.
    let mut late = Vec::new();
    for (i, name) in ORGANISATIONS.iter().enumerate() {
        let (Some(&answer), Some(&fate)) = (answer_ids.get(i), FATES.get(i)) else {
            break;
        };
        let user = format!("midori-{:02}-tanto", i + 1);
        let step = |n: i64| sent + Duration::hours(6 + (i as i64 * 5) % 40 + n * 30);
        if fate == b'U' {
            continue;
        }
        let opener = acting_as(conn, &user, step(0))?;
        answers::open(conn, &opener, answer)?;
        if fate == b'O' {
            continue;
        }
        let draft = AnswerInput {
            values: Some(values(i, name, false)),
            sheet_file_key: None,
        };
        let saver = acting_as(conn, &user, step(1))?;
        answers::save(conn, &saver, answer, &draft, files)?;
        if fate == b'D' {
            continue;
        }
        if EXTENDED.contains(&i) {
            late.push((i, *name, answer, fate));
            continue;
        }
        finish(conn, files, &acting_as, (i, name), answer, fate, step(4))?;
    }
    let reminder = acting_as(conn, ADMINISTRATOR, due - Duration::days(3))?;
    broadcast::remind(conn, &reminder, survey, None)?;
    for &i in &EXTENDED {
        if let Some(&answer) = answer_ids.get(i) {
            let owner = acting_as(conn, ADMINISTRATOR, due - Duration::hours(2))?;
            let until = (now + Duration::days(7)).timestamp();
            answers::set_deadline(conn, &owner, answer, Some(until))?;
        }
    }
    for (n, (i, name, answer, fate)) in late.into_iter().enumerate() {
        let at = now - Duration::hours(30) + Duration::hours(n as i64 * 3);
        finish(conn, files, &acting_as, (i, name), answer, fate, at)?;
    }
    Ok(true)
}

type ActingAs<'a> = dyn Fn(&mut DbConn, &str, DateTime<Utc>) -> EngineResult<ActingContext> + 'a;

/// Submits organisation `i`'s full answer at `at`; the office accepts or returns it 3 hours later.
fn finish(
    conn: &mut DbConn,
    files: &FileStore,
    acting_as: &ActingAs<'_>,
    (i, name): (usize, &str),
    answer: i64,
    fate: u8,
    at: DateTime<Utc>,
) -> EngineResult<()> {
    let user = format!("midori-{:02}-tanto", i + 1);
    let full = AnswerInput {
        values: Some(values(i, name, true)),
        sheet_file_key: None,
    };
    let member = acting_as(conn, &user, at)?;
    answers::submit(conn, &member, answer, &full, files)?;
    let office = acting_as(conn, ADMINISTRATOR, at + Duration::hours(3))?;
    match fate {
        b'A' => answers::accept(conn, &office, answer),
        b'R' => answers::return_answer(
            conn,
            &office,
            answer,
            "避難所一覧の収容人数の合計が前年度から大きく変わっています。確認のうえ再提出してください。",
        ),
        _ => Ok(()),
    }
}
