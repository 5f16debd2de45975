//! The evaluator against a small reference model (security test plan A3), over random rule sets.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::apps::{AppDefinition, AppId, AppRow, LiveApp};
use crate::fields::{FieldProperty, FieldType};

// ---------------------------------------------------------------------------------------------
// The reference model: kintone's rules written as plainly as possible.

#[derive(Debug)]
struct User {
    code: String,
    own: Vec<String>,
    all: Vec<String>,
    groups: Vec<String>,
    admin: bool,
}

fn model_matches(u: &User, e: &Entity, subs: bool, creator: &str) -> bool {
    let code = e.code.clone().unwrap_or_default();
    match e.kind {
        EntityType::User => code == u.code,
        EntityType::Group => code == EVERYONE || u.groups.contains(&code),
        EntityType::Organization if subs => u.all.contains(&code),
        EntityType::Organization => u.own.contains(&code),
        EntityType::Creator | EntityType::FieldEntity => creator == u.code,
    }
}

/// The first matching entry, "everyone" entries last; None when nothing matches.
fn model_first<T: Clone>(u: &User, list: &[(Entity, bool, T)], creator: &str) -> Option<T> {
    let mut sorted: Vec<&(Entity, bool, T)> = list.iter().filter(|x| !x.0.is_everyone()).collect();
    sorted.extend(list.iter().filter(|x| x.0.is_everyone()));
    sorted
        .into_iter()
        .find(|(e, subs, _)| model_matches(u, e, *subs, creator))
        .map(|x| x.2.clone())
}

fn model_app(u: &User, def: &AppDefinition, app_creator: &str) -> [bool; 7] {
    let mut r = match &def.app_acl {
        None => [true; 7],
        Some(list) => {
            let l: Vec<_> = list
                .iter()
                .map(|e| {
                    let r = [
                        e.record_viewable,
                        e.record_addable,
                        e.record_editable,
                        e.record_deletable,
                        e.app_editable,
                        e.record_importable,
                        e.record_exportable,
                    ];
                    (e.entity.clone(), e.include_subs, r)
                })
                .collect();
            model_first(u, &l, app_creator).unwrap_or([false; 7])
        }
    };
    // view, add, edit, delete, manage, import, export
    r[2] &= r[0];
    r[3] &= r[0];
    r[6] &= r[0];
    r[5] &= r[1];
    r[4] |= u.admin;
    r
}

fn model_record(
    u: &User,
    def: &AppDefinition,
    app_creator: &str,
    matched: Option<usize>,
    creator: &str,
) -> [bool; 3] {
    let app = model_app(u, def, app_creator);
    let rule = match matched {
        None => [true; 3],
        Some(i) => {
            let l: Vec<_> = def.record_acl[i]
                .entities
                .iter()
                .map(|e| {
                    (
                        e.entity.clone(),
                        e.include_subs,
                        [e.viewable, e.editable, e.deletable],
                    )
                })
                .collect();
            model_first(u, &l, creator).unwrap_or([false; 3])
        }
    };
    let view = rule[0] && app[0];
    [
        view,
        rule[1] && rule[0] && app[2],
        rule[2] && rule[0] && app[3],
    ]
}

fn model_field(u: &User, def: &AppDefinition, code: &str, creator: &str) -> Accessibility {
    match def.field_acl.iter().find(|r| r.code == code) {
        None => Accessibility::Write,
        Some(rule) => {
            let l: Vec<_> = rule
                .entities
                .iter()
                .map(|e| (e.entity.clone(), e.include_subs, e.accessibility))
                .collect();
            model_first(u, &l, creator).unwrap_or(Accessibility::None)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random worlds.

const USERS: [&str; 3] = ["u1", "u2", "u3"];
/// d1 > d2 > d3, and d4 at top level.
const DEPARTMENTS: [(&str, Option<&str>); 4] = [
    ("d1", None),
    ("d2", Some("d1")),
    ("d3", Some("d2")),
    ("d4", None),
];

fn with_ancestors(own: &[String]) -> Vec<String> {
    let mut out: Vec<String> = own.to_vec();
    for d in own {
        let mut cur = d.as_str();
        while let Some((_, Some(parent))) = DEPARTMENTS.iter().find(|(c, _)| *c == cur) {
            if !out.iter().any(|x| x == parent) {
                out.push((*parent).to_owned());
            }
            cur = parent;
        }
    }
    out
}

fn entity() -> impl Strategy<Value = (Entity, bool)> {
    (0..11usize, any::<bool>()).prop_map(|(k, subs)| {
        let (kind, code) = match k {
            0..=2 => (EntityType::User, Some(USERS[k].to_owned())),
            3 => (EntityType::Group, Some("g1".to_owned())),
            4 => (EntityType::Group, Some("g2".to_owned())),
            5 => (EntityType::Group, Some(EVERYONE.to_owned())),
            6..=9 => (
                EntityType::Organization,
                Some(DEPARTMENTS[k - 6].0.to_owned()),
            ),
            _ => (EntityType::Creator, None),
        };
        (Entity { kind, code }, subs)
    })
}

fn app_acl() -> impl Strategy<Value = Option<Vec<AppAclEntry>>> {
    proptest::option::of(proptest::collection::vec(
        (entity(), proptest::array::uniform7(any::<bool>())),
        0..5,
    ))
    .prop_map(|o| {
        o.map(|list| {
            list.into_iter()
                .map(|((entity, include_subs), r)| AppAclEntry {
                    entity,
                    include_subs,
                    record_viewable: r[0],
                    record_addable: r[1],
                    record_editable: r[2],
                    record_deletable: r[3],
                    app_editable: r[4],
                    record_importable: r[5],
                    record_exportable: r[6],
                })
                .collect()
        })
    })
}

fn record_acl() -> impl Strategy<Value = Vec<RecordAclRule>> {
    proptest::collection::vec(
        proptest::collection::vec((entity(), proptest::array::uniform3(any::<bool>())), 0..5),
        0..4,
    )
    .prop_map(|rules| {
        rules
            .into_iter()
            .map(|entities| RecordAclRule {
                filter_cond: String::new(),
                entities: entities
                    .into_iter()
                    .map(|((entity, include_subs), r)| RecordAclEntity {
                        entity,
                        viewable: r[0],
                        editable: r[1],
                        deletable: r[2],
                        include_subs,
                    })
                    .collect(),
            })
            .collect()
    })
}

fn field_acl() -> impl Strategy<Value = Vec<FieldAclRule>> {
    let level = prop_oneof![
        Just(Accessibility::None),
        Just(Accessibility::Read),
        Just(Accessibility::Write)
    ];
    proptest::collection::vec(
        (
            any::<bool>(),
            proptest::collection::vec((entity(), level), 0..5),
        ),
        0..3,
    )
    .prop_map(|rules| {
        let mut seen = Vec::new();
        rules
            .into_iter()
            .filter_map(|(first, entities)| {
                let code = if first { "f1" } else { "f2" };
                if seen.contains(&code) {
                    return None;
                }
                seen.push(code);
                Some(FieldAclRule {
                    code: code.to_owned(),
                    entities: entities
                        .into_iter()
                        .map(|((entity, include_subs), accessibility)| FieldAclEntity {
                            accessibility,
                            entity,
                            include_subs,
                        })
                        .collect(),
                })
            })
            .collect()
    })
}

fn user() -> impl Strategy<Value = User> {
    (
        0..3usize,
        proptest::collection::vec(0..4usize, 0..3),
        proptest::collection::vec(prop_oneof![Just("g1"), Just("g2")], 0..3),
        any::<bool>(),
    )
        .prop_map(|(u, deps, groups, admin)| {
            let own: Vec<String> = deps.iter().map(|d| DEPARTMENTS[*d].0.to_owned()).collect();
            User {
                code: USERS[u].to_owned(),
                all: with_ancestors(&own),
                own,
                groups: groups.into_iter().map(str::to_owned).collect(),
                admin,
            }
        })
}

fn live(def: AppDefinition, creator: &str) -> LiveApp {
    LiveApp {
        row: AppRow {
            id: 1,
            space_id: None,
            thread_id: None,
            creator: creator.to_owned(),
            created_at: 0,
            modifier: creator.to_owned(),
            modified_at: 0,
            next_record_id: 1,
            next_row_id: 1,
            live_version: 1,
            deploy_status: "SUCCESS".to_owned(),
        },
        definition: def,
        revision: 1,
        access: std::sync::Arc::new(Access::for_definition(
            &Principal::System,
            AppId(1),
            creator,
            None,
            chrono_tz::UTC,
        )),
    }
}

fn definition() -> AppDefinition {
    let mut def = AppDefinition::new("acl");
    for code in ["f1", "f2", "f3"] {
        def.properties.insert(
            code.to_owned(),
            FieldProperty::new(FieldType::SingleLineText, code, code),
        );
    }
    def.assign_field_ids();
    def
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn evaluator_matches_the_reference_model(
        app_acl in app_acl(),
        record_acl in record_acl(),
        field_acl in field_acl(),
        u in user(),
        app_creator in 0..3usize,
        records in proptest::collection::vec((proptest::option::of(0..4usize), 0..3usize), 1..6),
    ) {
        let mut def = definition();
        def.app_acl = app_acl;
        def.record_acl = record_acl;
        def.field_acl = field_acl;
        let app = live(def, USERS[app_creator]);
        let principal = Principal::User {
            code: u.code.clone(),
            name: u.code.clone(),
            is_admin: u.admin,
            departments: u.all.clone(),
            own_departments: u.own.clone(),
            groups: u.groups.clone(),
            primary_department: None,
            guest: false,
        };
        let access = Access::new(&principal, &app, chrono_tz::Asia::Tokyo);
        let a = access.rights;
        prop_assert_eq!(
            [a.view, a.add, a.edit, a.delete, a.manage, a.import, a.export],
            model_app(&u, &app.definition, USERS[app_creator])
        );
        for (matched, creator) in records {
            let matched = matched.filter(|i| *i < app.definition.record_acl.len());
            let creator = USERS[creator];
            let r = access.record_rights(matched, creator == u.code);
            prop_assert_eq!(
                [r.view, r.edit, r.delete],
                model_record(&u, &app.definition, USERS[app_creator], matched, creator)
            );
            for code in ["f1", "f2", "f3"] {
                prop_assert_eq!(
                    access.field_level(&app.definition, code, creator == u.code),
                    model_field(&u, &app.definition, code, creator)
                );
            }
        }
    }
}

#[test]
fn tokens_ignore_record_and_field_rules() {
    let mut def = definition();
    def.app_acl = Some(Vec::new());
    def.record_acl = vec![RecordAclRule {
        filter_cond: String::new(),
        entities: Vec::new(),
    }];
    let app = live(def, "u1");
    let mut tokens = HashMap::new();
    tokens.insert(
        AppId(1),
        TokenRights {
            view: true,
            ..TokenRights::default()
        },
    );
    let access = Access::new(&Principal::Tokens(tokens), &app, chrono_tz::Asia::Tokyo);
    assert!(access.rights.view && !access.rights.edit);
    assert!(access.rules.is_empty() && access.fields.is_empty());
}

#[test]
fn tokens_grant_only_their_rights_on_their_app() {
    let mut tokens = HashMap::new();
    tokens.insert(
        AppId(1),
        TokenRights {
            view: true,
            ..TokenRights::default()
        },
    );
    let p = Principal::Tokens(tokens);
    assert!(check_app(&p, AppId(1), AppRight::View).is_ok());
    assert_eq!(
        check_app(&p, AppId(1), AppRight::Add),
        Err(crate::error::UserError::TokenNotPermitted)
    );
    assert_eq!(
        check_app(&p, AppId(2), AppRight::View),
        Err(crate::error::UserError::TokenNotPermitted)
    );
    assert_eq!(p.acting_user(), "Administrator");
}
