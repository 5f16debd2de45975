//! The reviewers' queue: the latest pending submission of every app outside guest spaces, oldest
//! first, each with the app's name and how many changes it makes per section (compared with the
//! live settings), for the `/review` page and `GET /api/review/queue.json`.

use super::names::NameMap;
use super::{readable, Submission};
use crate::apps::{load_definition, AppDefinition, LIVE, PREVIEW};
use crate::db::DbConn;
use crate::error::EngineResult;

/// One line of the queue.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub submission: Submission,
    /// The live name, else the submitted one (a never-deployed app).
    pub app_name: String,
    /// The current pre-live revision (the submission is outdated when it differs).
    pub current: i64,
    /// Changes per section between the live settings and the submitted ones.
    pub summary: Vec<(&'static str, usize)>,
}

/// The queue. The caller checks that the user is a reviewer.
pub fn entries(conn: &mut DbConn) -> EngineResult<Vec<QueueEntry>> {
    let mut out = Vec::new();
    for s in super::queue(conn)? {
        let live = load_definition(conn, s.app, LIVE)?.map(|(d, _)| d);
        let current = load_definition(conn, s.app, PREVIEW)?
            .map(|(_, r)| r)
            .unwrap_or(0);
        let base = match &live {
            Some(d) => d.clone(),
            None => empty()?,
        };
        let a = serde_json::to_value(&base)?;
        let b = serde_json::to_value(&s.definition)?;
        let names = NameMap::load_for(conn, &[&a, &b])?;
        let summary = readable::summary(&readable::describe(&base, &s.definition, &names));
        let app_name = live
            .as_ref()
            .map(|d| d.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| s.definition.name.clone());
        out.push(QueueEntry {
            submission: s,
            app_name,
            current,
            summary,
        });
    }
    Ok(out)
}

/// What a never-deployed app is compared with: a new app (only kintone's system fields), so what the
/// builder added shows as added.
pub fn empty() -> EngineResult<AppDefinition> {
    Ok(AppDefinition::new(""))
}
