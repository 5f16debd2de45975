//! Thread posts (issue 13, threads part): kintone's `space/thread/comment.json` and Kumiki's `/api`
//! calls to read, edit, delete, mark read, list readers and count unread posts; attachments that
//! only the space's members may download. Spaces are seeded straight into the database (the spaces
//! part owns their API).

use kumiki_engine::db::{Database, DbConn};
use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "threads-password-1";

fn db(app: &TestApp) -> (Database, DbConn) {
    let db = Database::connect(&app.database_url, 1).unwrap();
    let conn = db.conn().unwrap();
    (db, conn)
}

/// A space (private or not, guest or not) with USER members and one thread; returns the thread id.
fn seed_space(app: &TestApp, id: i64, private: bool, guest: bool, members: &[&str]) -> i64 {
    let (_db, mut conn) = db(app);
    let flag = |b: bool| if b { "TRUE" } else { "FALSE" };
    let mut b = conn.sql();
    b.push("INSERT INTO spaces (id, name, is_guest, is_private, created_at) VALUES (")
        .bind_int(id)
        .push(", ")
        .bind_text(&format!("部屋{id}"))
        .push(&format!(", {}, {}, 0)", flag(guest), flag(private)));
    conn.execute(&b).unwrap();
    for m in members {
        let mut b = conn.sql();
        b.push("INSERT INTO space_members (space_id, entity_type, code, is_admin, include_subs) VALUES (")
            .bind_int(id)
            .push(", 'USER', ")
            .bind_text(m)
            .push(", FALSE, FALSE)");
        conn.execute(&b).unwrap();
    }
    add_thread(&mut conn, id, "スレッド")
}

fn add_thread(conn: &mut DbConn, space: i64, name: &str) -> i64 {
    let mut b = conn.sql();
    b.push("INSERT INTO space_threads (space_id, name, creator, created_at, modified_at) VALUES (")
        .bind_int(space)
        .push(", ")
        .bind_text(name)
        .push(", 'Administrator', 0, 0)");
    conn.execute(&b).unwrap();
    let mut b = conn.sql();
    b.push("SELECT max(id) AS n FROM space_threads");
    conn.load::<kumiki_engine::db::IntRow>(&b).unwrap()[0].n
}

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn post(c: &Client2, space: i64, thread: i64, comment: Value) -> (u16, Value) {
    c.post(
        "/k/v1/space/thread/comment.json",
        json!({"space": space, "thread": thread, "comment": comment}),
    )
}

fn id_of(b: &Value) -> i64 {
    b["id"].as_str().unwrap().parse().unwrap()
}

fn page(c: &Client2, space: i64, thread: i64, extra: &str) -> Value {
    let (s, b) = c.get(&format!(
        "/api/space/thread/comments.json?space={space}&thread={thread}{extra}"
    ));
    assert_eq!(s, 200, "{b}");
    b
}

fn notifications_of(app: &TestApp, user: &str) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        source_key: String,
    }
    let (_db, mut conn) = db(app);
    let mut b = conn.sql();
    b.push("SELECT kind, source_key FROM notifications WHERE user_code = ")
        .bind_text(user)
        .push(" ORDER BY id");
    conn.load::<Row>(&b)
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.source_key))
        .collect()
}

fn users(app: &TestApp, codes: &[&str]) {
    for c in codes {
        app.user(c, PW);
    }
}

#[test]
fn posts_replies_mentions_and_sanitising() {
    let app = TestApp::spawn();
    users(&app, &["alice", "bob", "carol"]);
    let thread = seed_space(&app, 41, true, false, &["alice", "bob"]);
    let alice = as_user(&app, "alice");
    let bob = as_user(&app, "bob");

    // kintone's text is plain text: markup is shown, not run; URLs and record paths become links.
    let (s, b) = post(
        &alice,
        41,
        thread,
        json!({"text": "<script>alert(1)</script>見て /k/5/show#record=3\n次の行", "mentions": [{"code": "bob", "type": "USER"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let first = id_of(&b);
    // Our /api takes HTML and sanitises it; `parent` makes a reply.
    let (s, b) = bob.post(
        "/api/space/thread/comment.json",
        json!({"space": 41, "thread": thread, "comment": {"html": "<b>了解</b><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">x</a>", "parent": first}}),
    );
    assert_eq!(s, 200, "{b}");
    let reply = id_of(&b);

    let listed = page(&alice, 41, thread, "");
    let posts = listed["comments"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "replies sit under their post: {listed}");
    let top = &posts[0];
    assert_eq!(top["id"], first.to_string());
    assert_eq!(top["author"]["code"], "alice");
    let html = top["html"].as_str().unwrap();
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains(r#"<a href="/k/5/show#record=3""#),
        "record path linked: {html}"
    );
    assert!(html.contains("<br>"), "{html}");
    assert_eq!(top["mentions"][0]["code"], "bob");
    let replies = top["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["id"], reply.to_string());
    let rhtml = replies[0]["html"].as_str().unwrap();
    assert!(rhtml.contains("<b>了解</b>"), "{rhtml}");
    assert!(
        !rhtml.contains("onerror") && !rhtml.contains("javascript"),
        "{rhtml}"
    );
    assert_eq!(listed["lastPostId"], reply.to_string());

    // Bob was mentioned; Alice was replied to; nobody is told of their own post.
    assert_eq!(
        notifications_of(&app, "bob"),
        vec![("mention".to_owned(), format!("post:{first}"))]
    );
    assert_eq!(
        notifications_of(&app, "alice"),
        vec![("reply".to_owned(), format!("post:{reply}"))]
    );
    assert!(notifications_of(&app, "carol").is_empty());
}

#[test]
fn limits_and_refused_mentions() {
    let app = TestApp::spawn();
    users(&app, &["alice", "bob", "outsider"]);
    let thread = seed_space(&app, 42, true, false, &["alice", "bob"]);
    let alice = as_user(&app, "alice");
    let refused = |b: &Value, key: &str| {
        assert_eq!(b["code"], "CB_VA01", "{b}");
        assert!(b["errors"].get(key).is_some(), "errors.{key}: {b}");
    };

    let (s, b) = post(&alice, 42, thread, json!({"text": "あ".repeat(65_536)}));
    assert_eq!(s, 400);
    refused(&b, "comment.text");
    let (s, _) = post(&alice, 42, thread, json!({"text": "あ".repeat(65_535)}));
    assert_eq!(s, 200, "65535 characters are allowed");
    let (s, b) = post(&alice, 42, thread, json!({"text": "  "}));
    assert_eq!(s, 400);
    refused(&b, "comment.text");

    let (s, b) = post(
        &alice,
        42,
        thread,
        json!({"text": "x", "mentions": [{"code": "nobody", "type": "USER"}]}),
    );
    assert_eq!(s, 400, "{b}");
    refused(&b, "comment.mentions[0].code");
    assert!(b["errors"]["comment.mentions[0].code"]["messages"][0]
        .as_str()
        .unwrap()
        .contains("nobody"));
    let (s, b) = post(
        &alice,
        42,
        thread,
        json!({"text": "x", "mentions": [{"code": "outsider", "type": "USER"}]}),
    );
    assert_eq!(s, 400, "a user who may not enter the private space: {b}");
    refused(&b, "comment.mentions[0].code");
    for kind in ["GROUP", "ORGANIZATION"] {
        let (s, b) = post(
            &alice,
            42,
            thread,
            json!({"text": "x", "mentions": [{"code": "no-such", "type": kind}]}),
        );
        assert_eq!(s, 400, "{kind}: {b}");
        refused(&b, "comment.mentions[0].code");
    }
    let (s, b) = post(
        &alice,
        42,
        thread,
        json!({"text": "x", "mentions": [{"code": "bob", "type": "CAT"}]}),
    );
    assert_eq!(s, 400);
    refused(&b, "comment.mentions[0]");
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({"code": "bob", "type": "USER"}))
        .collect();
    let (s, b) = post(&alice, 42, thread, json!({"text": "x", "mentions": eleven}));
    assert_eq!(s, 400);
    refused(&b, "comment.mentions");

    // Six files: refused before any is looked at; five of Alice's uploads are fine.
    let keys: Vec<String> = (0..6)
        .map(|i| upload_as(&app, "alice", &format!("f{i}.txt"), b"hello".to_vec()))
        .collect();
    let files =
        |n: usize| -> Vec<Value> { keys[..n].iter().map(|k| json!({"fileKey": k})).collect() };
    let (s, b) = post(&alice, 42, thread, json!({"text": "x", "files": files(6)}));
    assert_eq!(s, 400, "{b}");
    refused(&b, "comment.files");
    let (s, b) = post(
        &alice,
        42,
        thread,
        json!({"text": "x", "files": [{"fileKey": keys[0], "width": 50}]}),
    );
    assert_eq!(s, 400);
    refused(&b, "comment.files[0].width");
    let (s, b) = post(&alice, 42, thread, json!({"files": files(5)}));
    assert_eq!(s, 200, "files without text: {b}");
    // A key attached once cannot be attached again; someone else's upload is unknown.
    let (s, b) = post(&alice, 42, thread, json!({"text": "x", "files": files(1)}));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_BL01")), "{b}");
    let bobs = upload_as(&app, "bob", "b.txt", b"bob".to_vec());
    let (s, b) = post(
        &alice,
        42,
        thread,
        json!({"text": "x", "files": [{"fileKey": bobs}]}),
    );
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_BL01")), "{b}");
    // Nothing refused was written.
    let listed = page(&alice, 42, thread, "&limit=100");
    assert_eq!(listed["comments"].as_array().unwrap().len(), 2, "{listed}");
}

fn upload_as(app: &TestApp, user: &str, name: &str, bytes: Vec<u8>) -> String {
    use base64::Engine as _;
    let part = reqwest::blocking::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let resp = app
        .client
        .post(app.url("/k/v1/file.json"))
        .header(
            "X-Cybozu-Authorization",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PW}")),
        )
        .multipart(form)
        .send()
        .unwrap();
    let body: Value = resp.json().unwrap();
    body["fileKey"].as_str().unwrap().to_owned()
}

#[test]
fn edit_and_delete_only_ones_own_post_tombstone_keeps_replies() {
    let app = TestApp::spawn();
    users(&app, &["alice", "bob"]);
    let thread = seed_space(&app, 43, false, false, &["alice", "bob"]);
    let alice = as_user(&app, "alice");
    let bob = as_user(&app, "bob");
    let (_, b) = post(&alice, 43, thread, json!({"text": "最初"}));
    let first = id_of(&b);
    let (_, b) = bob.post(
        "/api/space/thread/comment.json",
        json!({"space": 43, "thread": thread, "comment": {"text": "返信", "parent": first}}),
    );
    let reply = id_of(&b);

    let (s, b) = bob.put(
        "/api/space/thread/comment.json",
        json!({"id": first, "comment": {"text": "乗っ取り"}}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, b) = bob.delete("/api/space/thread/comment.json", json!({"id": first}));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");

    let (s, b) = alice.put(
        "/api/space/thread/comment.json",
        json!({"id": first, "comment": {"html": "<i>直した</i><script>x</script>"}}),
    );
    assert_eq!(s, 200, "{b}");
    let listed = page(&bob, 43, thread, "");
    let top = &listed["comments"][0];
    assert_eq!(top["html"], "<i>直した</i>");
    assert_eq!(top["edited"], true);

    let (s, b) = alice.delete("/api/space/thread/comment.json", json!({"id": first}));
    assert_eq!(s, 200, "{b}");
    let listed = page(&bob, 43, thread, "");
    let top = &listed["comments"][0];
    assert_eq!(top["deleted"], true);
    assert_eq!(top["html"], "");
    assert_eq!(
        top["replies"][0]["id"],
        reply.to_string(),
        "the reply stays"
    );
    // A deleted post cannot be edited or deleted again.
    let (s, b) = alice.delete("/api/space/thread/comment.json", json!({"id": first}));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_RE02")), "{b}");

    let (_db, mut conn) = db(&app);
    #[derive(diesel::QueryableByName)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let mut q = conn.sql();
    q.push("SELECT action FROM audit_log WHERE action LIKE 'thread.post.%' ORDER BY id");
    let actions: Vec<String> = conn
        .load::<A>(&q)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, vec!["thread.post.edit", "thread.post.delete"]);
}

#[test]
fn read_receipts_and_unread_counts() {
    let app = TestApp::spawn();
    users(&app, &["alice", "bob", "carol"]);
    let t1 = seed_space(&app, 44, true, false, &["alice", "bob", "carol"]);
    let t2 = {
        let (_db, mut conn) = db(&app);
        add_thread(&mut conn, 44, "二つ目")
    };
    let alice = as_user(&app, "alice");
    let bob = as_user(&app, "bob");
    let carol = as_user(&app, "carol");
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, b) = post(&alice, 44, t1, json!({"text": format!("投稿{i}")}));
        ids.push(id_of(&b));
    }
    post(&carol, 44, t2, json!({"text": "別スレッド"}));

    let (s, b) = bob.get("/api/spaces/unread.json");
    assert_eq!(s, 200, "{b}");
    let space = &b["spaces"][0];
    assert_eq!(space["id"], "44");
    assert_eq!(space["unread"], "4", "{b}");
    let per_thread: Vec<(String, String)> = space["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["unread"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        per_thread,
        vec![
            (t1.to_string(), "3".to_owned()),
            (t2.to_string(), "1".to_owned())
        ]
    );
    // Alice's own posts are not unread for her.
    let (_, b) = alice.get("/api/spaces/unread.json");
    assert_eq!(b["spaces"][0]["unread"], "1", "{b}");

    // Bob reads up to the second post: it and the first are read by 1, the third by nobody.
    let (s, b) = bob.post(
        "/api/space/thread/read.json",
        json!({"space": 44, "thread": t1, "post": ids[1]}),
    );
    assert_eq!(s, 200, "{b}");
    let listed = page(&alice, 44, t1, "");
    let counts: Vec<&str> = listed["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["readCount"].as_str().unwrap())
        .collect();
    assert_eq!(counts, vec!["0", "1", "1"], "newest first: {listed}");
    let (s, b) = alice.get(&format!("/api/space/thread/readers.json?post={}", ids[1]));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], "1");
    assert_eq!(b["readers"][0]["code"], "bob");
    let (_, b) = bob.get("/api/spaces/unread.json");
    assert_eq!(b["spaces"][0]["unread"], "2", "{b}");
    // A position never moves back; reading all clears the thread.
    bob.post(
        "/api/space/thread/read.json",
        json!({"space": 44, "thread": t1, "post": ids[0]}),
    );
    let (_, b) = bob.get(&format!("/api/space/thread/readers.json?post={}", ids[1]));
    assert_eq!(b["count"], "1");
    bob.post(
        "/api/space/thread/read.json",
        json!({"space": 44, "thread": t1}),
    );
    bob.post(
        "/api/space/thread/read.json",
        json!({"space": 44, "thread": t2}),
    );
    let (_, b) = bob.get("/api/spaces/unread.json");
    assert_eq!(b["spaces"][0]["unread"], "0", "{b}");
    assert_eq!(b["total"], "0");
    // Carol reads too: the third post is read by 2 (the author is not counted).
    carol.post(
        "/api/space/thread/read.json",
        json!({"space": 44, "thread": t1}),
    );
    let (_, b) = alice.get(&format!("/api/space/thread/readers.json?post={}", ids[2]));
    assert_eq!(b["count"], "2", "{b}");
    // A post of another thread is not a read position of this one.
    let (s, b) = bob.post(
        "/api/space/thread/read.json",
        json!({"space": 44, "thread": t2, "post": ids[0]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_RE02")), "{b}");
}

#[test]
fn a_large_thread_pages_newest_first() {
    let app = TestApp::spawn();
    users(&app, &["alice"]);
    let thread = seed_space(&app, 45, false, false, &["alice"]);
    {
        let (_db, mut conn) = db(&app);
        let mut b = conn.sql();
        b.push("INSERT INTO thread_posts (thread_id, space_id, author, body, created_at) VALUES ");
        for i in 0..250 {
            if i > 0 {
                b.push(", ");
            }
            b.push("(")
                .bind_int(thread)
                .push(", 45, 'alice', ")
                .bind_text(&format!("<p>{i}</p>"))
                .push(", 0)");
        }
        conn.execute(&b).unwrap();
    }
    let alice = as_user(&app, "alice");
    let mut seen = Vec::new();
    let mut before = String::new();
    loop {
        let b = page(&alice, 45, thread, &format!("&limit=100{before}"));
        let posts = b["comments"].as_array().unwrap();
        seen.extend(posts.iter().map(|p| p["text"].as_str().unwrap().to_owned()));
        if !b["older"].as_bool().unwrap() {
            break;
        }
        before = format!("&before={}", posts.last().unwrap()["id"].as_str().unwrap());
    }
    let expected: Vec<String> = (0..250).rev().map(|i| i.to_string()).collect();
    assert_eq!(seen, expected);
    let (s, b) = alice.get(&format!(
        "/api/space/thread/comments.json?space=45&thread={thread}&limit=101"
    ));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
}

#[test]
fn non_members_guest_paths_and_files() {
    let app = TestApp::spawn();
    users(&app, &["alice", "bob", "outsider"]);
    let private = seed_space(&app, 46, true, false, &["alice", "bob"]);
    let guest = seed_space(&app, 47, false, true, &["alice"]);
    let alice = as_user(&app, "alice");
    let bob = as_user(&app, "bob");
    let outsider = as_user(&app, "outsider");

    let key = upload_as(&app, "alice", "秘密.txt", b"secret bytes".to_vec());
    let (s, b) = post(
        &alice,
        46,
        private,
        json!({"text": "資料", "files": [{"fileKey": key}]}),
    );
    assert_eq!(s, 200, "{b}");
    let listed = page(&bob, 46, private, "");
    assert_eq!(listed["comments"][0]["files"][0]["fileKey"], key.as_str());
    assert_eq!(listed["comments"][0]["files"][0]["name"], "秘密.txt");

    // A member downloads the post's file; someone who may not enter the space gets "not found".
    let download = |user: &str, path: &str| {
        use base64::Engine as _;
        let resp = app
            .client
            .get(app.url(&format!("{path}?fileKey={key}")))
            .header(
                "X-Cybozu-Authorization",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PW}")),
            )
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
    };
    assert_eq!(
        download("bob", "/k/v1/file.json"),
        (200, b"secret bytes".to_vec())
    );
    assert_eq!(download("outsider", "/k/v1/file.json").0, 404);

    // Not a member of a private space: it is not found, for every call.
    let (s, b) = post(&outsider, 46, private, json!({"text": "入れて"}));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_SP01")), "{b}");
    let (s, b) = outsider.get(&format!(
        "/api/space/thread/comments.json?space=46&thread={private}"
    ));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_SP01")), "{b}");
    let first = listed["comments"][0]["id"].as_str().unwrap().to_owned();
    let (s, b) = outsider.get(&format!("/api/space/thread/readers.json?post={first}"));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_RE02")), "{b}");
    let (s, b) = outsider.post(
        "/api/space/thread/read.json",
        json!({"space": 46, "thread": private}),
    );
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_SP01")), "{b}");
    let (_, b) = outsider.get("/api/spaces/unread.json");
    assert_eq!(b["spaces"], json!([]), "{b}");
    // A thread of another space is not this space's.
    let (s, b) = post(&alice, 46, guest, json!({"text": "x"}));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_TH01")), "{b}");

    // A guest space only through its own path, for kintone's call and for /api.
    let (s, b) = post(&alice, 47, guest, json!({"text": "x"}));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL23")), "{b}");
    let (s, b) = alice.post(
        "/k/guest/47/v1/space/thread/comment.json",
        json!({"space": 47, "thread": guest, "comment": {"text": "ゲスト部屋"}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = alice.get(&format!(
        "/k/guest/47/api/space/thread/comments.json?space=47&thread={guest}"
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["comments"][0]["text"], "ゲスト部屋");
    let (s, b) = alice.get(&format!(
        "/k/guest/46/api/space/thread/comments.json?space=47&thread={guest}"
    ));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");

    // API tokens never reach spaces.
    let app_id = app.create_app("t", kumiki_tests::sample_fields());
    app.deploy(app_id);
    let token = app.token(app_id, "view");
    let (s, b) = app.with_auth(Auth::Tokens(token)).get(&format!(
        "/api/space/thread/comments.json?space=46&thread={private}"
    ));
    assert_eq!(s, 403, "{b}");

    // Once the post is deleted, its file is no one's to download.
    let (s, b) = alice.delete("/api/space/thread/comment.json", json!({"id": first}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(download("bob", "/k/v1/file.json").0, 404);
}

#[test]
fn a_department_mention_fans_out_to_members_who_may_enter() {
    let app = TestApp::spawn();
    users(&app, &["alice", "d1", "d2", "sub1", "guesty"]);
    let (_db, mut conn) = db(&app);
    kumiki_engine::org::add_department(&mut conn, "dept", "課", None, 0).unwrap();
    kumiki_engine::org::add_department(&mut conn, "sub", "係", Some("dept"), 0).unwrap();
    for (u, d) in [
        ("d1", "dept"),
        ("d2", "dept"),
        ("sub1", "sub"),
        ("guesty", "dept"),
    ] {
        kumiki_engine::org::set_user_departments(&mut conn, u, &[d.to_owned()], None).unwrap();
    }
    kumiki_engine::users::User::set_guest(&mut conn, "guesty", true).unwrap();
    // A public space: every non-guest may enter, the guest may not.
    let thread = seed_space(&app, 48, false, false, &["alice"]);
    let alice = as_user(&app, "alice");
    let (s, b) = post(
        &alice,
        48,
        thread,
        json!({"text": "全員へ", "mentions": [{"code": "dept", "type": "ORGANIZATION"}]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(notifications_of(&app, "d1").len(), 1);
    assert_eq!(notifications_of(&app, "d2").len(), 1);
    assert!(
        notifications_of(&app, "sub1").is_empty(),
        "no sub-departments unless asked"
    );
    assert!(
        notifications_of(&app, "guesty").is_empty(),
        "a guest may not enter"
    );
    let (s, b) = alice.post(
        "/api/space/thread/comment.json",
        json!({"space": 48, "thread": thread, "comment": {"text": "係も", "mentions": [{"code": "dept", "type": "ORGANIZATION", "includeSubs": true}]}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(notifications_of(&app, "sub1").len(), 1);
    assert_eq!(notifications_of(&app, "d1").len(), 2);
}
