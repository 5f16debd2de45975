//! App scripts (issue 6): the settings API with its syntax check, submit scripts that set values and
//! report field errors, runaway scripts stopped by the sandbox while the server keeps answering
//! (security test plan R1), scripts confined to their user's rights (R2), rollback when an
//! after-save script fails, rejections, the script log and scheduled scripts.

use std::time::{Duration, Instant};

use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

const PW: &str = "scripts-pw-1";

fn text(code: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code})
}

fn number(code: &str) -> Value {
    json!({"type": "NUMBER", "code": code, "label": code})
}

/// Stores `scripts` in the pre-live settings through the API and deploys them.
fn put_scripts(app: &TestApp, id: i64, scripts: Value) {
    let (s, b) = app.put(
        "/api/app/scripts.json",
        json!({"app": id, "scripts": scripts}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
}

fn script(name: &str, event: &str, source: &str) -> Value {
    json!({"name": name, "events": [event], "source": source})
}

/// Stores scripts straight into the pre-live definition (bypassing the syntax check, as a crafted
/// package or an older version might) and deploys them.
fn force_scripts(app: &TestApp, id: i64, scripts: Value) {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let scripts: Vec<kumiki_engine::apps::AppScript> = serde_json::from_value(scripts).unwrap();
    conn.write_transaction(|c| {
        kumiki_engine::apps::save_preview(
            c,
            kumiki_engine::apps::AppId(id),
            None,
            "Administrator",
            |def| {
                def.scripts = scripts;
                Ok(())
            },
        )
    })
    .unwrap();
    app.deploy(id);
}

fn count(app: &TestApp, id: i64) -> String {
    let (s, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(s, 200, "{b}");
    b["totalCount"].as_str().unwrap().to_owned()
}

#[test]
fn settings_api_checks_syntax_and_deploys_with_the_app() {
    let app = TestApp::spawn();
    let id = app.create_app("台帳", json!({"title": text("title")}));
    let (s, b) = app.put(
        "/api/app/scripts.json",
        json!({"app": id, "scripts": [script("bad", "create.submit", "let x = 1;\nlet y = (x + ;")]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_SC01")), "{b}");
    assert_eq!(b["script"]["name"], "bad", "{b}");
    assert_eq!(b["script"]["line"], 2, "{b}");
    for bad in [
        json!([{"name": "x", "events": ["on.save"], "source": "1"}]),
        json!([
            script("dup", "create.submit", "1"),
            script("dup", "edit.submit", "1")
        ]),
    ] {
        let (s, b) = app.put("/api/app/scripts.json", json!({"app": id, "scripts": bad}));
        assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    }
    let good = script("ok", "create.submit", "record.title = \"x\";");
    let (s, b) = app.put(
        "/api/app/scripts.json",
        json!({"app": id, "scripts": [good]}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, live) = app.get(&format!("/api/app/scripts.json?app={id}"));
    assert_eq!(live["scripts"], json!([]), "{live}");
    let (_, pre) = app.get(&format!("/api/app/scripts.json?app={id}&preview=true"));
    assert_eq!(pre["scripts"][0]["name"], "ok", "{pre}");
    assert_eq!(pre["scripts"][0]["enabled"], true, "{pre}");
    app.deploy(id);
    let (_, live) = app.get(&format!("/api/app/scripts.json?app={id}"));
    assert_eq!(
        live["scripts"][0]["events"],
        json!(["create.submit"]),
        "{live}"
    );
    // Users without the app-management right read neither sources nor logs.
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true,
             "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": {"type": "GROUP", "code": "everyone"}, "recordViewable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    app.user("u1", PW);
    let u1 = app.with_auth(Auth::Password("u1".into(), PW.into()));
    for path in ["/api/app/scripts.json", "/api/app/script/logs.json"] {
        let (s, b) = u1.get(&format!("{path}?app={id}"));
        assert_eq!(s, 403, "{path}: {b}");
    }
}

#[test]
fn submit_scripts_set_values_and_report_field_errors() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "受付",
        json!({
            "title": text("title"),
            "docno": text("docno"),
            "amount": number("amount"),
            "total": {"type": "CALC", "code": "total", "label": "total", "expression": "amount * 2"},
            "received": {"type": "DATE", "code": "received", "label": "received"},
            "due": {"type": "DATE", "code": "due", "label": "due"},
            "郵便番号": text("郵便番号"),
        }),
    );
    put_scripts(
        &app,
        id,
        json!([script(
            "checks",
            "create.submit",
            r#"
            if record.amount == () || record.amount < 0 {
                error("amount", "金額は0以上で入力してください。");
            }
            if !matches_postal_code(record["郵便番号"]) {
                error("郵便番号", "郵便番号の形式が正しくありません。");
            }
            record.title = to_halfwidth(record.title);
            record.amount = record.amount + 1;
            record.due = add_business_days(record.received, 14);
            let n = next_number("docno-" + fiscal_year(record.received));
            record.docno = `${era_year(record.received)}-${pad_number(n, 4)}`;
            log("numbered " + record.docno);
            "#
        )]),
    );
    let add = |amount: &str, postal: &str| {
        app.post(
            "/k/v1/record.json",
            json!({"app": id, "record": {
                "title": {"value": "ＡＢＣ１"}, "amount": {"value": amount},
                "received": {"value": "2025-04-04"}, "郵便番号": {"value": postal}}}),
        )
    };
    let (s, b) = add("10", "100-0001");
    assert_eq!(s, 200, "{b}");
    let rid = b["id"].as_str().unwrap();
    let (_, r) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    let r = &r["record"];
    assert_eq!(r["title"]["value"], "ABC1");
    assert_eq!(r["amount"]["value"], "11");
    assert_eq!(
        r["total"]["value"], "22",
        "CALC is computed after the script"
    );
    assert_eq!(r["due"]["value"], "2025-04-24");
    assert_eq!(r["docno"]["value"], "R7-0001");
    let (s, b) = add("5", "1000001");
    assert_eq!(s, 200, "{b}");
    let (_, r) = app.get(&format!(
        "/k/v1/record.json?app={id}&id={}",
        b["id"].as_str().unwrap()
    ));
    assert_eq!(r["record"]["docno"]["value"], "R7-0002");
    // Field errors come back in kintone's errors map; nothing is saved, no number is used up.
    let (s, b) = add("-1", "1-1");
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    assert_eq!(
        b["errors"]["record.amount.value"]["messages"][0],
        "金額は0以上で入力してください。"
    );
    assert!(b["errors"]["record.郵便番号.value"].is_object(), "{b}");
    assert_eq!(count(&app, id), "2");
    let (s, b) = add("1", "100-0001");
    assert_eq!(s, 200, "{b}");
    let (_, r) = app.get(&format!(
        "/k/v1/record.json?app={id}&id={}",
        b["id"].as_str().unwrap()
    ));
    assert_eq!(r["record"]["docno"]["value"], "R7-0003");
    // The log is readable by the app's manager.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (s, b) = app.get(&format!("/api/app/script/logs.json?app={id}"));
        assert_eq!(s, 200, "{b}");
        let text = b["logs"].to_string();
        if text.contains("numbered R7-0003") {
            break;
        }
        assert!(Instant::now() < deadline, "{b}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// R1: each runaway script, bound to create.submit, ends within about a second with a clear error,
/// saves nothing, and the server keeps answering other requests meanwhile.
#[test]
fn runaway_scripts_are_stopped_and_save_nothing() {
    let app = TestApp::spawn();
    let id = app.create_app("暴走", json!({"title": text("title")}));
    let other = app.create_app("他", json!({"title": text("title")}));
    let runtime = [
        ("loop", "loop {}", "longer than|operations"),
        ("recursion", "fn f() { f() } f()", "Stack overflow"),
        ("strings", "let s = \"ab\"; loop { s += s; }", "string"),
        ("arrays", "let a = [1]; loop { a += a; }", "array"),
        (
            "maps",
            "let m = #{}; let i = 0; loop { m[\"k\" + i] = i; i += 1; }",
            "map",
        ),
        ("sleep", "sleep(1000)", "sleep"),
        (
            "print",
            "loop { print(\"flood\"); }",
            "longer than|operations",
        ),
    ];
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let huge = format!("let x = \"{}\";", "a".repeat(1024 * 1024));
    let compile_time = [
        ("nesting", deep.as_str(), "complexity"),
        ("huge", huge.as_str(), "larger than"),
        ("import", "import \"x\" as y;", "import"),
        ("eval", "eval(\"1\")", "eval"),
    ];
    // The syntax check refuses what it can see before anything runs.
    for (name, source, _) in compile_time {
        let (s, b) = app.put(
            "/api/app/scripts.json",
            json!({"app": id, "scripts": [script(name, "create.submit", source)]}),
        );
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("GAIA_SC01")),
            "{name}: {b}"
        );
    }
    let compile_time_names: Vec<&str> = compile_time.iter().map(|(name, _, _)| *name).collect();
    let all: Vec<(&str, &str, &str)> = runtime.into_iter().chain(compile_time).collect();
    for (name, source, expected) in all {
        force_scripts(&app, id, json!([script(name, "create.submit", source)]));
        let base = app.base_url.clone();
        let saver = std::thread::spawn(move || {
            let started = Instant::now();
            let response = reqwest::blocking::Client::new()
                .post(format!("{base}/k/v1/record.json"))
                .header(
                    "X-Cybozu-Authorization",
                    base64_login("Administrator", kumiki_tests::ADMIN_PASSWORD),
                )
                .json(&json!({"app": id, "record": {"title": {"value": "x"}}}))
                .send()
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().unwrap();
            (status, body, started.elapsed(), Instant::now())
        });
        std::thread::sleep(Duration::from_millis(50));
        let asked = Instant::now();
        let (s, _) = app.get(&format!("/k/v1/app.json?id={other}"));
        let answered = Instant::now();
        assert_eq!(s, 200);
        let (s, b, took, saved_at) = saver.join().unwrap();
        // Not queued behind the runaway script: the other endpoint answers quickly, or (on a
        // machine busy with other suites) at least before the script's own answer comes back. A
        // script refused before it runs (the compile-time cases) ends at once: nothing can queue
        // behind it, and a busy machine's slow answer would say nothing about the scripts.
        let runs = !compile_time_names.contains(&name);
        assert!(
            !runs || answered - asked < Duration::from_millis(400) || answered < saved_at,
            "{name}: another endpoint took {:?} and answered after the script",
            answered - asked
        );
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("GAIA_SC01")),
            "{name}: {b}"
        );
        assert_eq!(b["script"]["name"], name, "{b}");
        let message = b["script"]["message"].as_str().unwrap().to_lowercase();
        assert!(
            expected
                .split('|')
                .any(|e| message.contains(&e.to_lowercase())),
            "{name}: {message}"
        );
        assert!(took < Duration::from_millis(1500), "{name}: took {took:?}");
        assert_eq!(count(&app, id), "0", "{name}");
    }
}

fn base64_login(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// R2: a script acting for a user reads and writes only what that user could through the API.
#[test]
fn scripts_act_with_the_users_rights() {
    let app = TestApp::spawn();
    app.user("u1", PW);
    let u1 = app.with_auth(Auth::Password("u1".into(), PW.into()));
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let admin = json!({"type": "USER", "code": "Administrator"});
    // A: an app u1 may not even view.
    let secret_app = app.create_app("秘密", json!({"name": text("name")}));
    app.add_record(secret_app, json!({"name": {"value": "a"}}));
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": secret_app, "rights": [{"entity": admin, "appEditable": true,
            "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(secret_app);
    // B: one record hidden by a record rule, one field hidden by a field rule.
    let shared = app.create_app(
        "共有",
        json!({"name": text("name"), "secret": text("secret")}),
    );
    app.add_record(
        shared,
        json!({"name": {"value": "open"}, "secret": {"value": "CANARY-1"}}),
    );
    let hidden = app.add_record(
        shared,
        json!({"name": {"value": "closed"}, "secret": {"value": "CANARY-2"}}),
    );
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": shared, "rights": [{"filterCond": "name in (\"closed\")", "entities": [
            {"entity": admin, "viewable": true, "editable": true, "deletable": true}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": shared, "rights": [{"code": "secret", "entities": [
            {"accessibility": "NONE", "entity": everyone},
            {"accessibility": "WRITE", "entity": admin}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(shared);
    let probe = app.create_app(
        "試験",
        json!({"out": {"type": "MULTI_LINE_TEXT", "code": "out", "label": "out"}}),
    );
    let source = format!(
        r#"
        let out = "";
        try {{ records({secret_app}, ""); out += "A:read;"; }} catch {{ out += "A:denied;"; }}
        try {{ add_record({secret_app}, #{{name: "x"}}); out += "A:added;"; }} catch {{ out += "A:add-denied;"; }}
        let b = records({shared}, "");
        out += "B:" + b.len() + ";";
        for r in b {{ if "secret" in r {{ out += "B:secret=" + r.secret + ";"; }} }}
        try {{ get_record({shared}, {hidden}); out += "B:hidden-read;"; }} catch {{ out += "B:hidden-denied;"; }}
        try {{ update_record({shared}, {hidden}, #{{name: "changed"}}); out += "B:hidden-updated;"; }} catch {{ out += "B:hidden-update-denied;"; }}
        try {{ records({shared}, "secret = \"CANARY-1\""); out += "B:secret-queried;"; }} catch {{ out += "B:secret-query-denied;"; }}
        record.out = out;
        "#
    );
    // The probe declares the two apps it uses (issue 12: an undeclared app is refused).
    let mut probe_script = script("probe", "create.submit", &source);
    probe_script["apps"] = json!([
        {"app": secret_app.to_string(), "access": "write"},
        {"app": shared.to_string(), "access": "write"}
    ]);
    put_scripts(&app, probe, json!([probe_script]));
    let out_of = |c: &kumiki_tests::Client2| {
        let (s, b) = c.post("/k/v1/record.json", json!({"app": probe, "record": {}}));
        assert_eq!(s, 200, "{b}");
        let (_, r) = app.get(&format!(
            "/k/v1/record.json?app={probe}&id={}",
            b["id"].as_str().unwrap()
        ));
        r["record"]["out"]["value"].as_str().unwrap().to_owned()
    };
    let as_u1 = out_of(&u1);
    assert_eq!(
        as_u1,
        "A:denied;A:add-denied;B:1;B:hidden-denied;B:hidden-update-denied;B:secret-query-denied;",
    );
    assert!(!as_u1.contains("CANARY"));
    let (_, r) = app.get(&format!("/k/v1/record.json?app={shared}&id={hidden}"));
    assert_eq!(
        r["record"]["name"]["value"], "closed",
        "u1's script changed nothing"
    );
    // The administrator's script sees everything, so the probe itself works.
    let as_admin = out_of(&app.with_auth(app.auth.clone()));
    assert!(as_admin.starts_with("A:read;A:added;B:2;"), "{as_admin}");
    assert!(as_admin.contains("CANARY-2"), "{as_admin}");
    let (_, r) = app.get(&format!("/k/v1/record.json?app={shared}&id={hidden}"));
    assert_eq!(
        r["record"]["name"]["value"], "changed",
        "the admin's run did update"
    );
}

#[test]
fn a_failing_after_save_script_rolls_back_everything() {
    let app = TestApp::spawn();
    let archive = app.create_app("保管", json!({"title": text("title")}));
    // The archive's own submit script refuses everything: writes made by scripts run no scripts.
    put_scripts(
        &app,
        archive,
        json!([script("closed", "create.submit", "reject(\"closed\");")]),
    );
    let cases = app.create_app("案件", json!({"title": text("title")}));
    let mut copy = script(
        "copy",
        "save.after",
        &format!(
            "let id = add_record({archive}, #{{title: record.title}});\n\
             add_comment({archive}, id, \"copied from \" + record[\"$id\"]);\n\
             if record.title == \"boom\" {{ throw \"boom\"; }}"
        ),
    );
    copy["apps"] = json!([{"app": archive, "access": "write"}]);
    put_scripts(&app, cases, json!([copy]));
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": archive, "record": {"title": {"value": "direct"}}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_SC02")), "{b}");
    assert_eq!(b["message"], "closed");
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": cases, "record": {"title": {"value": "fine"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(count(&app, archive), "1");
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": cases, "record": {"title": {"value": "boom"}}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_SC01")), "{b}");
    assert_eq!(b["script"]["name"], "copy");
    assert_eq!(b["script"]["line"], 3, "{b}");
    assert_eq!(count(&app, cases), "1");
    assert_eq!(count(&app, archive), "1");
}

#[test]
fn scheduled_scripts_run_as_their_last_changer() {
    let app = TestApp::spawn();
    let target = app.create_app("通知", json!({"title": text("title")}));
    let jobs = app.create_app("定期", json!({"title": text("title")}));
    let mut daily = script(
        "daily",
        "schedule.daily",
        &format!("add_record({target}, #{{title: \"daily \" + today()}});"),
    );
    daily["apps"] = json!([{"app": target, "access": "write"}]);
    put_scripts(&app, jobs, json!([daily]));
    let db = kumiki_engine::db::Database::connect(&app.database_url, 2).unwrap();
    let runtime =
        kumiki_scripting::ScriptRuntime::new(kumiki_scripting::ScriptLimits::default(), 1);
    let ran = kumiki_platform::script_schedule::run_due(
        &db,
        &runtime,
        chrono_tz::Asia::Tokyo,
        kumiki_engine::apps::ScriptEvent::ScheduleDaily,
    )
    .unwrap();
    assert_eq!(ran, 1);
    assert_eq!(count(&app, target), "1");
    let ran = kumiki_platform::script_schedule::run_due(
        &db,
        &runtime,
        chrono_tz::Asia::Tokyo,
        kumiki_engine::apps::ScriptEvent::ScheduleHourly,
    )
    .unwrap();
    assert_eq!(ran, 0);
}

#[test]
fn process_scripts_choose_the_assignee_and_can_refuse() {
    let app = TestApp::spawn();
    for u in ["sato", "suzuki"] {
        app.user(u, PW);
    }
    let id = app.create_app(
        "申請",
        json!({"title": text("title"), "amount": number("amount")}),
    );
    let person = |code: &str| json!({"entity": {"type": "USER", "code": code}});
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
            "states": {
                "受付": {"name": "受付", "index": "0"},
                "対応中": {"name": "対応中", "index": "1", "assignee": {"type": "ONE", "entities": [person("sato"), person("suzuki")]}},
                "完了": {"name": "完了", "index": "2"}},
            "actions": [
                {"name": "開始", "from": "受付", "to": "対応中"},
                {"name": "完了する", "from": "対応中", "to": "完了"}]}),
    );
    assert_eq!(s, 200, "{b}");
    put_scripts(
        &app,
        id,
        json!([script(
            "route",
            "process.before",
            r#"
            if action.name == "開始" {
                if record.amount != () && record.amount > 100 { set_assignee("suzuki"); } else { set_assignee("sato"); }
            }
            if action.name == "完了する" && record.amount == () { reject("金額を入力してください。"); }
            "#
        )]),
    );
    let big = app.add_record(
        id,
        json!({"title": {"value": "a"}, "amount": {"value": "500"}}),
    );
    let empty = app.add_record(id, json!({"title": {"value": "b"}}));
    let act = |c: &kumiki_tests::Client2, rid: i64, action: &str| {
        c.put(
            "/k/v1/record/status.json",
            json!({"app": id, "id": rid, "action": action}),
        )
    };
    let admin = app.with_auth(app.auth.clone());
    assert_eq!(act(&admin, big, "開始").0, 200);
    assert_eq!(act(&admin, empty, "開始").0, 200);
    let assignee = |rid: i64| {
        let (_, r) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
        r["record"]["Assignee"]["value"][0]["code"].clone()
    };
    assert_eq!(assignee(big), "suzuki");
    assert_eq!(assignee(empty), "sato");
    let sato = app.with_auth(Auth::Password("sato".into(), PW.into()));
    let (s, b) = act(&sato, empty, "完了する");
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_SC02")), "{b}");
    assert_eq!(b["message"], "金額を入力してください。");
    let (_, r) = app.get(&format!("/k/v1/record.json?app={id}&id={empty}"));
    assert_eq!(r["record"]["Status"]["value"], "対応中");
}

/// The runtime API the editor page and the record form use: a test run writes nothing (and says
/// what it would have written); field-change scripts are read-only.
#[test]
fn test_runs_and_field_changes_write_nothing() {
    use kumiki_engine::acl::AppRight;
    use kumiki_engine::acting::{ActingContext, Channel};
    use kumiki_engine::apps::{AppId, AppScript, ScriptEvent};
    let app = TestApp::spawn();
    let other = app.create_app("写し", json!({"title": text("title")}));
    let id = app.create_app(
        "元",
        json!({"title": text("title"), "amount": number("amount"), "tax": number("tax")}),
    );
    put_scripts(
        &app,
        id,
        json!([
            script(
                "tax",
                "field.change",
                "if field == \"amount\" { record.tax = record.amount * 0.1; }"
            ),
            script(
                "writer",
                "field.change",
                "if field == \"title\" { next_number(\"x\"); }"
            )
        ]),
    );
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let runtime =
        kumiki_scripting::ScriptRuntime::new(kumiki_scripting::ScriptLimits::default(), 1);
    let principal =
        kumiki_engine::acl::Principal::for_user(&mut conn, "Administrator", "Administrator", true)
            .unwrap();
    let acting = ActingContext::new(principal, Channel::Script, chrono_tz::Asia::Tokyo);
    let actor = kumiki_engine::records::Actor::new(
        "Administrator",
        "Administrator",
        chrono_tz::Asia::Tokyo,
    );
    let live = acting
        .open_app(&mut conn, AppId(id), AppRight::View)
        .unwrap();
    let values =
        json!({"title": {"value": "t"}, "amount": {"value": "1200"}, "tax": {"value": ""}});
    let run = runtime
        .field_change(
            &mut conn,
            &live,
            &acting,
            &actor,
            "amount",
            values.as_object().unwrap().clone(),
        )
        .unwrap();
    assert!(run.failure.is_none(), "{run:?}");
    assert_eq!(run.values["tax"], "120");
    let run = runtime
        .field_change(
            &mut conn,
            &live,
            &acting,
            &actor,
            "title",
            values.as_object().unwrap().clone(),
        )
        .unwrap();
    let failure = run.failure.unwrap();
    assert_eq!(failure.script, "writer");
    assert!(failure.message.contains("not allowed"), "{failure:?}");
    let copy = AppScript {
        name: "copy".into(),
        source: format!("add_record({other}, #{{title: record.title}}); log(\"done\");"),
        events: vec![ScriptEvent::SaveAfter],
        enabled: true,
        apps: vec![kumiki_engine::apps::ScriptApp {
            app: Some(other.to_string()),
            code: None,
            access: kumiki_engine::apps::ScriptAccess::Write,
        }],
    };
    let run = conn
        .write_transaction(|c| -> Result<(), kumiki_engine::EngineError> {
            let run = runtime.test_run(
                c,
                &live,
                &acting,
                &actor,
                &copy,
                ScriptEvent::SaveAfter,
                values.as_object().unwrap().clone(),
            )?;
            // The caller rolls back: a test run never keeps anything.
            Err(kumiki_engine::EngineError::Internal(
                serde_json::to_string(&run).unwrap(),
            ))
        })
        .unwrap_err()
        .to_string();
    assert!(run.contains("would add a record to app"), "{run}");
    assert!(run.contains("done"), "{run}");
    assert_eq!(count(&app, other), "0");
}
