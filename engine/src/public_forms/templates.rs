//! Ready-made forms for a municipality's common requests: each template creates an app (through
//! the app-creation use case, so the server's creation setting applies) with its fields, deploys
//! it (unless the app must pass review first: then it stays pre-live) and makes a draft form over
//! every field with titles and texts in Japanese, English and easy Japanese.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Value};

use super::{FormField, FormSettings, Pivot, ResultSettings, Texts, PIVOT_RECIPIENT};
use crate::acting::ActingContext;
use crate::apps::{self, AppDefinition, AppId};
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::fields::ChoiceOption;
use crate::fields::{FieldProperty, FieldType};

/// A template as the gallery lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// How many fields the app gets.
    pub fields: usize,
}

/// One field of a template app: type, code (also the Japanese label), required, options.
struct Spec {
    field_type: FieldType,
    code: &'static str,
    required: bool,
    options: &'static [&'static str],
    /// LINK protocol.
    protocol: Option<&'static str>,
    /// English and easy-Japanese labels for the form.
    en: &'static str,
    easy: &'static str,
}

const fn f(
    field_type: FieldType,
    code: &'static str,
    required: bool,
    en: &'static str,
    easy: &'static str,
) -> Spec {
    Spec {
        field_type,
        code,
        required,
        options: &[],
        protocol: None,
        en,
        easy,
    }
}

const fn choice(
    field_type: FieldType,
    code: &'static str,
    required: bool,
    options: &'static [&'static str],
    en: &'static str,
    easy: &'static str,
) -> Spec {
    Spec {
        field_type,
        code,
        required,
        options,
        protocol: None,
        en,
        easy,
    }
}

const fn link(
    code: &'static str,
    required: bool,
    protocol: &'static str,
    en: &'static str,
    easy: &'static str,
) -> Spec {
    Spec {
        field_type: FieldType::Link,
        code,
        required,
        options: &[],
        protocol: Some(protocol),
        en,
        easy,
    }
}

struct Def {
    key: &'static str,
    name: &'static str,
    description: &'static str,
    /// Title in en / easy (ja is `name`).
    en: &'static str,
    easy: &'static str,
    intro_ja: &'static str,
    fields: &'static [Spec],
    /// A `LINK` (MAIL) field offered for the copy mail.
    copy_field: Option<&'static str>,
    pivot: Option<(&'static str, &'static str, Option<&'static str>)>,
}

use FieldType::{
    CheckBox, Date, Datetime, DropDown, File, MultiLineText, Number, RadioButton, SingleLineText,
    Time,
};

const HOURS: &[&str] = &[
    "07時", "08時", "09時", "10時", "11時", "12時", "13時", "14時", "15時", "16時", "17時", "18時",
    "19時", "20時",
];

const DEFS: &[Def] = &[
    Def {
        key: "event",
        name: "イベント参加申込",
        description: "講座やイベントの参加申込を受け付けます。",
        en: "Event registration",
        easy: "イベントに もうしこむ",
        intro_ja: "参加をご希望の方は、以下を入力して送信してください。",
        fields: &[
            f(SingleLineText, "氏名", true, "Name", "なまえ"),
            f(
                SingleLineText,
                "ふりがな",
                false,
                "Name (kana)",
                "なまえの よみかた",
            ),
            link("メールアドレス", true, "MAIL", "E-mail", "メールアドレス"),
            link("電話番号", false, "CALL", "Phone", "でんわばんごう"),
            f(
                Number,
                "参加人数",
                true,
                "Number of people",
                "なんにんで くるか",
            ),
            f(
                MultiLineText,
                "備考",
                false,
                "Notes",
                "ほかに つたえたいこと",
            ),
        ],
        copy_field: Some("メールアドレス"),
        pivot: None,
    },
    Def {
        key: "survey",
        name: "市民アンケート",
        description: "満足度と自由意見を集めるアンケートです。",
        en: "Residents' survey",
        easy: "アンケート",
        intro_ja: "市政についてのご意見をお聞かせください（匿名）。",
        fields: &[
            choice(
                DropDown,
                "年代",
                false,
                &["10代", "20代", "30代", "40代", "50代", "60代", "70代以上"],
                "Age group",
                "なんさいぐらい",
            ),
            choice(
                RadioButton,
                "満足度",
                true,
                &["満足", "やや満足", "どちらでもない", "やや不満", "不満"],
                "Satisfaction",
                "まんぞく していますか",
            ),
            choice(
                CheckBox,
                "関心のある分野",
                false,
                &["子育て", "福祉", "防災", "交通", "環境", "観光"],
                "Interests",
                "きょうみの ある こと",
            ),
            f(MultiLineText, "ご意見", false, "Comments", "いけん"),
        ],
        copy_field: None,
        pivot: None,
    },
    Def {
        key: "bulky_waste",
        name: "粗大ごみ収集申込",
        description: "粗大ごみの戸別収集の申込を受け付けます。",
        en: "Bulky waste collection",
        easy: "おおきな ごみの かいしゅう",
        intro_ja: "収集を希望する品目と日程を入力してください。",
        fields: &[
            f(SingleLineText, "氏名", true, "Name", "なまえ"),
            f(SingleLineText, "住所", true, "Address", "じゅうしょ"),
            link("電話番号", true, "CALL", "Phone", "でんわばんごう"),
            choice(
                CheckBox,
                "品目",
                true,
                &[
                    "家具",
                    "寝具",
                    "自転車",
                    "家電（リサイクル対象外）",
                    "その他",
                ],
                "Items",
                "すてる もの",
            ),
            f(
                Date,
                "希望収集日",
                true,
                "Preferred date",
                "とりに きてほしい ひ",
            ),
            f(File, "写真", false, "Photo", "しゃしん"),
        ],
        copy_field: None,
        pivot: None,
    },
    Def {
        key: "staff_training",
        name: "職員研修申込",
        description: "職員向け研修の受講申込です。",
        en: "Staff training registration",
        easy: "けんしゅうに もうしこむ",
        intro_ja: "受講を希望する研修を選んでください。",
        fields: &[
            f(
                SingleLineText,
                "職員番号",
                true,
                "Staff number",
                "しょくいん ばんごう",
            ),
            f(SingleLineText, "氏名", true, "Name", "なまえ"),
            f(SingleLineText, "所属", true, "Department", "ぶしょ"),
            choice(
                RadioButton,
                "研修",
                true,
                &["情報セキュリティ", "接遇", "文書事務", "防災"],
                "Course",
                "けんしゅう",
            ),
            link("メールアドレス", false, "MAIL", "E-mail", "メールアドレス"),
        ],
        copy_field: Some("メールアドレス"),
        pivot: None,
    },
    Def {
        key: "turnout",
        name: "投票率報告",
        description:
            "投票日に各投票所から時刻ごとの投票者数を報告します（投票所×時刻の集計表つき）。",
        en: "Turnout report",
        easy: "とうひょうした ひとの かず",
        intro_ja: "投票所名と時刻を選び、その時刻までの投票者数を入力してください。",
        fields: &[
            f(
                SingleLineText,
                "投票所",
                true,
                "Polling station",
                "とうひょうじょ",
            ),
            choice(DropDown, "時刻", true, HOURS, "Time", "じこく"),
            f(
                Number,
                "投票者数",
                true,
                "Voters",
                "とうひょうした ひとの かず",
            ),
        ],
        copy_field: None,
        pivot: Some((PIVOT_RECIPIENT, "時刻", Some("投票者数"))),
    },
    Def {
        key: "facility",
        name: "施設予約申込",
        description: "公民館などの施設の利用申込を受け付けます。",
        en: "Facility booking",
        easy: "へやを かりる",
        intro_ja: "利用する施設と日時を入力してください。",
        fields: &[
            f(SingleLineText, "団体名", true, "Group", "だんたいの なまえ"),
            f(
                SingleLineText,
                "代表者氏名",
                true,
                "Representative",
                "だいひょうしゃの なまえ",
            ),
            link("電話番号", true, "CALL", "Phone", "でんわばんごう"),
            choice(
                DropDown,
                "施設",
                true,
                &["大会議室", "小会議室", "和室", "調理室", "体育館"],
                "Facility",
                "へや",
            ),
            f(Date, "利用日", true, "Date", "つかう ひ"),
            f(Time, "開始時刻", true, "Start", "はじまる じかん"),
            f(Time, "終了時刻", true, "End", "おわる じかん"),
            f(Number, "利用人数", false, "People", "なんにん"),
        ],
        copy_field: None,
        pivot: None,
    },
    Def {
        key: "consultation",
        name: "相談予約",
        description: "窓口相談の予約を受け付けます。",
        en: "Consultation booking",
        easy: "そうだんの よやく",
        intro_ja: "相談の内容と希望日時を入力してください。秘密は守られます。",
        fields: &[
            f(SingleLineText, "氏名", true, "Name", "なまえ"),
            link("電話番号", true, "CALL", "Phone", "でんわばんごう"),
            choice(
                DropDown,
                "相談分野",
                true,
                &["生活", "子育て", "介護", "住まい", "仕事", "その他"],
                "Topic",
                "なにの そうだん",
            ),
            f(
                Datetime,
                "希望日時",
                true,
                "Preferred date and time",
                "きぼうの ひと じかん",
            ),
            choice(
                RadioButton,
                "相談方法",
                true,
                &["来庁", "電話", "オンライン"],
                "How",
                "どうやって そうだんするか",
            ),
            f(
                MultiLineText,
                "相談内容",
                false,
                "Details",
                "そうだんしたい こと",
            ),
        ],
        copy_field: None,
        pivot: None,
    },
    Def {
        key: "certificate_mail",
        name: "証明書郵送請求",
        description: "住民票の写しなどの郵送請求を受け付けます。",
        en: "Certificate by mail",
        easy: "しょうめいしょを ゆうびんで もらう",
        intro_ja: "必要な証明書と通数、本人確認書類を添付してください。",
        fields: &[
            f(SingleLineText, "氏名", true, "Name", "なまえ"),
            f(SingleLineText, "住所", true, "Address", "じゅうしょ"),
            f(Date, "生年月日", true, "Date of birth", "うまれた ひ"),
            choice(
                CheckBox,
                "証明書の種類",
                true,
                &["住民票の写し", "印鑑登録証明書", "所得証明書", "戸籍謄本"],
                "Certificates",
                "ひつような しょうめいしょ",
            ),
            f(Number, "通数", true, "Copies", "なんまい"),
            f(
                File,
                "本人確認書類",
                true,
                "ID document",
                "ほんにんと わかる しょるい",
            ),
            link("メールアドレス", false, "MAIL", "E-mail", "メールアドレス"),
        ],
        copy_field: Some("メールアドレス"),
        pivot: None,
    },
    Def {
        key: "childcare",
        name: "一時保育申込",
        description: "一時預かり保育の利用申込です。",
        en: "Temporary childcare",
        easy: "こどもを あずける",
        intro_ja: "お子さんの情報と利用希望日を入力してください。",
        fields: &[
            f(
                SingleLineText,
                "保護者氏名",
                true,
                "Parent's name",
                "おやの なまえ",
            ),
            f(
                SingleLineText,
                "子どもの氏名",
                true,
                "Child's name",
                "こどもの なまえ",
            ),
            f(
                Date,
                "子どもの生年月日",
                true,
                "Child's date of birth",
                "こどもの うまれた ひ",
            ),
            f(Date, "利用希望日", true, "Date", "あずけたい ひ"),
            choice(
                CheckBox,
                "アレルギー",
                false,
                &["卵", "乳", "小麦", "そば", "落花生", "その他"],
                "Allergies",
                "たべられない もの",
            ),
            link("電話番号", true, "CALL", "Phone", "でんわばんごう"),
        ],
        copy_field: None,
        pivot: None,
    },
    Def {
        key: "disaster_mail",
        name: "防災メール登録",
        description: "防災情報メールの配信登録を受け付けます。",
        en: "Disaster alert e-mail",
        easy: "さいがいの メールを うけとる",
        intro_ja: "受け取りたい情報と地区を選んでください。",
        fields: &[
            link("メールアドレス", true, "MAIL", "E-mail", "メールアドレス"),
            choice(
                DropDown,
                "地区",
                true,
                &["北地区", "南地区", "東地区", "西地区", "中央地区"],
                "Area",
                "すんでいる ところ",
            ),
            choice(
                CheckBox,
                "受信する情報",
                true,
                &["避難情報", "気象警報", "地震", "防犯"],
                "Alerts",
                "うけとる じょうほう",
            ),
            choice(
                RadioButton,
                "言語",
                true,
                &["日本語", "English", "やさしい日本語"],
                "Language",
                "ことば",
            ),
        ],
        copy_field: Some("メールアドレス"),
        pivot: None,
    },
];

/// Every template, in gallery order.
pub fn templates() -> Vec<Template> {
    DEFS.iter()
        .map(|d| Template {
            key: d.key,
            name: d.name,
            description: d.description,
            fields: d.fields.len(),
        })
        .collect()
}

fn property(s: &Spec) -> FieldProperty {
    let mut p = FieldProperty::new(s.field_type, s.code, s.code);
    p.no_label = Some(false);
    p.required = Some(s.required);
    if !s.options.is_empty() {
        let options: IndexMap<String, ChoiceOption> = s
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    (*o).to_owned(),
                    ChoiceOption {
                        label: (*o).to_owned(),
                        index: i.to_string(),
                    },
                )
            })
            .collect();
        p.options = Some(options);
        if matches!(s.field_type, CheckBox) {
            p.default_value = Some(json!([]));
        } else if matches!(s.field_type, RadioButton) {
            p.default_value = s.options.first().map(|o| json!(o));
        }
    }
    if s.field_type == Number {
        p.min_value = Some("0".into());
        p.digit = Some(true);
    }
    if let Some(protocol) = s.protocol {
        p.protocol = Some(protocol.to_owned());
    }
    p
}

/// The app definition of a template: its fields, one per row.
fn definition(d: &Def, name: &str) -> AppDefinition {
    let mut def = AppDefinition::new(name);
    def.description = d.description.to_owned();
    let mut layout: Vec<Value> = Vec::new();
    for s in d.fields {
        def.properties.insert(s.code.to_owned(), property(s));
        layout.push(json!({
            "type": "ROW",
            "fields": [{"type": s.field_type.name(), "code": s.code, "size": {}}],
        }));
    }
    def.layout = layout;
    def.assign_field_ids();
    def
}

/// The draft form's settings: every field with en/easy labels, the texts in three languages.
fn settings(d: &Def, name: &str) -> FormSettings {
    let mut texts = std::collections::BTreeMap::new();
    texts.insert(
        "title".to_owned(),
        Texts::of(&[("ja", name), ("en", d.en), ("easy", d.easy)]),
    );
    texts.insert(
        "intro".to_owned(),
        Texts::of(&[
            ("ja", d.intro_ja),
            ("en", "Fill in the form and send it."),
            ("easy", "したの らんに かいて、おくって ください。"),
        ]),
    );
    texts.insert(
        "confirm".to_owned(),
        Texts::of(&[
            ("ja", "入力内容を確認して、送信してください。"),
            ("en", "Check your answers, then send them."),
            (
                "easy",
                "かいた ことを たしかめて、「おくる」を おして ください。",
            ),
        ]),
    );
    texts.insert(
        "done".to_owned(),
        Texts::of(&[
            ("ja", "送信しました。受付番号を控えておいてください。"),
            ("en", "Thank you. Please note your receipt number."),
            (
                "easy",
                "おくりました。うけつけ ばんごうを メモして ください。",
            ),
        ]),
    );
    FormSettings {
        fields: d
            .fields
            .iter()
            .map(|s| FormField {
                code: s.code.to_owned(),
                required: s.required,
                label: Texts::of(&[("ja", s.code), ("en", s.en), ("easy", s.easy)]),
                help: Texts::default(),
            })
            .collect(),
        texts,
        languages: vec!["ja".into(), "en".into(), "easy".into()],
        email_copy_field: d.copy_field.map(str::to_owned),
        results: ResultSettings {
            pivot: d.pivot.map(|(rows, columns, value)| Pivot {
                rows: rows.to_owned(),
                columns: columns.to_owned(),
                value: value.map(str::to_owned),
            }),
        },
        ..FormSettings::default()
    }
}

/// Creates the app of template `key` (named `name`, default the template's name; the caller
/// needs the right to create apps) and a draft form over it. `CB_VA01` keyed `template` for an
/// unknown key; `AppCreationNotAllowed` as for any app creation.
pub fn create_from_template(
    conn: &mut DbConn,
    ctx: &ActingContext,
    key: &str,
    name: Option<&str>,
) -> EngineResult<(AppId, super::Form)> {
    let Some(d) = DEFS.iter().find(|d| d.key == key) else {
        return Err(UserError::invalid(
            "template",
            Message::keyed("public_forms.err.template", "There is no such template."),
        )
        .into());
    };
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(d.name);
    let name: String = name.chars().take(64).collect();
    let def = definition(d, &name);
    let (app, _) = apps::create_app_as(conn, ctx, def.clone())?;
    if !crate::review::requirement(conn, app, &def, None)?.required() {
        apps::deploy(conn, app, None, false, ctx.user_code(), |_, d, _| {
            Ok(apps::check_definition(d)?)
        })?;
    }
    let form = super::store::create_form(conn, ctx, app, &name, settings(d, &name))?;
    ctx.audit(
        conn,
        super::audit_action::TEMPLATE,
        &format!("public_form:{}", form.id),
        json!({"app": app.0, "template": key}),
    )?;
    Ok((app, form))
}
