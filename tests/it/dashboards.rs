//! Dashboards (issue 16, item 4): `/api/dashboard/pins.json` pins charts and record lists to a
//! user's own portal, a space's page and the shared portal. Who may pin where, that others' pins
//! are never listed nor removable, bad input, and that the portal shows every pin with the
//! viewer's rights (a restricted viewer's pinned chart counts less).

use kumiki_tests::{Auth, Client2, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

use crate::reports::{cases, put_reports, report};

const PW: &str = "dashboards-pw-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn code(b: &Value) -> &str {
    b["code"].as_str().unwrap_or_default()
}

const PINS: &str = "/api/dashboard/pins.json";

/// The cases app with a pie by 区分 (records of 苦情 seen by Administrator only), users `clerk`,
/// `owner` and `outsider`, and a private space administered by `owner` with member `clerk`.
/// Returns (app, report id, space).
fn setup(app: &TestApp) -> (i64, String, i64) {
    for u in ["clerk", "owner", "outsider"] {
        app.user(u, PW);
    }
    let id = cases(app);
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let admin = json!({"type": "USER", "code": "Administrator"});
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [{"filterCond": "区分 in (\"苦情\")", "entities": [
            {"entity": admin, "viewable": true, "editable": true, "deletable": true},
            {"entity": everyone, "viewable": false, "editable": false, "deletable": false}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = put_reports(
        app,
        id,
        json!({"区分別": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}]))}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let rid = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    let (s, b) = as_user(app, "owner").post(
        "/api/space.json",
        json!({"name": "相談室", "isPrivate": true,
               "members": [{"entity": {"type": "USER", "code": "owner"}, "isAdmin": true},
                           {"entity": {"type": "USER", "code": "clerk"}, "isAdmin": false}]}),
    );
    assert_eq!(s, 200, "{b}");
    (id, rid, b["id"].as_str().unwrap().parse().unwrap())
}

fn ids(b: &Value) -> Vec<String> {
    b["pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn pins_belong_to_their_board_and_only_its_keepers_change_them() {
    let app = TestApp::spawn();
    let (id, rid, space) = setup(&app);
    let clerk = as_user(&app, "clerk");
    let owner = as_user(&app, "owner");
    let outsider = as_user(&app, "outsider");
    let chart = |scope: &str| json!({"scope": scope, "space": space, "kind": "CHART", "app": id, "item": rid});

    // Everyone pins to their own board; nobody sees another's.
    let (s, b) = app.post(PINS, chart("USER"));
    assert_eq!(s, 200, "{b}");
    let admin_pin = b["id"].as_str().unwrap().to_owned();
    let (s, b) = clerk.post(PINS, chart("USER"));
    assert_eq!(s, 200, "{b}");
    let clerk_pin = b["id"].as_str().unwrap().to_owned();
    let (s, b) = clerk.post(
        PINS,
        json!({"kind": "LIST", "app": id, "item": "", "rows": 3}),
    );
    assert_eq!(s, 200, "{b}");
    let clerk_list = b["id"].as_str().unwrap().to_owned();
    let (s, b) = clerk.get(&format!("{PINS}?scope=USER"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [clerk_pin.clone(), clerk_list.clone()]);
    assert_eq!(b["pins"][1]["rows"], "3");
    let (_, b) = app.get(&format!("{PINS}?scope=USER"));
    assert_eq!(ids(&b), [admin_pin.as_str()], "others' pins are not listed");
    // Another's pin is not found, to remove or to move.
    let (s, b) = clerk.delete(PINS, json!({"id": admin_pin}));
    assert_eq!((s, code(&b)), (404, "GAIA_DB01"), "{b}");
    let (s, b) = clerk.put(PINS, json!({"id": admin_pin, "index": 0}));
    assert_eq!((s, code(&b)), (404, "GAIA_DB01"), "{b}");
    // Moving reorders the board.
    let (s, b) = clerk.put(PINS, json!({"id": clerk_list, "index": 0}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [clerk_list.clone(), clerk_pin.clone()]);

    // The shared portal: administrators pin, everyone sees.
    let (s, b) = clerk.post(PINS, chart("PORTAL"));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let (s, b) = app.post(PINS, chart("PORTAL"));
    assert_eq!(s, 200, "{b}");
    let shared = b["id"].as_str().unwrap().to_owned();
    let (s, b) = clerk.get(&format!("{PINS}?scope=PORTAL"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [shared.as_str()]);
    let (s, b) = clerk.delete(PINS, json!({"id": shared}));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");

    // A space: its admins pin, its members see, others do not even see it.
    let (s, b) = clerk.post(PINS, chart("SPACE"));
    assert_eq!(
        (s, code(&b)),
        (403, "CB_NO02"),
        "a member is no manager: {b}"
    );
    let (s, b) = owner.post(PINS, chart("SPACE"));
    assert_eq!(s, 200, "{b}");
    let space_pin = b["id"].as_str().unwrap().to_owned();
    let (s, b) = clerk.get(&format!("{PINS}?scope=SPACE&space={space}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [space_pin.as_str()]);
    assert_eq!(b["pins"][0]["space"], space.to_string());
    let (s, b) = outsider.get(&format!("{PINS}?scope=SPACE&space={space}"));
    assert_eq!((s, code(&b)), (404, "GAIA_SP01"), "{b}");
    let (s, b) = outsider.delete(PINS, json!({"id": space_pin}));
    assert_eq!((s, code(&b)), (404, "GAIA_DB01"), "{b}");
    let (s, b) = owner.delete(PINS, json!({"id": space_pin}));
    assert_eq!(s, 200, "{b}");
    let (_, b) = clerk.get(&format!("{PINS}?scope=SPACE&space={space}"));
    assert!(ids(&b).is_empty());
    let (s, b) = clerk.delete(PINS, json!({"id": clerk_pin}));
    assert_eq!(s, 200, "{b}");
    // Deleting the space deletes its board.
    let (s, b) = owner.post(PINS, chart("SPACE"));
    assert_eq!(s, 200, "{b}");
    let gone = b["id"].as_str().unwrap().to_owned();
    let (s, b) = owner.delete("/k/v1/space.json", json!({"id": space}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = owner.delete(PINS, json!({"id": gone}));
    assert_eq!((s, code(&b)), (404, "GAIA_DB01"), "{b}");
}

#[test]
fn bad_pins_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn();
    let (id, rid, _) = setup(&app);
    for (body, status, code_) in [
        (
            json!({"kind": "CHART", "app": id, "item": "999"}),
            404,
            "GAIA_RP01",
        ),
        (
            json!({"kind": "CHART", "app": 99999, "item": rid}),
            404,
            "GAIA_AP01",
        ),
        (json!({"kind": "CHART", "app": id}), 400, "CB_VA01"),
        (
            json!({"kind": "PICTURE", "app": id, "item": rid}),
            400,
            "CB_VA01",
        ),
        (
            json!({"scope": "WORLD", "kind": "CHART", "app": id, "item": rid}),
            400,
            "CB_VA01",
        ),
        (
            json!({"scope": "SPACE", "kind": "CHART", "app": id, "item": rid}),
            400,
            "CB_VA01",
        ),
        (
            json!({"kind": "LIST", "app": id, "item": "", "rows": 0}),
            400,
            "CB_VA01",
        ),
        (
            json!({"kind": "LIST", "app": id, "item": "", "rows": 51}),
            400,
            "CB_VA01",
        ),
        (
            json!({"kind": "LIST", "app": id, "item": "12345"}),
            400,
            "CB_VA01",
        ),
        (json!({"kind": "LIST", "app": "x"}), 400, "CB_VA01"),
    ] {
        let (s, b) = app.post(PINS, body.clone());
        assert_eq!((s, code(&b)), (status, code_), "{body}: {b}");
    }
    let (s, b) = app.get(&format!("{PINS}?scope=USER"));
    assert_eq!(s, 200, "{b}");
    assert!(ids(&b).is_empty(), "{b}");
    let (s, b) = app.delete(PINS, json!({"id": 424242}));
    assert_eq!((s, code(&b)), (404, "GAIA_DB01"), "{b}");
    let (s, b) = app.put(PINS, json!({"id": 1, "index": -1}));
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    // An API token has no dashboard.
    let token = app.token(id, "view");
    let (s, b) = app.with_auth(Auth::Tokens(token)).get(PINS);
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
}

#[test]
fn the_portal_shows_each_pin_with_the_viewers_rights() {
    let app = TestApp::spawn();
    let (id, rid, space) = setup(&app);
    let (s, b) = app.post(
        PINS,
        json!({"scope": "PORTAL", "kind": "CHART", "app": id, "item": rid}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        PINS,
        json!({"scope": "PORTAL", "kind": "LIST", "app": id, "item": "", "rows": 20}),
    );
    assert_eq!(s, 200, "{b}");
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let clerk = app.sign_in_form("clerk", PW);
    let (s, html) = app.page(&admin, "/");
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"dashboard-portal\""), "{html}");
    assert!(html.contains("区分別"));
    assert!(html.contains("苦情"), "the administrator sees 苦情");
    let (s, html) = app.page(&clerk, "/");
    assert_eq!(s, 200);
    assert!(html.contains("区分別"));
    assert!(
        !html.contains("苦情"),
        "neither the chart nor the list shows hidden records to the clerk"
    );
    // The clerk may not remove a shared pin: no button.
    assert!(!html.contains("data-testid=\"pin-remove-"));
    // The space's board shows on its page, to its members, with their rights.
    let (s, b) = as_user(&app, "owner").post(
        PINS,
        json!({"scope": "SPACE", "space": space, "kind": "CHART", "app": id, "item": rid}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, html) = app.page(&clerk, &format!("/spaces/{space}"));
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"dashboard-space\""), "{html}");
    assert!(html.contains("区分別") && !html.contains("苦情"));
    let owner = app.sign_in_form("owner", PW);
    let (_, html) = app.page(&owner, &format!("/spaces/{space}"));
    assert!(
        html.contains("data-pin-remove"),
        "the space admin may remove"
    );
    // The chart page and the record list offer the boards each user may pin to.
    let (_, html) = app.page(&clerk, &format!("/apps/{id}/reports/{rid}"));
    assert!(html.contains("data-testid=\"dash-add\""));
    assert!(html.contains("value=\"USER\"") && !html.contains("value=\"PORTAL\""));
    assert!(
        !html.contains(&format!("value=\"SPACE:{space}\"")),
        "a member is no manager"
    );
    let (_, html) = app.page(&owner, &format!("/apps/{id}"));
    assert!(html.contains(&format!("value=\"SPACE:{space}\"")), "{html}");
    let (_, html) = app.page(&admin, &format!("/apps/{id}/reports/{rid}"));
    assert!(html.contains("value=\"PORTAL\""));
    // A pin of an app the viewer may no longer open says so instead of showing anything.
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [{"entity": {"type": "USER", "code": "Administrator"},
            "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (s, html) = app.page(&clerk, "/");
    assert_eq!(s, 200);
    assert!(html.contains("表示できません"), "{html}");
    assert!(!html.contains("相談受付"), "not even the app's name");
}

/// Issue 16 gap 1: a guest space's board. Its space admin (staff) pins the space's own charts
/// through the space's path; guests see those pins and only those (never a pin of an app outside
/// the space, nor its name), and never pin.
#[test]
fn a_guest_space_board_shows_its_own_apps_to_its_guests() {
    use crate::guests::{add_guests, as_guest, guest, guest_space, move_app, GUEST_PW};
    let app = TestApp::spawn();
    const GS: i64 = 501;
    add_guests(&app, vec![guest("g1@a.example", "A市 一郎", "A市")]);
    let inside = cases(&app);
    let outside = app.create_app("庁内の集計", kumiki_tests::sample_fields());
    let (s, b) = put_reports(
        &app,
        inside,
        json!({"区分別": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}]))}),
    );
    assert_eq!(s, 200, "{b}");
    let rid = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": inside, "rights": [
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true,
             "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": {"type": "USER", "code": "g1@a.example"}, "recordViewable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(inside);
    guest_space(&app, GS, "A市協議室", &[]);
    let (s, b) = app.put(
        &format!("/k/guest/{GS}/v1/space/guests.json"),
        json!({"id": GS, "guests": ["g1@a.example"]}),
    );
    assert_eq!(s, 200, "{b}");
    move_app(&app, inside, GS);
    let guest_pins = format!("/k/guest/{GS}/api/dashboard/pins.json");
    let chart = json!({"scope": "SPACE", "space": GS, "kind": "CHART", "app": inside, "item": rid});

    // The space admin pins the space's chart through the space's path, not the host's.
    let (s, b) = app.post(PINS, chart.clone());
    assert_ne!(s, 200, "a guest space's board only through its path: {b}");
    let (s, b) = app.post(&guest_pins, chart.clone());
    assert_eq!(s, 200, "{b}");
    let pin = b["id"].as_str().unwrap().to_owned();
    // An app outside the space is refused there.
    let (s, b) = app.post(
        &guest_pins,
        json!({"scope": "SPACE", "space": GS, "kind": "LIST", "app": outside, "item": ""}),
    );
    assert_ne!(s, 200, "{b}");
    // One that was pinned before its app left the space (or written by hand) is kept from guests.
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut q = conn.sql();
    q.push("INSERT INTO dashboard_pins (scope, owner, kind, app_id, item, row_count, position, created_by, created_at) VALUES ('SPACE', ")
        .bind_text(&GS.to_string())
        .push(", 'LIST', ")
        .bind_int(outside)
        .push(", '', 5, 9, 'Administrator', 0)");
    conn.execute(&q).unwrap();

    // The guest sees the space's pin and only it, through the API and on the space's page.
    let g = as_guest(&app, "g1@a.example");
    let (s, b) = g.get(&format!("{guest_pins}?scope=SPACE&space={GS}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [pin.as_str()], "{b}");
    let (s, b) = g.post(&guest_pins, chart.clone());
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "guests never pin: {b}");
    let (s, b) = g.post(
        &guest_pins,
        json!({"scope": "USER", "kind": "CHART", "app": inside, "item": rid}),
    );
    assert_eq!(
        (s, code(&b)),
        (403, "CB_NO02"),
        "not even to their own board: {b}"
    );
    let (s, b) = g.get(&format!("{PINS}?scope=SPACE&space={GS}"));
    assert_eq!((s, code(&b)), (403, "CB_NO02"), "{b}");
    let session = app.sign_in_form("g1@a.example", GUEST_PW);
    let (s, html) = app.page(&session, &format!("/spaces/{GS}"));
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"dashboard-space\""), "{html}");
    assert!(html.contains("区分別") && html.contains("<svg"), "{html}");
    assert!(
        !html.contains("庁内の集計") && !html.contains("表示できません"),
        "{html}"
    );
    assert!(!html.contains("data-pin-remove"));
    // Staff see both (the outside one as unavailable) and change the board through its path.
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (_, html) = app.page(&admin, &format!("/spaces/{GS}"));
    assert!(
        html.contains("表示できません") && !html.contains("庁内の集計"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "data-dash-api=\"/k/guest/{GS}/api/dashboard/pins.json\""
    )));
    // The chart page of the space's app offers the space (posting through its path); a host
    // app's list does not offer the guest space.
    let (_, html) = app.page(&admin, &format!("/apps/{inside}/reports/{rid}"));
    assert!(html.contains(&format!("value=\"SPACE:{GS}\"")), "{html}");
    assert!(html.contains(&format!(
        "data-api=\"/k/guest/{GS}/api/dashboard/pins.json\""
    )));
    let (_, html) = app.page(&admin, &format!("/apps/{outside}"));
    assert!(html.contains("data-testid=\"dash-add\""));
    assert!(!html.contains(&format!("value=\"SPACE:{GS}\"")), "{html}");
    let (s, b) = app.put(&guest_pins, json!({"id": pin, "index": 5}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.delete(&guest_pins, json!({"id": pin}));
    assert_eq!(s, 200, "{b}");
    let (_, b) = g.get(&format!("{guest_pins}?scope=SPACE&space={GS}"));
    assert!(ids(&b).is_empty(), "{b}");
}

/// Issue 16 gap 2: a private view (個人用の一覧) on one's own board only, computed with one's
/// rights; refused elsewhere and for anyone else's; its pin goes when the view is deleted.
#[test]
fn a_private_view_pins_to_its_owners_board_only() {
    let app = TestApp::spawn();
    let (id, _, space) = setup(&app);
    let clerk = as_user(&app, "clerk");
    let owner = as_user(&app, "owner");
    let (s, b) = clerk.put(
        "/api/app/views/private.json",
        json!({"app": id, "view": {"name": "私の受付", "fields": ["件名", "区分"], "filterCond": "", "sort": "$id asc"}}),
    );
    assert_eq!(s, 200, "{b}");
    let view = b["id"].as_str().unwrap().to_owned();
    let item = format!("private:{view}");
    let (s, b) = clerk.post(
        PINS,
        json!({"kind": "LIST", "app": id, "item": item, "rows": 20}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = clerk.get(&format!("{PINS}?scope=USER"));
    assert_eq!(b["pins"][0]["item"], item.as_str());
    // Refusals: another's private view (the owner has none of that id), a space, the portal.
    let (s, b) = owner.post(PINS, json!({"kind": "LIST", "app": id, "item": item}));
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (s, b) = owner.put(
        "/api/app/views/private.json",
        json!({"app": id, "view": {"name": "管理者用"}}),
    );
    assert_eq!(s, 200, "{b}");
    let own = format!("private:{}", b["id"].as_str().unwrap());
    let (s, b) = owner.post(
        PINS,
        json!({"scope": "SPACE", "space": space, "kind": "LIST", "app": id, "item": own}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    assert!(b.to_string().contains("private view is personal"), "{b}");
    let (s, b) = app.put(
        "/api/app/views/private.json",
        json!({"app": id, "view": {"name": "全体"}}),
    );
    assert_eq!(s, 200, "{b}");
    let admins = format!("private:{}", b["id"].as_str().unwrap());
    let (s, b) = app.post(
        PINS,
        json!({"scope": "PORTAL", "kind": "LIST", "app": id, "item": admins}),
    );
    assert_eq!((s, code(&b)), (400, "CB_VA01"), "{b}");
    let (_, b) = app.get(&format!("{PINS}?scope=PORTAL"));
    assert!(ids(&b).is_empty(), "{b}");

    // The clerk's portal shows it with the clerk's rights, linked to the view.
    let session = app.sign_in_form("clerk", PW);
    let (s, html) = app.page(&session, "/");
    assert_eq!(s, 200);
    assert!(html.contains("私の受付"), "{html}");
    assert!(html.contains(&format!("private%3A{view}\"")), "{html}");
    assert!(html.contains("案件") && !html.contains("苦情"), "{html}");
    // The record list offers it in 「ダッシュボードに追加」.
    let (_, html) = app.page(&session, &format!("/apps/{id}?view=private:{view}"));
    assert!(
        html.contains("data-testid=\"dash-private-views\""),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{item}\" data-private selected")),
        "{html}"
    );
    // Deleting the view removes its pin.
    let (s, b) = clerk.delete(
        "/api/app/views/private.json",
        json!({"app": id, "id": view}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = clerk.get(&format!("{PINS}?scope=USER"));
    assert!(ids(&b).is_empty(), "{b}");
}
