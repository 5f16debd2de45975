//! Public forms: link prefill, normalisation, uploads and app scripts.

use serde_json::{json, Map, Value};

use super::*;

#[test]
fn a_links_prefill_is_read_only_and_wins() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "turnout")?;
    let mut prefill = Map::new();
    prefill.insert("投票所".into(), json!("第3投票所"));
    let links = create_links(
        &mut c,
        &staff(),
        form.id,
        &[NewLink {
            recipient: "第3投票所".into(),
            prefill,
            mode: ONCE.into(),
            expires_at: None,
        }],
    )?;
    let l = links.first().ok_or("no link")?;
    let opened = open(&mut c, &resident(), &form.slug, Some(&l.token))?;
    let station = opened
        .app_fields
        .iter()
        .find(|f| f.code == "投票所")
        .ok_or("field")?;
    assert!(station.prefilled);
    assert_eq!(opened.current["投票所"], "第3投票所");
    let s = values(&[
        ("投票所", json!("よその投票所")),
        ("時刻", json!("10時")),
        ("投票者数", json!("5")),
    ]);
    let r = submit(&mut c, &resident(), &form.slug, Some(&l.token), &s, None)?;
    assert_eq!(
        record_value(&mut c, app, r.record_id)?["投票所"]["value"],
        "第3投票所"
    );
    // Prefill of a field that is not on the form is refused.
    let mut bad = Map::new();
    bad.insert("ない".into(), json!("x"));
    let e = create_links(
        &mut c,
        &staff(),
        form.id,
        &[NewLink {
            recipient: "x".into(),
            prefill: bad,
            mode: "sometimes".into(),
            expires_at: None,
        }],
    )
    .err()
    .ok_or("accepted")?;
    let UserError::Validation(errors) = user_error(e) else {
        return Err("not a validation error".into());
    };
    let keys: Vec<&String> = errors.keys().collect();
    assert_eq!(keys, ["links[0].mode", "links[0].prefill.ない"]);
    Ok(())
}

#[test]
fn dates_times_and_numbers_are_normalised() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (_, form) = published(&mut c, "consultation")?;
    let opened = open(&mut c, &resident(), &form.slug, None)?;
    let s = values(&[
        ("氏名", json!("鈴木")),
        ("電話番号", json!("090-1234-5678")),
        ("相談分野", json!("住まい")),
        ("希望日時", json!("2026/04/01 09:30")),
        ("相談方法", json!("電話")),
    ]);
    let record = validate(&mut c, &opened, &s)?;
    // 09:30 in Tokyo is 00:30 UTC.
    assert_eq!(record["希望日時"]["value"], "2026-04-01T00:30:00Z");
    assert_eq!(record["相談内容"]["value"], "");
    assert_eq!(opened.form.title("en"), "Consultation booking");
    assert_eq!(opened.form.title("easy"), "そうだんの よやく");
    assert!(validate::is_email("a.b@example.jp"));
    assert!(!validate::is_email("a@b@example.jp"));
    assert!(!validate::is_email("a b@example.jp"));
    assert!(!validate::is_email("a@localhost"));
    Ok(())
}

/// Records who the scripts of a write act as.
#[derive(Default)]
struct SpyScripts {
    seen: std::sync::Mutex<Vec<String>>,
}

impl crate::records::hooks::RecordScripts for SpyScripts {
    fn on_submit(
        &self,
        _conn: &mut DbConn,
        _app: &crate::apps::LiveApp,
        actor: &crate::records::Actor,
        _event: crate::apps::ScriptEvent,
        _record_id: Option<i64>,
        _values: &Map<String, Value>,
    ) -> crate::error::EngineResult<crate::records::hooks::SubmitOutcome> {
        if let (Some(s), Ok(mut seen)) = (&actor.scripts, self.seen.lock()) {
            seen.push(format!(
                "{}/{}",
                s.acting.audit_actor(),
                s.acting.channel().as_str()
            ));
        }
        Ok(Default::default())
    }

    fn after_save(
        &self,
        _conn: &mut DbConn,
        _app: &crate::apps::LiveApp,
        _actor: &crate::records::Actor,
        _record_id: i64,
        _values: &Map<String, Value>,
    ) -> crate::error::EngineResult<()> {
        Ok(())
    }

    fn before_process(
        &self,
        _conn: &mut DbConn,
        _app: &crate::apps::LiveApp,
        _actor: &crate::records::Actor,
        _step: crate::records::hooks::ProcessStep<'_>,
    ) -> crate::error::EngineResult<crate::records::hooks::ProcessDecision> {
        Ok(Default::default())
    }
}

#[test]
fn the_apps_scripts_run_with_the_public_forms_rights() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let mut def = crate::apps::AppDefinition::new("スクリプトつき");
    def.properties.insert(
        "氏名".into(),
        crate::fields::FieldProperty::new(crate::fields::FieldType::SingleLineText, "氏名", "氏名"),
    );
    def.scripts.push(crate::apps::AppScript {
        name: "check".into(),
        source: "true".into(),
        events: vec![crate::apps::ScriptEvent::CreateSubmit],
        enabled: true,
        apps: Vec::new(),
    });
    let (app, _) = crate::apps::create_app(&mut c, def, None, None, "admin")?;
    crate::apps::deploy(&mut c, app, None, false, "admin", |_, _, _| Ok(()))?;
    let settings = FormSettings {
        fields: vec![FormField {
            code: "氏名".into(),
            required: true,
            label: Texts::default(),
            help: Texts::default(),
        }],
        ..FormSettings::default()
    };
    let form = create_form(&mut c, &staff(), app, "申込", settings)?;
    update_form(
        &mut c,
        &staff(),
        form.id,
        FormUpdate {
            state: Some(PUBLISHED.into()),
            ..FormUpdate::default()
        },
    )?;
    let spy = std::sync::Arc::new(SpyScripts::default());
    // The caller hands the system's context; the engine replaces it.
    let scripts = crate::records::hooks::ScriptContext {
        scripts: spy.clone(),
        acting: resident().in_channel(Channel::Script),
    };
    submit(
        &mut c,
        &resident(),
        &form.slug,
        None,
        &values(&[("氏名", json!("a"))]),
        Some(scripts),
    )?;
    let seen = spy.seen.lock().map_err(|_| "lock")?.clone();
    assert_eq!(seen, [format!("public-form:{}/script", form.id)]);
    Ok(())
}

#[test]
fn uploads_of_the_public_form_are_attached_and_named_in_the_csv() -> TestResult {
    let (_dir, _db, mut c) = db()?;
    let (app, form) = published(&mut c, "certificate_mail")?;
    let files_dir = tempfile::tempdir()?;
    let store = crate::records::FileStore::new(files_dir.path())?;
    let key = store.upload(&mut c, "免許証.png", "image/png", b"png", PUBLIC_FORM_USER)?;
    let s = values(&[
        ("氏名", json!("高橋")),
        ("住所", json!("市内1-1")),
        ("生年月日", json!("1980-01-02")),
        ("証明書の種類", json!(["住民票の写し"])),
        ("通数", json!("1")),
        (
            "本人確認書類",
            json!([{"fileKey": key, "name": "免許証.png"}]),
        ),
    ]);
    let r = submit(&mut c, &resident(), &form.slug, None, &s, None)?;
    let record = record_value(&mut c, app, r.record_id)?;
    assert_eq!(record["本人確認書類"]["value"][0]["name"], "免許証.png");
    let mut out = Vec::new();
    export_csv(&mut c, &staff(), form.id, &mut out)?;
    let text = String::from_utf8(out)?;
    assert!(text.contains(",免許証.png,"), "{text}");
    assert!(!text.contains(&key), "upload keys stay out of the CSV");
    // Too many files, and a missing required file, are the field's problems.
    let opened = open(&mut c, &resident(), &form.slug, None)?;
    let mut many = s.clone();
    many.values.insert(
        "本人確認書類".into(),
        json!((0..6)
            .map(|i| json!({"fileKey": format!("k{i}")}))
            .collect::<Vec<_>>()),
    );
    let Err(UserError::FormInvalid(p)) = validate(&mut c, &opened, &many) else {
        return Err("accepted".into());
    };
    assert_eq!(p[0].message.key(), Some("public_forms.err.too_many_files"));
    let mut none = s.clone();
    none.values.remove("本人確認書類");
    let Err(UserError::FormInvalid(p)) = validate(&mut c, &opened, &none) else {
        return Err("accepted".into());
    };
    assert_eq!(
        (p[0].code.as_str(), p[0].message.key()),
        ("本人確認書類", Some("public_forms.err.required"))
    );
    Ok(())
}
