//! The evaluator: what one principal may do in one app, from the app's deployed permission lists.
//!
//! Model (kintone's, see docs/api.md "Permissions"):
//! - **App rights.** No app ACL set: every user has every right (apps made before new apps got
//!   their default list, see `apps::default_app_acl`); an app never deployed: its creator has every
//!   right, administrators manage, nobody else has any. With an app ACL, the first entry matching the user decides;
//!   the `everyone` group counts last wherever it stands; no match = no rights. System
//!   administrators always manage. Edit, delete and export need view; import needs add.
//! - **Record rights.** The rules are read top-down: the first rule whose condition matches the
//!   record decides, through the first of its entities that matches the user (`everyone` last); a
//!   matching rule that names none of the user's entities grants nothing. Records no rule matches
//!   keep the app rights. A record right also needs the app right (edit needs app edit).
//! - **Field rights.** A field without a rule is writable (unless some rule names a field that no
//!   longer exists: then fields without a rule are closed); a field with one gets the accessibility
//!   of its first matching entity (`everyone` last), none when no entity matches. Viewing needs the
//!   record view right; writing needs WRITE and the record edit right (add: the app add right).
//! - CREATOR (and FIELD_ENTITY on the creator field) in record and field rules matches when the
//!   caller created the record, so those rights depend on the record (`Who::Creator`).
//! - Public-form visitors (issue 15): add on the form's app; with an editable link also view and
//!   edit of that link's record; nothing else (`public_form_access`).
//! - API tokens: the token's rights on its app; record and field rules do not apply (kintone: token
//!   permissions take priority over app, record and field permissions).

use std::collections::HashMap;

use super::settings::{Accessibility, Entity, EntityType};
use super::{AppRight, Principal};
use crate::apps::{AppDefinition, AppId, LiveApp};
use crate::query::{self, Query};

/// The seven app rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppRights {
    pub view: bool,
    pub add: bool,
    pub edit: bool,
    pub delete: bool,
    pub manage: bool,
    pub import: bool,
    pub export: bool,
}

impl AppRights {
    pub const ALL: AppRights = AppRights {
        view: true,
        add: true,
        edit: true,
        delete: true,
        manage: true,
        import: true,
        export: true,
    };

    pub fn allows(&self, right: AppRight) -> bool {
        match right {
            AppRight::View => self.view,
            AppRight::Add => self.add,
            AppRight::Edit => self.edit,
            AppRight::Delete => self.delete,
            AppRight::Manage => self.manage,
            AppRight::Import => self.import,
            AppRight::Export => self.export,
        }
    }

    /// Edit, delete and export need view; import needs add.
    fn normalized(mut self) -> AppRights {
        self.edit &= self.view;
        self.delete &= self.view;
        self.export &= self.view;
        self.import &= self.add;
        self
    }
}

/// Record rights on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordRights {
    pub view: bool,
    pub edit: bool,
    pub delete: bool,
}

impl RecordRights {
    fn normalized(self) -> RecordRights {
        RecordRights {
            view: self.view,
            edit: self.edit && self.view,
            delete: self.delete && self.view,
        }
    }
}

/// A grant that may depend on whether the caller created the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who<T> {
    Fixed(T),
    Creator { creator: T, other: T },
}

impl<T: Copy> Who<T> {
    pub fn get(&self, is_creator: bool) -> T {
        match *self {
            Who::Fixed(v) => v,
            Who::Creator { creator, other } => {
                if is_creator {
                    creator
                } else {
                    other
                }
            }
        }
    }
}

/// How an entity matches a user: always, never, or when they created the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Yes,
    No,
    IfCreator,
}

/// The user side of matching.
struct Subject<'a> {
    code: &'a str,
    own_departments: &'a [String],
    departments: &'a [String],
    groups: &'a [String],
}

impl Subject<'_> {
    fn matches(&self, entity: &Entity, include_subs: bool, app_creator: Option<&str>) -> Match {
        let code = entity.code.as_deref().unwrap_or_default();
        let yes = |b: bool| if b { Match::Yes } else { Match::No };
        match entity.kind {
            EntityType::User => yes(code == self.code),
            EntityType::Group => yes(entity.is_everyone() || self.groups.iter().any(|g| g == code)),
            EntityType::Organization => {
                let list = if include_subs {
                    self.departments
                } else {
                    self.own_departments
                };
                yes(list.iter().any(|d| d == code))
            }
            EntityType::Creator | EntityType::FieldEntity => match app_creator {
                Some(creator) => yes(creator == self.code),
                None => Match::IfCreator,
            },
        }
    }
}

/// First match in an entity list (`everyone` last), `none` when nothing matches.
fn first_match<T: Copy>(entries: &[(Match, bool, T)], none: T) -> Who<T> {
    let ordered = entries
        .iter()
        .filter(|(_, everyone, _)| !everyone)
        .chain(entries.iter().filter(|(_, everyone, _)| *everyone));
    let mut creator: Option<T> = None;
    for (m, _, v) in ordered {
        match m {
            Match::Yes => {
                return match creator {
                    None => Who::Fixed(*v),
                    Some(c) => Who::Creator {
                        creator: c,
                        other: *v,
                    },
                }
            }
            Match::No => {}
            Match::IfCreator => {
                if creator.is_none() {
                    creator = Some(*v);
                }
            }
        }
    }
    match creator {
        None => Who::Fixed(none),
        Some(c) => Who::Creator {
            creator: c,
            other: none,
        },
    }
}

/// A public-form visitor's rights on its own app: add only; with `record` (an editable link) also
/// view and edit of that one record, expressed as two record rules (that record: view and edit;
/// every other record: nothing) so that lists, counts and record checks all hide the rest.
fn public_form_access(access: &mut Access, record: Option<i64>) {
    access.rights = AppRights {
        add: true,
        ..AppRights::default()
    };
    let Some(id) = record else {
        return;
    };
    let Ok(condition) = query::parse(&format!("$id = {id}")) else {
        // Fail closed: the record stays out of reach.
        return;
    };
    access.rights.view = true;
    access.rights.edit = true;
    access.rules.push(RuleAccess {
        condition: Some(condition),
        broken: false,
        grant: Who::Fixed(RecordRights {
            view: true,
            edit: true,
            delete: false,
        }),
    });
    access.rules.push(RuleAccess {
        condition: None,
        broken: false,
        grant: Who::Fixed(RecordRights::default()),
    });
}

/// One record rule as it applies to the caller.
#[derive(Debug, Clone)]
pub struct RuleAccess {
    /// `None`: every record. A condition that no longer parses matches every record and grants
    /// nothing (fail closed); `broken` says so.
    pub condition: Option<Query>,
    pub broken: bool,
    pub grant: Who<RecordRights>,
}

/// Everything the caller may do in one app.
#[derive(Debug, Clone)]
pub struct Access {
    pub app: AppId,
    pub principal: Principal,
    /// The code `LOGINUSER()` and CREATOR stand for.
    pub user: String,
    pub timezone: chrono_tz::Tz,
    pub rights: AppRights,
    pub rules: Vec<RuleAccess>,
    pub fields: HashMap<String, Who<Accessibility>>,
    /// Another principal whose rights also bound this access (an app script's last changer,
    /// `Access::limited_by`): its app and field rights are already folded into `rights` and
    /// `fields`; its record rules are applied by `sql::push_right` next to `rules`.
    pub limit: Option<std::sync::Arc<Access>>,
}

impl Access {
    /// Evaluates the principal's rights in `app` (its live definition and creator).
    pub fn new(principal: &Principal, app: &LiveApp, timezone: chrono_tz::Tz) -> Access {
        Access::for_definition(
            principal,
            app.id(),
            &app.row.creator,
            Some(&app.definition),
            timezone,
        )
    }

    /// As `new`, from the parts (`definition` None: an app never deployed, default rights).
    pub fn for_definition(
        principal: &Principal,
        app: AppId,
        app_creator: &str,
        definition: Option<&AppDefinition>,
        timezone: chrono_tz::Tz,
    ) -> Access {
        let mut access = Access {
            app,
            principal: principal.clone(),
            user: principal.acting_user().to_owned(),
            timezone,
            rights: AppRights::default(),
            rules: Vec::new(),
            fields: HashMap::new(),
            limit: None,
        };
        let (code, is_admin, own_departments, departments, groups) = match principal {
            Principal::Tokens(tokens) => {
                if let Some(t) = tokens.get(&app) {
                    access.rights = AppRights {
                        view: t.view,
                        add: t.add,
                        edit: t.edit,
                        delete: t.delete,
                        manage: t.manage,
                        import: t.add,
                        export: t.view,
                    };
                }
                return access;
            }
            Principal::System => {
                access.rights = AppRights::ALL;
                return access;
            }
            Principal::PublicForm {
                app: own, record, ..
            } => {
                if *own == app {
                    public_form_access(&mut access, *record);
                }
                return access;
            }
            Principal::User {
                code,
                is_admin,
                own_departments,
                departments,
                groups,
                ..
            } => (code, *is_admin, own_departments, departments, groups),
        };
        let subject = Subject {
            code,
            own_departments,
            departments,
            groups,
        };
        let Some(def) = definition else {
            // Never deployed: no permission list is live yet. Only the creator (and, below,
            // administrators) may reach it, so that nobody else can save settings or scripts in
            // someone else's new app before its permissions are set.
            if code.as_str() == app_creator {
                access.rights = AppRights::ALL;
            } else if is_admin {
                access.rights.manage = true;
            }
            return access;
        };
        access.rights = match &def.app_acl {
            None => AppRights::ALL,
            Some(entries) => {
                let list: Vec<(Match, bool, AppRights)> = entries
                    .iter()
                    .map(|e| {
                        (
                            subject.matches(&e.entity, e.include_subs, Some(app_creator)),
                            e.entity.is_everyone(),
                            AppRights {
                                view: e.record_viewable,
                                add: e.record_addable,
                                edit: e.record_editable,
                                delete: e.record_deletable,
                                manage: e.app_editable,
                                import: e.record_importable,
                                export: e.record_exportable,
                            },
                        )
                    })
                    .collect();
                first_match(&list, AppRights::default()).get(false)
            }
        }
        .normalized();
        if is_admin {
            access.rights.manage = true;
        }
        for rule in &def.record_acl {
            let list: Vec<(Match, bool, RecordRights)> = rule
                .entities
                .iter()
                .map(|e| {
                    (
                        subject.matches(&e.entity, e.include_subs, None),
                        e.entity.is_everyone(),
                        RecordRights {
                            view: e.viewable,
                            edit: e.editable,
                            delete: e.deletable,
                        },
                    )
                })
                .collect();
            let (condition, broken) = if rule.filter_cond.trim().is_empty() {
                (None, false)
            } else {
                match query::parse(&rule.filter_cond) {
                    Ok(q) => (Some(q), false),
                    Err(_) => (None, true),
                }
            };
            let grant = if broken {
                Who::Fixed(RecordRights::default())
            } else {
                match first_match(&list, RecordRights::default()) {
                    Who::Fixed(g) => Who::Fixed(g.normalized()),
                    Who::Creator { creator, other } => Who::Creator {
                        creator: creator.normalized(),
                        other: other.normalized(),
                    },
                }
            };
            access.rules.push(RuleAccess {
                condition,
                broken,
                grant,
            });
        }
        for rule in &def.field_acl {
            let list: Vec<(Match, bool, Accessibility)> = rule
                .entities
                .iter()
                .map(|e| {
                    (
                        subject.matches(&e.entity, e.include_subs, None),
                        e.entity.is_everyone(),
                        e.accessibility,
                    )
                })
                .collect();
            access
                .fields
                .insert(rule.code.clone(), first_match(&list, Accessibility::None));
        }
        // A rule naming no top-level field of the app once protected a field that was renamed
        // or removed without its rule following it: which field it protected cannot be told any
        // more, so every field without a rule is closed rather than open (fail closed). Deploys
        // refuse such rules (`apps::check_field_acl_codes`); only definitions deployed before
        // that check can hold one.
        let orphaned = def
            .field_acl
            .iter()
            .any(|r| !def.properties.contains_key(&r.code));
        if orphaned {
            for code in def.properties.keys() {
                access
                    .fields
                    .entry(code.clone())
                    .or_insert(Who::Fixed(Accessibility::None));
            }
        }
        access
    }

    /// The caller's access to another app (a lookup's source), with the same principal.
    pub fn for_app(&self, app: &LiveApp) -> Access {
        Access::new(&self.principal, app, self.timezone)
    }

    /// Whether some records may be hidden or read-only by rule (the SQL filters are needed).
    pub fn has_record_rules(&self) -> bool {
        !self.rules.is_empty() || self.limit.as_ref().is_some_and(|l| l.has_record_rules())
    }

    /// Whether the caller may see numbers counted over every record of the app (the snapshots of
    /// periodic reports, `reports::snapshots`, are taken as the system): those who manage the app,
    /// and those who view it with no record rule that could narrow what they see. Any record rule
    /// counts, even one that happens to grant them every record: cautious, never looser.
    pub fn sees_whole_app_totals(&self) -> bool {
        self.rights.manage || (self.rights.view && !self.has_record_rules())
    }

    /// This access bounded by `other`'s (another principal on the same app): every app, record
    /// and field right needs both. Field rights of `other` that depend on who created the record
    /// count at their lower value (the records' creator is compared with this access's user):
    /// stricter than needed in that rare case, never looser.
    pub fn limited_by(mut self, other: Access) -> Access {
        let (a, b) = (self.rights, other.rights);
        self.rights = AppRights {
            view: a.view && b.view,
            add: a.add && b.add,
            edit: a.edit && b.edit,
            delete: a.delete && b.delete,
            manage: a.manage && b.manage,
            import: a.import && b.import,
            export: a.export && b.export,
        };
        for (code, theirs) in &other.fields {
            let cap = theirs.get(true).min(theirs.get(false));
            let mine = self
                .fields
                .get(code)
                .copied()
                .unwrap_or(Who::Fixed(Accessibility::Write));
            let bounded = match mine {
                Who::Fixed(v) => Who::Fixed(v.min(cap)),
                Who::Creator { creator, other } => Who::Creator {
                    creator: creator.min(cap),
                    other: other.min(cap),
                },
            };
            self.fields.insert(code.clone(), bounded);
        }
        let limit = match self.limit.take() {
            // Limits chain: the new one is bounded by the old one too.
            Some(old) => other.limited_by(Access::clone(&old)),
            None => other,
        };
        self.limit = Some(std::sync::Arc::new(limit));
        self
    }

    /// The rights on a record that matches rule `matched` (None: no rule), created by the caller or not.
    pub fn record_rights(&self, matched: Option<usize>, is_creator: bool) -> RecordRights {
        let rule = matched
            .and_then(|i| self.rules.get(i))
            .map(|r| r.grant.get(is_creator))
            .unwrap_or(RecordRights {
                view: true,
                edit: true,
                delete: true,
            });
        RecordRights {
            view: rule.view && self.rights.view,
            edit: rule.edit && self.rights.edit,
            delete: rule.delete && self.rights.delete,
        }
    }

    /// The accessibility of a field (top-level, or inside a subtable: the subtable's) on a record.
    pub fn field_level(&self, def: &AppDefinition, code: &str, is_creator: bool) -> Accessibility {
        let top = def.field(code).and_then(|f| f.subtable).unwrap_or(code);
        self.fields
            .get(top)
            .map(|w| w.get(is_creator))
            .unwrap_or(Accessibility::Write)
    }

    /// Whether the field may appear in a query or sort: viewable whoever created the record, so
    /// that a condition can never tell a hidden value.
    pub fn field_queryable(&self, def: &AppDefinition, code: &str) -> bool {
        self.field_level(def, code, true) >= Accessibility::Read
            && self.field_level(def, code, false) >= Accessibility::Read
    }
}
