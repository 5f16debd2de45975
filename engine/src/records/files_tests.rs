//! Attachments in the database (`FilesIn::Database`) next to those in the directory, on the scratch
//! database of the run (SQLite, or PostgreSQL with `KUMIKI_TEST_DATABASE_URL`).

use diesel::prelude::*;

use super::*;
use crate::db::scratch;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn blob_rows(conn: &mut DbConn, key: &str) -> EngineResult<i64> {
    Ok(with_conn!(conn, |c| file_blobs::table
        .filter(file_blobs::file_key.eq(key))
        .count()
        .get_result::<i64>(c))?)
}

fn storage_path(conn: &mut DbConn, key: &str) -> EngineResult<String> {
    Ok(file_meta(conn, key)?.storage_path)
}

/// Bytes that no chunk boundary hides: a counter pattern, `len` long.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Every file under `dir`, recursively, except those under `incoming/`.
fn stored_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name() != Some(std::ffi::OsStr::new("incoming")) {
                    todo.push(p);
                }
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn database_files_span_chunks_and_read_back_whole() -> TestResult {
    let (_guard, db) = scratch::database("files_db")?;
    let mut conn = db.conn()?;
    let dir = tempfile::tempdir()?;
    let store = FileStore::new(dir.path())?.writing_to(FilesIn::Database);
    let sizes = [0, 10, BLOB_CHUNK_BYTES, 2 * BLOB_CHUNK_BYTES + 17];
    let mut keys = Vec::new();
    for (i, len) in sizes.iter().enumerate() {
        let bytes = pattern(*len);
        let key = store.upload(&mut conn, &format!("f{i}.bin"), "x/y", &bytes, "u")?;
        assert_eq!(storage_path(&mut conn, &key)?, format!("db:{key}"));
        // At least one chunk (an empty file too), then one per started MiB.
        assert_eq!(
            blob_rows(&mut conn, &key)?,
            i64::try_from(len.div_ceil(BLOB_CHUNK_BYTES).max(1))?
        );
        let local = store.open_local(&mut conn, &format!("db:{key}"))?;
        assert_eq!(std::fs::read(local.path())?, bytes);
        let copy = local.path().to_path_buf();
        drop(local);
        assert!(!copy.exists(), "the temporary copy is removed");
        keys.push(key);
    }
    // Nothing on disk but (empty) temporaries.
    assert_eq!(stored_files(dir.path()), Vec::<PathBuf>::new());
    assert_eq!(std::fs::read_dir(store.incoming_dir()?)?.count(), 0);

    // A duplicate is a new database file with the same bytes.
    let copy = store.duplicate(&mut conn, &keys[3], "v")?;
    let copy_path = storage_path(&mut conn, &copy)?;
    assert_eq!(store.read(&mut conn, &copy_path)?, pattern(sizes[3]));

    // Detaching drops the bytes with the rows, in the caller's transaction: a rollback keeps them.
    let rolled_back: EngineResult<()> = conn.write_transaction(|c| {
        detach_files(c, &keys)?;
        Err(EngineError::Internal("rollback".into()))
    });
    assert!(rolled_back.is_err());
    assert_eq!(blob_rows(&mut conn, &keys[3])?, 3);
    let paths = conn.write_transaction(|c| detach_files(c, &keys))?;
    assert_eq!(paths.len(), keys.len());
    for k in &keys {
        assert_eq!(blob_rows(&mut conn, k)?, 0);
    }
    // Removing after the commit has nothing left to do for them, and does not fail.
    store.remove(&paths);
    assert_eq!(blob_rows(&mut conn, &copy)?, 3);
    Ok(())
}

#[test]
fn reads_follow_the_row_whatever_the_setting() -> TestResult {
    let (_guard, db) = scratch::database("files_mix")?;
    let mut conn = db.conn()?;
    let dir = tempfile::tempdir()?;
    let on_disk = FileStore::new(dir.path())?;
    let in_db = on_disk.clone().writing_to(FilesIn::Database);
    let a = on_disk.upload(&mut conn, "a.txt", "text/plain", b"on disk", "u")?;
    let b = in_db.upload(&mut conn, "b.txt", "text/plain", b"in the database", "u")?;
    let a_path = storage_path(&mut conn, &a)?;
    let b_path = storage_path(&mut conn, &b)?;
    assert!(in_database(&a_path).is_none());
    assert!(dir.path().join(&a_path).is_file());
    for store in [&on_disk, &in_db] {
        assert_eq!(store.read(&mut conn, &a_path)?, b"on disk");
        assert_eq!(store.read(&mut conn, &b_path)?, b"in the database");
    }
    // A database file whose bytes are gone (or short) is an error, never a short file.
    with_conn!(&mut conn, |c| diesel::delete(
        file_blobs::table.filter(file_blobs::file_key.eq(&b))
    )
    .execute(c))?;
    assert!(in_db.open_local(&mut conn, &format!("db:{b}")).is_err());
    assert_eq!(std::fs::read_dir(in_db.incoming_dir()?)?.count(), 0);
    Ok(())
}

#[test]
fn a_failed_database_store_leaves_nothing() -> TestResult {
    let (_guard, db) = scratch::database("files_fail")?;
    let mut conn = db.conn()?;
    let dir = tempfile::tempdir()?;
    let store = FileStore::new(dir.path())?.writing_to(FilesIn::Database);
    // The upload's temporary file vanished before it was stored: no row, no chunk.
    let incoming = store.incoming()?;
    std::fs::remove_file(&incoming.path)?;
    assert!(store
        .store(&mut conn, incoming, "gone.bin", "x/y", "u", "")
        .is_err());
    let rows = with_conn!(&mut conn, |c| files::table.count().get_result::<i64>(c))?;
    let blobs = with_conn!(&mut conn, |c| file_blobs::table
        .count()
        .get_result::<i64>(c))?;
    assert_eq!((rows, blobs), (0, 0));
    Ok(())
}

#[test]
fn a_start_removes_only_stale_temporary_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = FileStore::new(dir.path())?;
    let day = std::time::Duration::from_secs(24 * 3600);
    // Left by a process that stopped two days ago, and one being written now (another node's).
    let stale = store.incoming_dir()?.join("left.part");
    std::fs::write(&stale, b"half an upload")?;
    std::fs::File::options()
        .write(true)
        .open(&stale)?
        .set_modified(std::time::SystemTime::now() - 2 * day)?;
    let mut fresh = store.incoming()?;
    fresh.write_all(b"in progress")?;
    assert_eq!(store.remove_stale_temporary_files(day)?, 1);
    assert!(!stale.exists());
    assert!(fresh.path.exists());
    assert_eq!(std::fs::read_dir(store.incoming_dir()?)?.count(), 1);
    Ok(())
}
