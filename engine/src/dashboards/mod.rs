//! Issue 16, dashboards: charts and record lists pinned to a board — a user's own portal
//! (「自分のダッシュボード」), a space's page, or the shared portal.
//!
//! Guarantees:
//! - one rule for who may see and change a board (`Board::may_see`, `Board::may_pin`): a user's
//!   own board only by that user; a space's board is seen by whoever may enter the space and
//!   changed by its space admins; the shared portal is seen by every signed-in user who is not a
//!   guest and changed by administrators. API tokens and public-form visitors have no boards;
//! - a pin is added only for an item the pinner may see now (`open_report` for a chart, the
//!   app's view right and an existing view for a list);
//! - a pin stores only what it points at, never what it showed: every viewer's page computes the
//!   chart or the list again with the viewer's own rights (`items`), and an item the viewer may not
//!   see is reported as such, never shown;
//! - a pin on a board the caller may not see does not exist for them (`PinNotFound`), so ids of
//!   other users' pins tell nothing;
//! - a guest space's board is reached, like everything of a guest space, only through its own path
//!   (`/k/guest/<id>/`, and the space's page): its pins are computed through that path, so a pin of
//!   an app outside the space never shows there, and a guest is not even told such a pin exists
//!   (`list` leaves out the pins of apps the guest may not open);
//! - a private view (個人用の一覧, item `private:<id>`) is pinned only to its owner's own board, and
//!   deleting the view removes its pins (`forget_private_view`), so a pin never shows a later view
//!   that happens to get the same id.

pub mod items;

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::json;

use crate::acl::{AppRight, Principal};
use crate::acting::ActingContext;
use crate::apps::AppId;
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::spaces::Membership;

/// Most pins on one board.
pub const MAX_PINS: usize = 30;
/// Most records a list pin shows.
pub const MAX_ROWS: i64 = 50;
/// Records a list pin shows when the pinner names no count.
pub const DEFAULT_ROWS: i64 = 5;

/// The board a pin is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Board {
    /// One user's own portal.
    User(String),
    /// A space's page.
    Space(i64),
    /// The portal every user sees.
    Portal,
}

impl Board {
    /// `(scope, owner)` as stored.
    fn key(&self) -> (&'static str, String) {
        match self {
            Board::User(code) => ("USER", code.clone()),
            Board::Space(id) => ("SPACE", id.to_string()),
            Board::Portal => ("PORTAL", String::new()),
        }
    }

    fn from_key(scope: &str, owner: &str) -> Option<Board> {
        match scope {
            "USER" => Some(Board::User(owner.to_owned())),
            "SPACE" => owner.parse().ok().map(Board::Space),
            "PORTAL" => Some(Board::Portal),
            _ => None,
        }
    }

    /// The wire name of the scope (`USER`, `SPACE`, `PORTAL`).
    pub fn scope(&self) -> &'static str {
        self.key().0
    }

    /// The board named by the API's `scope` (and `space` for SPACE); `USER` is the caller's own.
    pub fn named(acting: &ActingContext, scope: &str, space: Option<i64>) -> EngineResult<Board> {
        match (scope, space) {
            ("USER", _) => Ok(Board::User(acting.principal().acting_user().to_owned())),
            ("SPACE", Some(id)) => Ok(Board::Space(id)),
            ("SPACE", None) => Err(UserError::invalid("space", "Required field.").into()),
            ("PORTAL", _) => Ok(Board::Portal),
            _ => Err(UserError::invalid("scope", "Enter USER, SPACE or PORTAL.").into()),
        }
    }

    /// Whether the caller may see this board's pins. A space the caller may not enter is
    /// `SpaceNotFound`, as everywhere else.
    pub fn may_see(&self, conn: &mut DbConn, acting: &ActingContext) -> EngineResult<bool> {
        let Principal::User { code, guest, .. } = acting.principal() else {
            return Ok(false);
        };
        match self {
            Board::User(owner) => Ok(owner == code),
            Board::Space(id) => {
                acting.enter_space(conn, *id)?;
                Ok(true)
            }
            Board::Portal => Ok(!*guest),
        }
    }

    /// Whether the caller may add, remove and move this board's pins.
    pub fn may_pin(&self, conn: &mut DbConn, acting: &ActingContext) -> EngineResult<bool> {
        let Principal::User {
            code,
            is_admin,
            guest,
            ..
        } = acting.principal()
        else {
            return Ok(false);
        };
        match self {
            Board::User(owner) => Ok(owner == code && !*guest),
            Board::Space(id) => {
                acting.enter_space(conn, *id)?;
                Ok(acting.space_membership(conn, *id)? == Membership::Admin)
            }
            Board::Portal => Ok(*is_admin && !*guest),
        }
    }
}

/// What a pin shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A chart (report) of an app.
    Chart,
    /// The first records of a view of an app.
    List,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chart => "CHART",
            Kind::List => "LIST",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "CHART" => Some(Kind::Chart),
            "LIST" => Some(Kind::List),
            _ => None,
        }
    }
}

/// One pin.
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    pub id: i64,
    pub board: Board,
    pub kind: Kind,
    pub app: AppId,
    /// The report id (CHART) or the view id (LIST; empty for every record).
    pub item: String,
    pub rows: i64,
    pub position: i64,
    pub created_by: String,
    pub created_at: i64,
}

/// What a new pin points at.
#[derive(Debug, Clone)]
pub struct NewPin {
    pub kind: Kind,
    pub app: AppId,
    pub item: String,
    /// LIST only; `None` is [`DEFAULT_ROWS`].
    pub rows: Option<i64>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    app_id: i64,
    #[diesel(sql_type = Text)]
    item: String,
    #[diesel(sql_type = BigInt)]
    row_count: i64,
    #[diesel(sql_type = BigInt)]
    position: i64,
    #[diesel(sql_type = Text)]
    created_by: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
}

impl Row {
    fn into_pin(self) -> Option<Pin> {
        Some(Pin {
            id: self.id,
            board: Board::from_key(&self.scope, &self.owner)?,
            kind: Kind::parse(&self.kind)?,
            app: AppId(self.app_id),
            item: self.item,
            rows: self.row_count,
            position: self.position,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

const COLUMNS: &str =
    "id, scope, owner, kind, app_id, item, row_count, position, created_by, created_at";

fn board_pins(conn: &mut DbConn, board: &Board) -> EngineResult<Vec<Pin>> {
    let (scope, owner) = board.key();
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT {COLUMNS} FROM dashboard_pins WHERE scope = "
    ))
    .bind_text(scope)
    .push(" AND owner = ")
    .bind_text(&owner)
    .push(" ORDER BY position, id");
    let rows: Vec<Row> = conn.load(&b)?;
    Ok(rows.into_iter().filter_map(Row::into_pin).collect())
}

fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<Pin>> {
    let mut b = conn.sql();
    b.push(&format!("SELECT {COLUMNS} FROM dashboard_pins WHERE id = "))
        .bind_int(id);
    let rows: Vec<Row> = conn.load(&b)?;
    Ok(rows.into_iter().next().and_then(Row::into_pin))
}

/// The pins of `board` in their order, when the caller may see the board.
///
/// A guest gets only the pins of apps it may open through the caller's path: the others'
/// app ids and authors are the host's business.
///
/// Errors: `Forbidden` for a board the caller may not see (another user's, the shared portal for
/// a guest or a token); `SpaceNotFound` for a space the caller may not enter.
pub fn list(conn: &mut DbConn, acting: &ActingContext, board: &Board) -> EngineResult<Vec<Pin>> {
    if !board.may_see(conn, acting)? {
        return Err(UserError::Forbidden.into());
    }
    let pins = board_pins(conn, board)?;
    if !acting.principal().is_guest() {
        return Ok(pins);
    }
    let mut shown = Vec::with_capacity(pins.len());
    for pin in pins {
        match acting.find_app(conn, pin.app, AppRight::View) {
            Ok(_) => shown.push(pin),
            Err(crate::EngineError::User(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(shown)
}

/// Whether the caller may see the pinned item now (the check for adding a pin). A private view
/// goes only on the caller's own board: it is personal, nobody else may see it.
fn check_item(
    conn: &mut DbConn,
    acting: &ActingContext,
    board: &Board,
    new: &NewPin,
) -> EngineResult<()> {
    match new.kind {
        Kind::Chart => {
            crate::reports::open_report(conn, acting, new.app, &new.item)?
                .ok_or_else(|| UserError::ReportNotFound(new.item.clone()))?;
        }
        Kind::List => {
            if items::is_private(&new.item) && !matches!(board, Board::User(_)) {
                return Err(UserError::invalid(
                    "item",
                    Message::keyed(
                        "dash.private_personal",
                        "A private view is personal: pin it to your own dashboard only.",
                    ),
                )
                .into());
            }
            let live = acting.open_app(conn, new.app, AppRight::View)?;
            items::resolve_view(conn, acting, &live, &new.item)?;
        }
    }
    Ok(())
}

/// Adds a pin at the end of `board`. Returns it.
///
/// Errors: `Forbidden` when the caller may not change the board (another user's own board, a
/// space they do not administer, the shared portal for anyone but administrators); the app's and
/// the report's errors when the caller may not see the item (`AppNotFound`, `ReportNotFound`);
/// `Validation` for an unknown view, a row count outside 1 to [`MAX_ROWS`], a full board.
pub fn add(
    conn: &mut DbConn,
    acting: &ActingContext,
    board: &Board,
    new: &NewPin,
) -> EngineResult<Pin> {
    if !board.may_pin(conn, acting)? {
        return Err(UserError::Forbidden.into());
    }
    let rows = match (new.kind, new.rows) {
        (Kind::Chart, _) => 0,
        (Kind::List, None) => DEFAULT_ROWS,
        (Kind::List, Some(n)) if (1..=MAX_ROWS).contains(&n) => n,
        (Kind::List, Some(_)) => {
            return Err(
                UserError::invalid("rows", format!("Enter a number from 1 to {MAX_ROWS}.")).into(),
            )
        }
    };
    if new.kind == Kind::Chart && new.item.is_empty() {
        return Err(UserError::invalid("item", "Required field.").into());
    }
    check_item(conn, acting, board, new)?;
    let existing = board_pins(conn, board)?;
    if existing.len() >= MAX_PINS {
        return Err(UserError::invalid(
            "scope",
            format!("A dashboard holds at most {MAX_PINS} items."),
        )
        .into());
    }
    let position = existing.iter().map(|p| p.position).max().unwrap_or(0) + 1;
    let (scope, owner) = board.key();
    let now = acting.now().timestamp();
    let mut b = conn.sql();
    b.push("INSERT INTO dashboard_pins (scope, owner, kind, app_id, item, row_count, position, created_by, created_at) VALUES (")
        .bind_text(scope)
        .push(", ")
        .bind_text(&owner)
        .push(", ")
        .bind_text(new.kind.name())
        .push(", ")
        .bind_int(new.app.0)
        .push(", ")
        .bind_text(&new.item)
        .push(", ")
        .bind_int(rows)
        .push(", ")
        .bind_int(position)
        .push(", ")
        .bind_text(acting.principal().acting_user())
        .push(", ")
        .bind_int(now)
        .push(") RETURNING id AS n");
    let ids: Vec<crate::db::IntRow> = conn.load(&b)?;
    let id = ids
        .first()
        .map(|r| r.n)
        .ok_or_else(|| crate::EngineError::Internal("insert returned no id".into()))?;
    acting.audit(
        conn,
        "dashboard.pin.add",
        &format!("pin:{id}"),
        json!({"scope": scope, "owner": owner, "kind": new.kind.name(), "app": new.app.0, "item": new.item}),
    )?;
    find(conn, id)?.ok_or_else(|| crate::EngineError::Internal("pin vanished".into()))
}

/// The pin `id` when the caller may change its board.
///
/// Errors: `PinNotFound` when it does not exist or its board is hidden from the caller;
/// `Forbidden` when the caller sees it but may not change the board.
fn changeable(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Pin> {
    let not_found = || UserError::PinNotFound(id.to_string());
    let pin = find(conn, id)?.ok_or_else(not_found)?;
    let seen = match pin.board.may_see(conn, acting) {
        Ok(seen) => seen,
        Err(crate::EngineError::User(_)) => false,
        Err(e) => return Err(e),
    };
    if !seen {
        return Err(not_found().into());
    }
    if !pin.board.may_pin(conn, acting)? {
        return Err(UserError::Forbidden.into());
    }
    Ok(pin)
}

/// Removes pin `id`. Errors: see `changeable`.
pub fn remove(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let pin = changeable(conn, acting, id)?;
    let mut b = conn.sql();
    b.push("DELETE FROM dashboard_pins WHERE id = ")
        .bind_int(id);
    conn.execute(&b)?;
    acting.audit(
        conn,
        "dashboard.pin.remove",
        &format!("pin:{id}"),
        json!({"scope": pin.board.scope(), "app": pin.app.0, "item": pin.item}),
    )
}

/// Moves pin `id` to `index` (0-based, clamped) among its board's pins; the others keep their order.
/// Errors: see `changeable`.
pub fn move_to(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    index: usize,
) -> EngineResult<Vec<Pin>> {
    let pin = changeable(conn, acting, id)?;
    let mut order: Vec<i64> = board_pins(conn, &pin.board)?
        .into_iter()
        .map(|p| p.id)
        .filter(|p| *p != id)
        .collect();
    order.insert(index.min(order.len()), id);
    for (i, pid) in order.iter().enumerate() {
        let mut b = conn.sql();
        b.push("UPDATE dashboard_pins SET position = ")
            .bind_int(i as i64 + 1)
            .push(" WHERE id = ")
            .bind_int(*pid);
        conn.execute(&b)?;
    }
    board_pins(conn, &pin.board)
}

/// The boards the caller may pin an item to: their own, the spaces they administer (id and name),
/// and the shared portal for administrators. What the 「ダッシュボードに追加」 control offers.
///
/// `acting` goes through the path of the item's app (`ActingContext::through_path_of`): for an
/// app of a guest space that space is the only space offered (its board shows only its own apps),
/// for any other app the host spaces are (a guest space's board never shows an app outside it).
pub fn boards_for(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<Vec<(Board, String)>> {
    let Principal::User {
        code,
        is_admin,
        guest,
        ..
    } = acting.principal()
    else {
        return Ok(Vec::new());
    };
    if *guest {
        return Ok(Vec::new());
    }
    let mut out = vec![(Board::User(code.clone()), String::new())];
    for (space, m) in crate::spaces::store::list_spaces(conn, acting)? {
        let reached = match acting.guest_space() {
            Some(path) => space.is_guest && space.id == path,
            None => !space.is_guest,
        };
        if m == Membership::Admin && reached {
            out.push((Board::Space(space.id), space.name));
        }
    }
    if *is_admin {
        out.push((Board::Portal, String::new()));
    }
    Ok(out)
}

/// Removes the pins of a space's board, in the transaction that deletes the space
/// (`spaces::store::delete_space`), so no pin outlives its board.
pub fn forget_space(conn: &mut DbConn, space: i64) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM dashboard_pins WHERE scope = 'SPACE' AND owner = ")
        .bind_text(&space.to_string());
    conn.execute(&b)?;
    Ok(())
}

/// Removes the pins of user `user`'s private view `view` of `app`, in the transaction that deletes
/// the view (`views::private`): the pin goes with the view instead of showing a later view that
/// gets the same id.
pub fn forget_private_view(
    conn: &mut DbConn,
    app: AppId,
    user: &str,
    view: i64,
) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM dashboard_pins WHERE scope = 'USER' AND kind = 'LIST' AND owner = ")
        .bind_text(user)
        .push(" AND app_id = ")
        .bind_int(app.0)
        .push(" AND item = ")
        .bind_text(&items::private_item(view));
    conn.execute(&b)?;
    Ok(())
}
