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
