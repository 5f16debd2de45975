//! App review before go-live: the deploy gate, submissions and decisions, diff between versions,
//! the workflow diagram, rollback, record restore, and their audit rows.

use kumiki_tests::{sample_fields, Auth, Client2, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

const PW: &str = "review-password-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn deploy(app: &TestApp, id: i64) -> (u16, Value) {
    app.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    )
}

fn require_review(app: &TestApp, id: i64) {
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": true}),
    );
    assert_eq!(s, 200, "{b}");
}

fn add_field(client: &dyn Fn(&str, Value) -> (u16, Value), id: i64, code: &str) {
    let (s, b) = client(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {code: {"type": "SINGLE_LINE_TEXT", "code": code, "label": code}}}),
    );
    assert_eq!(s, 200, "{b}");
}

fn submit(app: &TestApp, id: i64, comment: &str) -> String {
    let (s, b) = app.post(
        "/api/app/review/submit.json",
        json!({"app": id, "comment": comment}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["submission"]["state"], "PENDING");
    b["submission"]["id"].as_str().unwrap().to_owned()
}

fn decide(app: &TestApp, id: i64, submission: &str, approve: bool, comment: &str) -> (u16, Value) {
    app.post(
        "/api/app/review/decide.json",
        json!({"app": id, "submission": submission, "approve": approve, "comment": comment}),
    )
}

fn live_has(app: &TestApp, id: i64, code: &str) -> bool {
    let (_, b) = app.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    b["properties"].get(code).is_some()
}

fn audit_count(app: &TestApp, action: &str) -> usize {
    let (s, b) = app.get(&format!("/api/audit.json?action={action}"));
    assert_eq!(s, 200, "{b}");
    b["entries"].as_array().unwrap().len()
}

#[test]
fn deploy_waits_for_an_approved_review() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let id = app.create_app("申請", sample_fields());

    // Turning review on is itself a change that needs review.
    require_review(&app, id);
    let (s, b) = deploy(&app, id);
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV01")), "{b}");
    let first = submit(&app, id, "審査をお願いします");
    let (s, b) = deploy(&app, id);
    assert_eq!(s, 409, "pending is not approved: {b}");
    let (s, b) = decide(&app, id, &first, true, "OK");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["submission"]["state"], "APPROVED");
    assert_eq!(b["submission"]["reviewer"]["code"], "Administrator");
    let (s, b) = deploy(&app, id);
    assert_eq!(s, 200, "{b}");

    // A further change: refused until approved; a rejection keeps live as it was.
    add_field(&|p, b| app.post(p, b), id, "Extra");
    let (s, b) = deploy(&app, id);
    assert_eq!(s, 409, "{b}");
    assert!(
        b["message"].as_str().unwrap().contains("requires review"),
        "{b}"
    );
    let second = submit(&app, id, "項目追加");
    let (s, b) = app.post("/api/app/review/submit.json", json!({"app": id}));
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("GAIA_RV03")),
        "already pending: {b}"
    );
    let (s, b) = as_user(&app, "sato").post(
        "/api/app/review/decide.json",
        json!({"app": id, "submission": second, "approve": true}),
    );
    assert_eq!(
        (s, b["code"].as_str()),
        (403, Some("CB_NO02")),
        "not a reviewer: {b}"
    );
    let (s, b) = decide(&app, id, &second, false, "");
    assert_eq!(s, 400, "a rejection needs a comment: {b}");
    let (s, b) = decide(&app, id, &second, false, "項目名を直してください");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["submission"]["state"], "REJECTED");
    let (s, b) = decide(&app, id, &second, true, "");
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV03")), "{b}");
    let (s, _) = deploy(&app, id);
    assert_eq!(s, 409);
    assert!(
        !live_has(&app, id, "Extra"),
        "rejected changes stay pre-live"
    );

    // An approval covers exactly the approved settings: a later change needs another one.
    let third = submit(&app, id, "直しました");
    add_field(&|p, b| app.post(p, b), id, "Extra2");
    let (s, b) = decide(&app, id, &third, true, "");
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("GAIA_RV03")),
        "outdated: {b}"
    );
    let fourth = submit(&app, id, "再提出");
    let (s, _) = decide(&app, id, &fourth, true, "");
    assert_eq!(s, 200);
    add_field(&|p, b| app.post(p, b), id, "Extra3");
    let (s, _) = deploy(&app, id);
    assert_eq!(s, 409, "changed after approval");
    // Discarding pre-live changes needs no review.
    let (s, _) = app.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}], "revert": true}),
    );
    assert_eq!(s, 200);

    let (s, b) = app.get(&format!("/api/app/review/submissions.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["requireReview"], true);
    assert_eq!(b["isReviewer"], true);
    let states: Vec<&str> = b["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["APPROVED", "PENDING", "REJECTED", "APPROVED"]);
    let (s, b) = app.get(&format!(
        "/api/app/review/submission.json?app={id}&id={first}"
    ));
    assert_eq!(s, 200);
    assert_eq!(b["submission"]["comment"], "審査をお願いします");
    let (s, b) = app.get(&format!("/api/app/review/submission.json?app={id}&id=999"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RV02")));

    assert_eq!(audit_count(&app, "app.review.submit"), 4);
    assert_eq!(audit_count(&app, "app.review.approve"), 2);
    assert_eq!(audit_count(&app, "app.review.reject"), 1);
}

#[test]
fn members_of_it_reviewers_review_and_only_admins_switch_review() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    app.user("ito", PW);
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "it-reviewers", "name": "情報政策課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "ito", "groups": ["it-reviewers"]}),
    );
    assert_eq!(s, 200, "{b}");

    // A department user builds an app.
    let sato = as_user(&app, "sato");
    app.allow_app_creation_by_everyone();
    let (s, b) = sato.post("/k/v1/preview/app.json", json!({"name": "窓口受付"}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    add_field(&|p, b| sato.post(p, b), id, "氏名");
    let (s, b) = sato.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200, "no review required yet: {b}");

    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": true}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": "yes"}),
    );
    assert_eq!(s, 400, "{b}");
    require_review(&app, id);
    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": false}),
    );
    assert_eq!(s, 403, "{b}");
    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": true, "description": "住民からの相談"}),
    );
    assert_eq!(s, 200, "sending the current value back is fine: {b}");
    let (_, b) = sato.get(&format!("/k/v1/preview/app/settings.json?app={id}"));
    assert_eq!(b["requireReview"], true);

    add_field(&|p, b| sato.post(p, b), id, "電話番号");
    let (s, b) = sato.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 409, "{b}");
    let (s, b) = sato.post(
        "/api/app/review/submit.json",
        json!({"app": id, "comment": "電話番号を追加"}),
    );
    assert_eq!(s, 200, "{b}");
    let sub = b["submission"]["id"].as_str().unwrap().to_owned();
    let (_, b) = sato.get(&format!("/api/app/review/submissions.json?app={id}"));
    assert_eq!(b["isReviewer"], false);
    let ito = as_user(&app, "ito");
    let (s, b) = ito.get(&format!("/api/app/diff.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert!(
        b["text"].as_str().unwrap().contains("+ field 電話番号"),
        "{b}"
    );
    let (s, b) = ito.post(
        "/api/app/review/decide.json",
        json!({"app": id, "submission": sub, "approve": true, "comment": "確認しました"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = sato.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200, "approved changes deploy: {b}");
    assert!(live_has(&app, id, "電話番号"));
}

#[test]
fn versions_diff_and_rollback() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let sato = as_user(&app, "sato");
    app.allow_app_creation_by_everyone();
    let (s, b) = sato.post("/k/v1/preview/app.json", json!({"name": "台帳"}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    add_field(&|p, b| sato.post(p, b), id, "名称");
    let (s, _) = sato.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200);
    add_field(&|p, b| sato.post(p, b), id, "所在地");
    let (s, b) = sato.put(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"名称": {"code": "名称", "label": "施設名"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, _) = sato.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200);

    let (s, b) = sato.get(&format!("/api/app/versions.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    let versions = b["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], "2");
    assert_eq!(versions[0]["live"], true);
    assert_eq!(versions[0]["deployedBy"]["code"], "sato");

    let (s, b) = sato.get(&format!("/api/app/diff.json?app={id}&from=1&to=2"));
    assert_eq!(s, 200, "{b}");
    let fields = b["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "fields")
        .unwrap();
    let changes = fields["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "added" && c["key"] == "所在地"),
        "{b}"
    );
    let renamed = changes.iter().find(|c| c["key"] == "名称").unwrap();
    assert_eq!(renamed["kind"], "changed");
    assert_eq!(
        renamed["details"][0],
        json!({"path": "label", "old": "名称", "new": "施設名"})
    );
    let (_, b) = sato.get(&format!("/api/app/diff.json?app={id}"));
    assert_eq!(b["sections"], json!([]), "live equals pre-live");
    let (s, _) = sato.get(&format!("/api/app/diff.json?app={id}&from=9&to=live"));
    assert_eq!(s, 400);

    // Rollback is one action: version 1 becomes live as version 3.
    let (s, b) = sato.post("/api/app/rollback.json", json!({"app": id, "version": 1}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["deployed"], true);
    assert!(!live_has(&app, id, "所在地"));
    let (_, b) = sato.get(&format!("/api/app/versions.json?app={id}"));
    assert_eq!(b["versions"].as_array().unwrap().len(), 3);
    let (_, b) = sato.get(&format!("/api/app/diff.json?app={id}&from=1&to=3"));
    assert_eq!(b["sections"], json!([]));
    let (s, _) = sato.post("/api/app/rollback.json", json!({"app": id, "version": 3}));
    assert_eq!(s, 400, "already live");

    // Under review: the builder's rollback waits for approval; a reviewer's deploys at once.
    require_review(&app, id);
    let sub = submit(&app, id, "審査を有効にする");
    decide(&app, id, &sub, true, "");
    assert_eq!(deploy(&app, id).0, 200);
    let (s, b) = sato.post("/api/app/rollback.json", json!({"app": id, "version": 2}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["deployed"], false);
    assert_eq!(b["submission"]["state"], "PENDING");
    assert!(!live_has(&app, id, "所在地"), "not live before approval");
    let (s, b) = app.post("/api/app/rollback.json", json!({"app": id, "version": 2}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["deployed"], true);
    assert_eq!(b["submission"]["state"], "APPROVED");
    assert!(live_has(&app, id, "所在地"));
    assert_eq!(audit_count(&app, "app.rollback"), 3);
}

#[test]
fn diagram_is_svg_with_the_statuses() {
    let app = TestApp::spawn();
    let id = app.create_app("経費", sample_fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
        "states": {"申請中": {"index": "0"}, "課長確認": {"index": "1"}, "完了": {"index": "2"}},
        "actions": [
            {"name": "提出", "from": "申請中", "to": "課長確認"},
            {"name": "承認", "from": "課長確認", "to": "完了", "filterCond": "Number <= 100000"},
            {"name": "差し戻し", "from": "課長確認", "to": "申請中"}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let get = |query: &str| {
        app.client
            .get(app.url(&format!("/api/app/diagram.svg?app={id}{query}")))
            .header(
                "X-Cybozu-Authorization",
                base64_login("Administrator", ADMIN_PASSWORD),
            )
            .send()
            .unwrap()
    };
    let resp = get("&stage=preview");
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("image/svg+xml"), "{ctype}");
    assert!(resp.headers().get("content-disposition").is_none());
    let svg = resp.text().unwrap();
    for name in [
        "申請中",
        "課長確認",
        "完了",
        "提出",
        "承認",
        "差し戻し",
        "Number &lt;= 100000",
    ] {
        assert!(svg.contains(name), "{name} in {svg}");
    }
    assert_eq!(svg, get("&stage=preview").text().unwrap(), "deterministic");
    let resp = get("&stage=preview&download=1&lang=en");
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(resp
        .text()
        .unwrap()
        .contains("Condition: Number &lt;= 100000"));
    // The live version has no process yet.
    let live = get("&stage=live").text().unwrap();
    assert!(!live.contains("課長確認"));
    assert_eq!(get("&stage=7").status().as_u16(), 400);
    let anonymous = app
        .client
        .get(app.url(&format!("/api/app/diagram.svg?app={id}")))
        .send()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

fn base64_login(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn a_record_is_restored_to_an_earlier_revision() {
    let app = TestApp::spawn();
    let id = app.create_app("台帳", sample_fields());
    let rid = app.add_record(
        id,
        json!({"Text": {"value": "初版"}, "Number": {"value": "1"},
               "Lines": {"value": [{"value": {"Item": {"value": "机"}, "Amount": {"value": "3"}}}]}}),
    );
    let update = |record: Value| {
        let (s, b) = app.put(
            "/k/v1/record.json",
            json!({"app": id, "id": rid, "record": record}),
        );
        assert_eq!(s, 200, "{b}");
    };
    update(json!({"Text": {"value": "二版"}, "Number": {"value": "2"}}));
    update(json!({"Text": {"value": "三版"}, "Lines": {"value": []}, "Memo": {"value": "メモ"}}));

    let (s, b) = app.post(
        "/api/record/restore.json",
        json!({"app": id, "id": rid, "revision": 1}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["revision"], "4");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    let r = &b["record"];
    assert_eq!(r["Text"]["value"], "初版");
    assert_eq!(r["Number"]["value"], "1");
    assert_eq!(r["Memo"]["value"], "");
    assert_eq!(r["Lines"]["value"][0]["value"]["Item"]["value"], "机");
    assert_eq!(r["Total"]["value"], "3", "calculated again on save");
    assert_eq!(r["$revision"]["value"], "4");
    // Index rows follow the restored values.
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query=Text%20%3D%20%22%E5%88%9D%E7%89%88%22"
    ));
    assert_eq!(b["records"].as_array().unwrap().len(), 1, "{b}");
    let (_, b) = app.get(&format!("/api/record/history.json?app={id}&id={rid}"));
    let newest = &b["history"][0];
    assert_eq!(newest["revision"], "4");
    assert_eq!(newest["action"], "UPDATE");

    let (s, b) = app.post(
        "/api/record/restore.json",
        json!({"app": id, "id": rid, "revision": 2}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(b["record"]["Text"]["value"], "二版");
    assert_eq!(b["record"]["Number"]["value"], "2");

    let (s, _) = app.post(
        "/api/record/restore.json",
        json!({"app": id, "id": rid, "revision": 99}),
    );
    assert_eq!(s, 400);
    let (s, _) = app.post(
        "/api/record/restore.json",
        json!({"app": id, "id": rid, "revision": 5}),
    );
    assert_eq!(s, 400, "already these values");
    let (s, _) = app.post(
        "/api/record/restore.json",
        json!({"app": id, "id": 999, "revision": 1}),
    );
    assert_eq!(s, 404);
    assert_eq!(audit_count(&app, "record.restore"), 2);
}
