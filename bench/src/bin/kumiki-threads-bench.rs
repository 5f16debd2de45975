//! `kumiki-threads-bench`: the thread benchmark of issue 13 (docs/benchmarks.md, "Threads").
//! In-process, no HTTP server: it links kumiki-engine and times the use cases the thread APIs call
//! (`spaces::reads::list_posts`, `unread_counts`, `unread_summary`, `spaces::posts::add_post`).
//!
//! ```text
//! kumiki-threads-bench --dir D [--database-url postgres://...] [--runs 200] [--scale 1.0]
//! ```
//! Loads (bulk SQL, deterministic): 1,000 users in 10 departments under one parent (a 1,000-member
//! department tree); 20 spaces × 10 threads; a year of 17,000 posts a month (204,000 posts) spread
//! over the 200 threads, plus one thread of 10,000 posts; read positions: every user has read every
//! thread of their spaces up to some point (most near the end). Then measures:
//! 1. the newest page (20 posts with replies) of the 10,000-post thread, and a page at mid-depth;
//! 2. unread counts of one user in 200 threads (one statement);
//! 3. a post mentioning the 1,000-member department (with sub-departments): fan-out of 1,000
//!    notifications;
//! 4. the portal's unread summary of a user (all their spaces).

use std::time::{Duration, Instant};

use anyhow::Result;
use kumiki_bench::inproc::{self, bulk, exec, CommonArgs};
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::db::DbConn;
use kumiki_engine::spaces::posts::{add_post, Mention, NewPost, PostBody};
use kumiki_engine::spaces::reads::{list_posts, unread_counts, unread_summary};

const USERS: i64 = 1_000;
const SPACES: i64 = 20;
const THREADS_PER_SPACE: i64 = 10;
const POSTS_PER_MONTH: i64 = 17_000;
const BIG_THREAD_POSTS: i64 = 10_000;

struct Args {
    common: CommonArgs,
    runs: usize,
    scale: f64,
}

fn parse_args() -> Result<Args> {
    let mut runs = 200;
    let mut scale = 1.0;
    let common = inproc::parse_args("kumiki-threads-bench", |flag, value| {
        match flag {
            "--runs" => runs = value.parse()?,
            "--scale" => scale = value.parse()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(Args {
        common,
        runs,
        scale,
    })
}

/// A small deterministic generator (xorshift), so every run loads the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: i64) -> i64 {
        i64::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

struct Loaded {
    big_thread: i64,
    big_space: i64,
    threads: Vec<i64>,
}

fn load(conn: &mut DbConn, scale: f64) -> Result<Loaded> {
    let started = Instant::now();
    let bool_lit = |b: bool| if b { "TRUE" } else { "FALSE" };
    let users: Vec<String> = (0..USERS)
        .map(|i| {
            format!(
                "('u{i:04}', 'ユーザー{i}', '-', {}, 'ja', 'Asia/Tokyo', 0)",
                bool_lit(false)
            )
        })
        .collect();
    bulk(
        conn,
        "users",
        "code, name, password_hash, is_admin, locale, timezone, created_at",
        &users,
    )?;
    let mut depts = vec!["('all', '全庁', NULL, 0)".to_owned()];
    depts.extend((0..10).map(|d| format!("('d{d}', '課{d}', 'all', {d})")));
    bulk(conn, "departments", "code, name, parent_code, sort", &depts)?;
    let members: Vec<String> = (0..USERS)
        .map(|i| format!("('u{i:04}', 'd{}', {})", i % 10, bool_lit(true)))
        .collect();
    bulk(
        conn,
        "user_departments",
        "user_code, department_code, is_primary",
        &members,
    )?;
    // 20 private spaces; space s has the departments d(s%10) and d((s+1)%10) as members (200
    // users each), so every user is in 4 spaces = 40 threads.
    let spaces: Vec<String> = (1..=SPACES)
        .map(|s| format!("({s}, '部屋{s}', FALSE, TRUE, TRUE, 0)"))
        .collect();
    bulk(
        conn,
        "spaces",
        "id, name, is_guest, is_private, use_multi_thread, created_at",
        &spaces,
    )?;
    let mut entries = Vec::new();
    for s in 1..=SPACES {
        for d in [s % 10, (s + 1) % 10] {
            entries.push(format!("({s}, 'ORGANIZATION', 'd{d}', FALSE, FALSE)"));
        }
    }
    // The big thread's space (space 1) also has the whole tree, for the fan-out case.
    entries.push("(1, 'ORGANIZATION', 'all', FALSE, TRUE)".to_owned());
    bulk(
        conn,
        "space_members",
        "space_id, entity_type, code, is_admin, include_subs",
        &entries,
    )?;
    let mut threads = Vec::new();
    for s in 1..=SPACES {
        for t in 0..THREADS_PER_SPACE {
            threads.push(format!("({s}, 'スレッド{s}-{t}', 'u0000', 0, 0)"));
        }
    }
    threads.push("(1, '大きなスレッド', 'u0000', 0, 0)".to_owned());
    bulk(
        conn,
        "space_threads",
        "space_id, name, creator, created_at, modified_at",
        &threads,
    )?;
    let thread_ids: Vec<i64> = (1..=SPACES * THREADS_PER_SPACE).collect();
    let big_thread = SPACES * THREADS_PER_SPACE + 1;
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let year = ((POSTS_PER_MONTH * 12) as f64 * scale) as i64;
    let body = "<p>定例会議の資料を共有します。確認をお願いします。 https://example.jp/doc</p>";
    let mut rows = Vec::with_capacity(10_000);
    let mut last_of: Vec<i64> = vec![0; usize::try_from(big_thread + 1)?];
    let mut next_id = 1;
    let flush = |conn: &mut DbConn, rows: &mut Vec<String>| -> Result<()> {
        bulk(
            conn,
            "thread_posts",
            "id, thread_id, space_id, parent_id, author, body, created_at",
            rows,
        )?;
        rows.clear();
        Ok(())
    };
    for n in 0..year {
        let t = 1 + rng.below(SPACES * THREADS_PER_SPACE);
        let space = (t - 1) / THREADS_PER_SPACE + 1;
        let author = format!("u{:04}", rng.below(USERS));
        let parent = if n % 5 == 4 && last_of[usize::try_from(t)?] > 0 {
            last_of[usize::try_from(t)?].to_string()
        } else {
            "NULL".to_owned()
        };
        rows.push(format!(
            "({next_id}, {t}, {space}, {parent}, '{author}', '{body}', {n})"
        ));
        if parent == "NULL" {
            last_of[usize::try_from(t)?] = next_id;
        }
        next_id += 1;
        if rows.len() >= 10_000 {
            flush(conn, &mut rows)?;
        }
    }
    for n in 0..BIG_THREAD_POSTS {
        let author = format!("u{:04}", rng.below(USERS));
        let parent = if n % 4 == 3 {
            (next_id - 1).to_string()
        } else {
            "NULL".to_owned()
        };
        rows.push(format!(
            "({next_id}, {big_thread}, 1, {parent}, '{author}', '{body}', {n})"
        ));
        next_id += 1;
        if rows.len() >= 10_000 {
            flush(conn, &mut rows)?;
        }
    }
    flush(conn, &mut rows)?;
    if conn.dialect() == kumiki_engine::db::Dialect::Postgres {
        exec(
            conn,
            &format!("SELECT setval('thread_posts_id_seq', {next_id})"),
        )?;
    }
    exec(conn, "UPDATE space_threads SET last_post_id = (SELECT COALESCE(MAX(id), 0) FROM thread_posts p WHERE p.thread_id = space_threads.id)")?;
    // Read positions: each member has read each thread of their spaces up to a point near its end
    // (some a few posts behind, some far behind).
    let last: Vec<(i64, i64)> = {
        #[derive(diesel::QueryableByName)]
        struct R {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            last_post_id: i64,
        }
        let mut b = conn.sql();
        b.push("SELECT id, last_post_id FROM space_threads ORDER BY id");
        conn.load::<R>(&b)?
            .into_iter()
            .map(|r| (r.id, r.last_post_id))
            .collect()
    };
    let mut reads = Vec::new();
    for (t, last_post) in &last {
        let space = (t - 1) / THREADS_PER_SPACE + 1;
        let space = space.min(SPACES);
        for i in 0..USERS {
            let d = i % 10;
            if d != space % 10 && d != (space + 1) % 10 {
                continue;
            }
            let behind = match rng.below(10) {
                0..=6 => 0,
                7 | 8 => 30 * (1 + rng.below(5)),
                _ => 3_000,
            };
            reads.push(format!(
                "({t}, 'u{i:04}', {}, 0)",
                (last_post - behind).max(0)
            ));
        }
        if reads.len() >= 5_000 {
            bulk(
                conn,
                "thread_reads",
                "thread_id, user_code, last_read_post, read_at",
                &reads,
            )?;
            reads.clear();
        }
    }
    bulk(
        conn,
        "thread_reads",
        "thread_id, user_code, last_read_post, read_at",
        &reads,
    )?;
    exec(conn, "ANALYZE")?;
    println!(
        "loaded {} posts (a year of {POSTS_PER_MONTH}/month × {scale}) + a {BIG_THREAD_POSTS}-post thread, {USERS} users, {} threads in {:.1} s",
        year,
        thread_ids.len() + 1,
        started.elapsed().as_secs_f64()
    );
    Ok(Loaded {
        big_thread,
        big_space: 1,
        threads: thread_ids,
    })
}

fn acting_for(conn: &mut DbConn, user: &str) -> Result<ActingContext> {
    let principal = Principal::for_user(conn, user, user, false)?;
    Ok(ActingContext::new(
        principal,
        Channel::Api,
        chrono_tz::Asia::Tokyo,
    ))
}

fn report(name: &str, goal_ms: f64, mut times: Vec<Duration>) {
    times.sort();
    let pick = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i.min(times.len() - 1)].as_secs_f64() * 1000.0
    };
    let p99 = pick(0.99);
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms (goal p99 ≤ {goal_ms} ms) {}",
        times.len(),
        pick(0.5),
        p99,
        pick(1.0),
        if p99 <= goal_ms { "OK" } else { "MISSED" }
    );
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let db = args.common.open_database("threads.db")?;
    let mut conn = db.conn()?;
    let loaded = load(&mut conn, args.scale)?;

    // 1. The newest page of the 10,000-post thread, as a member opening it.
    let reader = acting_for(&mut conn, "u0001")?;
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let t = Instant::now();
        let page = list_posts(
            &mut conn,
            &reader,
            loaded.big_space,
            loaded.big_thread,
            None,
            20,
        )?;
        times.push(t.elapsed());
        assert!(page.posts.len() == 20 && page.older);
    }
    report(
        "newest page of a 10,000-post thread (20 posts + replies)",
        100.0,
        times,
    );
    let mut times = Vec::new();
    let mut rng = Rng(42);
    let last = {
        let p = list_posts(
            &mut conn,
            &reader,
            loaded.big_space,
            loaded.big_thread,
            None,
            1,
        )?;
        p.last_post_id
    };
    for _ in 0..args.runs {
        let before = last - rng.below(BIG_THREAD_POSTS);
        let t = Instant::now();
        list_posts(
            &mut conn,
            &reader,
            loaded.big_space,
            loaded.big_thread,
            Some(before),
            20,
        )?;
        times.push(t.elapsed());
    }
    report(
        "an older page at a random depth of the same thread",
        100.0,
        times,
    );

    // 2. Unread counts of one user in 200 threads (one statement).
    let mut times = Vec::new();
    for i in 0..args.runs {
        let user = format!("u{:04}", (i * 37) % 1000);
        let t = Instant::now();
        let counts = unread_counts(&mut conn, &user, &loaded.threads)?;
        times.push(t.elapsed());
        assert_eq!(counts.len(), 200);
    }
    report("unread counts of one user in 200 threads", 20.0, times);

    // 4. The portal's unread summary (the user's spaces, each thread's unread posts).
    let mut times = Vec::new();
    let actors: Vec<ActingContext> = (0..20)
        .map(|i| acting_for(&mut conn, &format!("u{:04}", i * 50 + 3)))
        .collect::<Result<_>>()?;
    for i in 0..args.runs {
        let t = Instant::now();
        let summary = unread_summary(&mut conn, &actors[i % actors.len()])?;
        times.push(t.elapsed());
        assert!(!summary.is_empty());
    }
    report(
        "portal unread summary of a user (a year loaded)",
        100.0,
        times,
    );

    // 3. A mention of the 1,000-member department tree: post + 1,000 notifications, in one
    // transaction as the API does.
    let poster = acting_for(&mut conn, "u0000")?;
    let mut times = Vec::new();
    for i in 0..10 {
        let new = NewPost {
            space: loaded.big_space,
            thread: loaded.big_thread,
            parent: None,
            body: PostBody::Text(format!("全員へ連絡 {i}")),
            mentions: vec![Mention {
                code: "all".into(),
                kind: "ORGANIZATION".into(),
                include_subs: true,
            }],
            files: Vec::new(),
        };
        let t = Instant::now();
        conn.write_transaction(|c| add_post(c, &poster, &new, 0))?;
        times.push(t.elapsed());
    }
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM notifications");
    let written = conn.load::<N>(&b)?.first().map_or(0, |r| r.n);
    println!("notifications written: {written} (10 posts × 999 recipients expected)");
    report(
        "post mentioning a 1,000-member department (fan-out)",
        1000.0,
        times,
    );
    Ok(())
}
