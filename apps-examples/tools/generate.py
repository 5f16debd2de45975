#!/usr/bin/env python3
"""Generate the Kumiki example apps (kumiki-app/1 format) deterministically.

    python3 apps-examples/tools/generate.py
    python3 apps-examples/tools/generate.py --archive-corpus 5000 --out DIR   # see corpus.py

Writes apps-examples/{survey-requests,staff-roster,document-archive,document-intake,case-requests}/app.json and
their files/ folders.  Standard library only; fixed random seeds; all data is
fictitious (names are random combinations, e-mail domains are under example.lg.jp).
Do not hand-edit the generated files: change this script and regenerate.
"""

import datetime as dt
import json
import os
import random
import shutil
import sys

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import filegen  # noqa: E402
import cases  # noqa: E402

# The "as of" date the data is written against (statuses, answered/unanswered).
ASOF = dt.date(2026, 11, 27)
JST = dt.timezone(dt.timedelta(hours=9))

# ------------------------------------------------------------------ master data
# 長野県の77市町村 (19市23町35村) with a fictitious mail sub-domain each.
MUNIS = [
    ("長野市", "city-nagano"), ("松本市", "city-matsumoto"), ("上田市", "city-ueda"),
    ("岡谷市", "city-okaya"), ("飯田市", "city-iida"), ("諏訪市", "city-suwa"),
    ("須坂市", "city-suzaka"), ("小諸市", "city-komoro"), ("伊那市", "city-ina"),
    ("駒ヶ根市", "city-komagane"), ("中野市", "city-nakano"), ("大町市", "city-omachi"),
    ("飯山市", "city-iiyama"), ("茅野市", "city-chino"), ("塩尻市", "city-shiojiri"),
    ("佐久市", "city-saku"), ("千曲市", "city-chikuma"), ("東御市", "city-tomi"),
    ("安曇野市", "city-azumino"),
    ("小海町", "town-koumi"), ("佐久穂町", "town-sakuho"), ("軽井沢町", "town-karuizawa"),
    ("御代田町", "town-miyota"), ("立科町", "town-tateshina"), ("長和町", "town-nagawa"),
    ("下諏訪町", "town-shimosuwa"), ("富士見町", "town-fujimi"), ("辰野町", "town-tatsuno"),
    ("箕輪町", "town-minowa"), ("飯島町", "town-iijima"), ("松川町", "town-matsukawa"),
    ("高森町", "town-takamori"), ("阿南町", "town-anan"), ("上松町", "town-agematsu"),
    ("南木曽町", "town-nagiso"), ("木曽町", "town-kiso"), ("坂城町", "town-sakaki"),
    ("小布施町", "town-obuse"), ("山ノ内町", "town-yamanouchi"), ("池田町", "town-ikeda"),
    ("信濃町", "town-shinano"), ("飯綱町", "town-iizuna"),
    ("川上村", "vill-kawakami"), ("南牧村", "vill-minamimaki"), ("南相木村", "vill-minamiaiki"),
    ("北相木村", "vill-kitaaiki"), ("青木村", "vill-aoki"), ("原村", "vill-hara"),
    ("南箕輪村", "vill-minamiminowa"), ("中川村", "vill-nakagawa"), ("宮田村", "vill-miyada"),
    ("阿智村", "vill-achi"), ("平谷村", "vill-hiraya"), ("根羽村", "vill-neba"),
    ("下條村", "vill-shimojo"), ("売木村", "vill-urugi"), ("天龍村", "vill-tenryu"),
    ("泰阜村", "vill-yasuoka"), ("喬木村", "vill-takagi"), ("豊丘村", "vill-toyooka"),
    ("大鹿村", "vill-oshika"), ("木祖村", "vill-kiso"), ("王滝村", "vill-otaki"),
    ("大桑村", "vill-okuwa"), ("麻績村", "vill-omi"), ("生坂村", "vill-ikusaka"),
    ("山形村", "vill-yamagata"), ("朝日村", "vill-asahi"), ("筑北村", "vill-chikuhoku"),
    ("松川村", "vill-matsukawa"), ("白馬村", "vill-hakuba"), ("小谷村", "vill-otari"),
    ("高山村", "vill-takayama"), ("木島平村", "vill-kijimadaira"), ("野沢温泉村", "vill-nozawaonsen"),
    ("小川村", "vill-ogawa"), ("栄村", "vill-sakae"),
]
assert len(MUNIS) == 77
MUNI_NAMES = [m for m, _ in MUNIS]
PREF = ("長野県", "pref-nagano")

CATEGORIES = ["情報システム", "行政改革", "財政", "人事・給与", "税務", "住民・戸籍", "福祉",
              "保健・医療", "子育て", "教育", "防災・消防", "農林", "建設・都市計画", "統計", "選挙"]

NATIONAL = ["総務省", "デジタル庁", "文部科学省", "厚生労働省", "こども家庭庁", "国土交通省",
            "農林水産省", "内閣府", "消防庁"]
PREF_DEPTS = ["県総務部", "県企画振興部", "県危機管理部", "県健康福祉部", "県教育委員会"]

SURNAMES = [
    ("小林", "こばやし", "kobayashi"), ("田中", "たなか", "tanaka"), ("中村", "なかむら", "nakamura"),
    ("丸山", "まるやま", "maruyama"), ("宮沢", "みやざわ", "miyazawa"), ("滝沢", "たきざわ", "takizawa"),
    ("清水", "しみず", "shimizu"), ("伊藤", "いとう", "ito"), ("佐藤", "さとう", "sato"),
    ("高橋", "たかはし", "takahashi"), ("山崎", "やまざき", "yamazaki"), ("柳沢", "やなぎさわ", "yanagisawa"),
    ("小池", "こいけ", "koike"), ("竹内", "たけうち", "takeuchi"), ("北沢", "きたざわ", "kitazawa"),
    ("宮下", "みやした", "miyashita"), ("原", "はら", "hara"), ("唐沢", "からさわ", "karasawa"),
    ("百瀬", "ももせ", "momose"), ("上條", "かみじょう", "kamijo"), ("降旗", "ふりはた", "furihata"),
    ("市川", "いちかわ", "ichikawa"), ("松本", "まつもと", "matsumoto"), ("山本", "やまもと", "yamamoto"),
    ("井出", "いで", "ide"), ("土屋", "つちや", "tsuchiya"), ("池田", "いけだ", "ikeda"),
    ("鈴木", "すずき", "suzuki"), ("渡辺", "わたなべ", "watanabe"), ("小松", "こまつ", "komatsu"),
    ("宮坂", "みやさか", "miyasaka"), ("藤森", "ふじもり", "fujimori"), ("小口", "おぐち", "oguchi"),
    ("武居", "たけい", "takei"), ("矢島", "やじま", "yajima"), ("金子", "かねこ", "kaneko"),
    ("西沢", "にしざわ", "nishizawa"), ("塩沢", "しおざわ", "shiozawa"), ("寺島", "てらしま", "terashima"),
    ("太田", "おおた", "ota"), ("岩崎", "いわさき", "iwasaki"), ("久保田", "くぼた", "kubota"),
    ("荻原", "おぎわら", "ogiwara"), ("望月", "もちづき", "mochizuki"), ("依田", "よだ", "yoda"),
    ("関", "せき", "seki"), ("村田", "むらた", "murata"), ("増田", "ますだ", "masuda"),
    ("春日", "かすが", "kasuga"), ("牧野", "まきの", "makino"),
]
GIVEN = [
    ("健太", "けんた", "kenta"), ("翔太", "しょうた", "shota"), ("大輔", "だいすけ", "daisuke"),
    ("拓也", "たくや", "takuya"), ("直樹", "なおき", "naoki"), ("和也", "かずや", "kazuya"),
    ("誠", "まこと", "makoto"), ("浩二", "こうじ", "koji"), ("隆", "たかし", "takashi"),
    ("聡", "さとし", "satoshi"), ("洋平", "ようへい", "yohei"), ("亮", "りょう", "ryo"),
    ("悠人", "ゆうと", "yuto"), ("陽介", "ようすけ", "yosuke"), ("博之", "ひろゆき", "hiroyuki"),
    ("俊介", "しゅんすけ", "shunsuke"), ("修", "おさむ", "osamu"), ("剛", "つよし", "tsuyoshi"),
    ("智也", "ともや", "tomoya"), ("達也", "たつや", "tatsuya"), ("優一", "ゆういち", "yuichi"),
    ("康弘", "やすひろ", "yasuhiro"), ("正樹", "まさき", "masaki"), ("裕介", "ゆうすけ", "yusuke"),
    ("恵", "めぐみ", "megumi"), ("陽子", "ようこ", "yoko"), ("美穂", "みほ", "miho"),
    ("由美", "ゆみ", "yumi"), ("真由美", "まゆみ", "mayumi"), ("麻衣", "まい", "mai"),
    ("彩", "あや", "aya"), ("千尋", "ちひろ", "chihiro"), ("奈々", "なな", "nana"),
    ("愛", "あい", "ai"), ("香織", "かおり", "kaori"), ("智子", "ともこ", "tomoko"),
    ("直美", "なおみ", "naomi"), ("明日香", "あすか", "asuka"), ("沙織", "さおり", "saori"),
    ("早紀", "さき", "saki"), ("由佳", "ゆか", "yuka"), ("美咲", "みさき", "misaki"),
    ("久美子", "くみこ", "kumiko"), ("綾乃", "あやの", "ayano"), ("理恵", "りえ", "rie"),
    ("亜希子", "あきこ", "akiko"), ("春香", "はるか", "haruka"), ("結衣", "ゆい", "yui"),
    ("葵", "あおい", "aoi"), ("健一", "けんいち", "kenichi"),
]


# ------------------------------------------------------------------ helpers
def reiwa(year):
    return year - 2018


def fiscal_year(d):
    return d.year if d.month >= 4 else d.year - 1


def nendo(fy):
    return "令和%d年度" % reiwa(fy)


def wareki(d):
    return "令和%d年%d月%d日" % (reiwa(d.year), d.month, d.day)


def iso(d):
    return d.isoformat()


def utc_datetime(d, hour, minute):
    """JST wall time -> kintone UTC string."""
    t = dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=JST).astimezone(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:00Z")


def workday(d, direction=1):
    while d.weekday() >= 5:
        d += dt.timedelta(days=direction)
    return d


def opts(keys):
    return {k: {"label": k, "index": str(i)} for i, k in enumerate(keys)}


def v(x):
    return {"value": x}


# ----- field property builders (kintone app/form/fields.json shapes, all scalars as strings)
def f_text(code, label=None, required=False, unique=False, maxLength="", defaultValue=""):
    return {"type": "SINGLE_LINE_TEXT", "code": code, "label": label or code, "noLabel": False,
            "required": required, "unique": unique, "minLength": "", "maxLength": maxLength,
            "expression": "", "hideExpression": False, "defaultValue": defaultValue}


def f_mtext(code, label=None, required=False, defaultValue=""):
    return {"type": "MULTI_LINE_TEXT", "code": code, "label": label or code, "noLabel": False,
            "required": required, "defaultValue": defaultValue}


def f_number(code, label=None, required=False, unit="", unitPosition="AFTER", minValue="", maxValue="",
             digit=False, defaultValue="", unique=False):
    return {"type": "NUMBER", "code": code, "label": label or code, "noLabel": False, "required": required,
            "unique": unique, "minValue": minValue, "maxValue": maxValue, "digit": digit,
            "displayScale": "", "unit": unit, "unitPosition": unitPosition, "defaultValue": defaultValue}


def f_calc(code, expression, label=None, fmt="NUMBER", unit="", unitPosition="AFTER", displayScale=""):
    return {"type": "CALC", "code": code, "label": label or code, "noLabel": False, "required": False,
            "expression": expression, "hideExpression": False, "format": fmt,
            "displayScale": displayScale, "unit": unit, "unitPosition": unitPosition}


def f_choice(typ, code, keys, label=None, required=False, defaultValue=None, align="HORIZONTAL"):
    p = {"type": typ, "code": code, "label": label or code, "noLabel": False, "required": required,
         "options": opts(keys)}
    if typ in ("CHECK_BOX", "MULTI_SELECT"):
        p["defaultValue"] = defaultValue or []
    else:
        p["defaultValue"] = defaultValue or ""
    if typ in ("CHECK_BOX", "RADIO_BUTTON"):
        p["align"] = align
    return p


def f_date(code, label=None, required=False, unique=False, defaultNowValue=False, typ="DATE"):
    return {"type": typ, "code": code, "label": label or code, "noLabel": False, "required": required,
            "unique": unique, "defaultValue": "", "defaultNowValue": defaultNowValue}


def f_link(code, protocol, label=None, required=False, unique=False):
    return {"type": "LINK", "code": code, "label": label or code, "noLabel": False, "required": required,
            "unique": unique, "minLength": "", "maxLength": "", "protocol": protocol, "defaultValue": ""}


def f_file(code, label=None):
    return {"type": "FILE", "code": code, "label": label or code, "noLabel": False, "required": False,
            "thumbnailSize": "150"}


def f_user(code, label=None):
    return {"type": "USER_SELECT", "code": code, "label": label or code, "noLabel": False,
            "required": False, "entities": [], "defaultValue": []}


def f_subtable(code, fields, label=None):
    return {"type": "SUBTABLE", "code": code, "label": label or code, "noLabel": False,
            "fields": {p["code"]: p for p in fields}}


def f_group(code, label=None, openGroup=True):
    return {"type": "GROUP", "code": code, "label": label or code, "noLabel": False, "openGroup": openGroup}


# ----- layout builders
def el(props, code, width):
    p = props[code]
    e = {"type": p["type"], "code": code, "size": {"width": str(width)}}
    if p["type"] in ("MULTI_LINE_TEXT", "RICH_TEXT"):
        e["size"]["innerHeight"] = "125"
    return e


def row(props, *cells):
    return {"type": "ROW", "fields": [el(props, c, w) for c, w in cells]}


def label_row(html):
    return {"type": "ROW", "fields": [{"type": "LABEL", "label": html, "size": {"width": "600"}}]}


def sub_layout(props, code, *cells):
    inner = props[code]["fields"]
    return {"type": "SUBTABLE", "code": code, "fields": [el(inner, c, w) for c, w in cells]}


def group_layout(code, rows):
    return {"type": "GROUP", "code": code, "layout": rows}


def list_view(name, index, fields, filterCond="", sort=""):
    return {"type": "LIST", "name": name, "index": str(index), "fields": fields,
            "filterCond": filterCond, "sort": sort}


def calendar_view(name, index, date, title, filterCond="", sort=""):
    return {"type": "CALENDAR", "name": name, "index": str(index), "date": date, "title": title,
            "filterCond": filterCond, "sort": sort}


def check_layout(props, layout):
    """Every non-system field placed exactly once; subtable inner fields inside their table."""
    seen = []

    def walk(items):
        for it in items:
            if it["type"] == "ROW":
                seen.extend(f["code"] for f in it["fields"] if "code" in f)
            elif it["type"] == "SUBTABLE":
                seen.append(it["code"])
                inner = {f["code"] for f in it["fields"]}
                assert inner == set(props[it["code"]]["fields"]), it["code"]
            elif it["type"] == "GROUP":
                seen.append(it["code"])
                walk(it["layout"])
    walk(layout)
    assert sorted(seen) == sorted(props), (sorted(set(props) - set(seen)), sorted(set(seen) - set(props)))
    codes = list(props)
    for p in props.values():
        codes += list(p.get("fields", {}))
    assert len(codes) == len(set(codes)), "duplicate field code"


# Each example's icon (pages::app_icons) and the field its records are titled by.
APP_LOOKS = {
    "survey-requests": ("mail", "件名"),
    "staff-roster": ("people", "氏名"),
    "document-archive": ("documents", "表題"),
    "document-intake": ("box", "件名"),
    "case-requests": ("chart", "件名"),
}


def write_app(slug, app, properties, layout, views, records, scripts=None, process=None, extra=None):
    """`extra`: further package members (reports, printTemplates, statusActions) written before records."""
    check_layout(properties, layout)
    doc = {
        "format": "kumiki-app/1",
        "app": app,
        "properties": properties,
        "layout": layout,
        "views": views,
        "settings": {"theme": "WHITE", "icon": {"type": "PRESET", "key": APP_LOOKS[slug][0]},
                     "titleField": {"selectionMode": "MANUAL", "code": APP_LOOKS[slug][1]}},
        "process": process or {"enable": False},
    }
    if scripts:
        doc["scripts"] = scripts
    for key, value in (extra or {}).items():
        doc[key] = value
    doc["records"] = records
    os.makedirs(os.path.join(ROOT, slug), exist_ok=True)
    path = os.path.join(ROOT, slug, "app.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return len(records)


def reset_files(slug):
    d = os.path.join(ROOT, slug, "files")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def make_file(slug, fname, display, kind, **content):
    """Write one attachment and return its kumiki-app/1 FILE value entry."""
    path = os.path.join(ROOT, slug, "files", fname)
    if kind == "pdf":
        filegen.write_pdf(path, content["title"], content["body"], content.get("footer", ""))
    elif kind == "docx":
        filegen.write_docx(path, content["title"], content["paragraphs"])
    elif kind == "xlsx":
        filegen.write_xlsx(path, content["sheet"], content["rows"])
    elif kind == "csv":
        filegen.write_csv(path, content["rows"], content.get("encoding", "utf-8"))
    elif kind == "txt":
        filegen.write_txt(path, content["text"])
    ctype = filegen.CONTENT_TYPES[kind]
    if kind in ("csv", "txt"):
        ctype += "; charset=" + ("Shift_JIS" if content.get("encoding") == "cp932" else "UTF-8")
    return {"path": "files/" + fname, "name": display, "contentType": ctype}


# ================================================================== 1. 調査照会
# (title without 年度, 照会元, 分類, 照会月, 期間日数, 詳細, 回答例, 件数(min,max) or None, 優先度)
SURVEY_TOPICS = [
    ("地方公共団体の情報システム標準化に関する調査", "デジタル庁", ["情報システム"], 5, 21,
     "標準準拠システムへの移行状況（20業務ごとの移行予定時期、移行困難システムの有無）について回答してください。",
     ["全20業務のうち{n}業務は移行済み。残りは令和8年1月移行予定。", "移行困難システムとして{n}業務を申請予定。",
      "ベンダーと移行計画を調整中。{n}業務が令和7年度中に移行完了見込み。"], (3, 20), "高"),
    ("地方公共団体における行政手続のオンライン化の取組状況調査", "総務省", ["情報システム", "行政改革"], 6, 21,
     "特に国民の利便性向上に資する手続（子育て・介護関係26手続等）のオンライン化状況を記入してください。",
     ["26手続中{n}手続をぴったりサービスで受付済み。", "{n}手続がオンライン化済み。残りは電子申請システム更新時に対応予定。"],
     (5, 26), "中"),
    ("地方公共団体における情報セキュリティ対策の実施状況調査", "総務省", ["情報システム"], 7, 28,
     "情報セキュリティポリシーの改定状況、インシデント対応体制、職員研修の実施状況等について回答してください。",
     ["ポリシーは令和7年3月に改定済み。研修受講者{n}名。", "外部監査を実施済み。指摘事項{n}件に対応中。"],
     (1, 200), "高"),
    ("地方財政状況調査（決算統計）の提出について", "総務省", ["財政", "統計"], 5, 30,
     "前年度決算に係る決算統計調査表を作成し、期限までに提出してください。",
     ["調査表一式を提出します。", "普通会計分を提出します。公営企業会計分は追って提出します。"], None, "高"),
    ("地方公務員給与実態調査", "総務省", ["人事・給与", "統計"], 4, 35,
     "4月1日現在の職員の給与等の状況について、指定の様式により回答してください。",
     ["一般行政職{n}名分を回答します。", "調査票を添付のとおり回答します（対象職員{n}名）。"], (20, 900), "中"),
    ("地方公共団体定員管理調査", "総務省", ["人事・給与", "統計"], 4, 30,
     "4月1日現在の部門別職員数を記入してください。",
     ["総職員数{n}名（前年比+2名）。", "部門別職員数を回答します。総数{n}名。"], (30, 2500), "中"),
    ("会計年度任用職員の任用等の状況に関する調査", "総務省", ["人事・給与"], 6, 21,
     "会計年度任用職員の任用状況、勤勉手当の支給状況等を記入してください。",
     ["会計年度任用職員{n}名。勤勉手当は令和6年度から支給。", "任用者数{n}名を回答します。"], (5, 600), "低"),
    ("マイナンバーカードの交付状況及び利活用に関する調査", "デジタル庁", ["住民・戸籍", "情報システム"], 9, 14,
     "マイナンバーカードの交付率、出張申請受付の実施状況、独自利用事務の状況を回答してください。",
     ["出張申請受付を{n}回実施。", "独自利用事務は{n}件（図書館カード等）。"], (1, 40), "中"),
    ("自治体窓口DX（書かない窓口）の導入状況調査", "デジタル庁", ["情報システム", "住民・戸籍"], 10, 21,
     "窓口DXSaaSの導入予定及び導入済みの場合の対象手続数を回答してください。",
     ["令和8年度導入予定。対象手続{n}件を想定。", "導入済み。対象手続{n}件。"], (3, 60), "低"),
    ("公立学校施設の整備状況調査", "文部科学省", ["教育", "建設・都市計画"], 5, 28,
     "公立小中学校の空調設置状況、トイレ洋式化率、長寿命化計画の策定状況について回答してください。",
     ["体育館空調は{n}校中2校で設置済み。", "トイレ洋式化率は{n}％。"], (2, 90), "中"),
    ("GIGAスクール構想に係る端末の更新計画に関する調査", "文部科学省", ["教育", "情報システム"], 7, 21,
     "1人1台端末の更新時期、調達方法（共同調達の有無）、台数を回答してください。",
     ["県共同調達に参加予定。更新台数{n}台。", "令和8年度に{n}台を更新予定。"], (40, 9000), "高"),
    ("学校における働き方改革の取組状況調査", "文部科学省", ["教育", "人事・給与"], 11, 28,
     "教職員の在校等時間の把握方法、部活動の地域移行の進捗を回答してください。",
     ["部活動の地域移行は{n}種目で実施。", "在校等時間はICカードで把握。月45時間超の教員{n}名。"], (1, 30), "低"),
    ("国民健康保険事業の実施状況調査", "厚生労働省", ["保健・医療", "福祉"], 6, 30,
     "被保険者数、保険税（料）の収納率、保健事業の実施状況を回答してください。",
     ["被保険者数{n}人。収納率は前年度並み。", "特定健診受診率の向上策を実施中。対象{n}人。"], (100, 60000), "中"),
    ("地域包括支援センターの運営状況調査", "厚生労働省", ["福祉", "保健・医療"], 8, 28,
     "センター数、職員配置、相談件数等を回答してください。",
     ["センター{n}か所で運営（直営1、委託その他）。", "相談件数は年間{n}件。"], (1, 4000), "低"),
    ("新型コロナワクチン定期接種の実施体制に関する調査", "厚生労働省", ["保健・医療"], 9, 14,
     "定期接種の実施医療機関数、自己負担額の設定状況を回答してください。",
     ["実施医療機関{n}か所。自己負担額は3,000円。", "郡医師会と調整済み。医療機関{n}か所。"], (1, 120), "中"),
    ("保育所等利用待機児童数調査", "こども家庭庁", ["子育て", "統計"], 4, 30,
     "4月1日現在の待機児童数、利用申込者数を回答してください。",
     ["待機児童0人。利用申込者{n}人。", "待機児童{n}人（1歳児）。"], (0, 40), "中"),
    ("避難行動要支援者名簿及び個別避難計画の作成状況調査", "消防庁", ["防災・消防", "福祉"], 10, 21,
     "名簿掲載者数、個別避難計画の作成数を回答してください。",
     ["名簿掲載者{n}人。個別避難計画は優先度の高い方から作成中。", "個別避難計画作成済み{n}件。"], (10, 9000), "高"),
    ("空き家対策の取組状況調査", "国土交通省", ["建設・都市計画"], 8, 30,
     "空家等対策計画の策定状況、特定空家等に対する措置件数を回答してください。",
     ["特定空家等への助言・指導{n}件。", "空家等対策計画を令和7年度改定。管理不全空家{n}件を把握。"], (0, 120), "低"),
    ("鳥獣被害防止対策の実施状況調査", "農林水産省", ["農林"], 12, 28,
     "被害額、捕獲頭数（ニホンジカ・イノシシ・ツキノワグマ）を回答してください。",
     ["ニホンジカ捕獲{n}頭。", "被害額は前年比減。イノシシ捕獲{n}頭。"], (0, 1500), "低"),
    ("生成AIの業務利用に関するアンケート", "県企画振興部", ["情報システム", "行政改革"], 6, 14,
     "生成AIの利用状況、利用ルールの策定状況、共同利用への関心について回答してください。",
     ["試行利用中（{n}課）。ガイドライン策定済み。", "未導入。県との共同利用を希望。"], (0, 30), "中"),
    ("市町村職員研修の受講希望調査", "県総務部", ["人事・給与"], 2, 21,
     "次年度に県が実施する市町村職員研修（DX推進リーダー研修等）の受講希望者数を回答してください。",
     ["DX推進リーダー研修に{n}名希望。", "受講希望{n}名。日程は第2期を希望。"], (0, 12), "低"),
    ("LGWAN接続系端末の更新予定調査", "県総務部", ["情報システム"], 11, 21,
     "次期自治体情報セキュリティクラウド移行に向け、LGWAN接続系端末の台数と更新予定時期を回答してください。",
     ["端末{n}台。令和9年度更新予定。", "令和8年度に{n}台更新。"], (15, 3000), "中"),
    ("防災行政無線（同報系）の整備状況調査", "県危機管理部", ["防災・消防"], 7, 14,
     "同報系防災行政無線のデジタル化状況、戸別受信機の配備状況を回答してください。",
     ["デジタル化済み。戸別受信機{n}台配備。", "令和9年度デジタル化予定。屋外拡声子局{n}基。"], (5, 12000), "中"),
    ("国庫補助事業に係る次年度予算要望調査", "県企画振興部", ["財政"], 9, 21,
     "次年度に実施予定の国庫補助事業について、事業名・事業費・補助率を記入してください。",
     ["要望事業{n}件。", "要望事業{n}件（うち新規1件）。"], (0, 15), "高"),
    ("特定健康診査・特定保健指導の実施状況調査", "県健康福祉部", ["保健・医療"], 11, 28,
     "特定健診の受診率、特定保健指導の実施率及び受診勧奨の取組を回答してください。",
     ["受診率{n}％。", "受診勧奨通知をAIで最適化。受診率{n}％。"], (30, 70), "低"),
]

SURVEY_STATUS = ["準備中", "照会中", "集計中", "完了"]
ORG_STATUS = ["未開封", "開封済", "回答済"]


def muni_weight(name):
    """Rough size of a body, so that counts in answers are plausible (長野市 > 町 > 村)."""
    return {"長野市": 1.0, "松本市": 0.65, "上田市": 0.4, "飯田市": 0.3, "佐久市": 0.3}.get(
        name, 0.18 if name.endswith("市") else 0.06 if name.endswith("町") else 0.025)


def answer_count(rng, rng_n, org):
    lo, hi = rng_n
    if hi <= 100:  # percentages and small counts are not size-dependent
        return rng.randint(lo, hi)
    return max(lo, int(round(lo + (hi - lo) * muni_weight(org) * rng.uniform(0.6, 1.0))))


def survey_files(slug, rec_no, title, src, deadline, detail, orgs):
    files = []
    base = "survey-%s" % rec_no.lower()
    notice = ("標記について、%sから別添のとおり照会がありました。\n"
              "つきましては、御多忙のところ誠に恐縮ですが、別添調査票に御記入の上、%sまでに"
              "Kumikiの調査照会アプリから回答くださるようお願いします。\n%s\n"
              "なお、該当がない場合も「該当なし」と御回答願います。" % (src, wareki(deadline), detail))
    files.append(make_file(slug, base + "-1.pdf", "【依頼】%s.pdf" % title, "pdf",
                           title="%s（依頼）" % title, body=notice,
                           footer="長野県総務部市町村課 行政・デジタル係（内線 2714）"))
    files.append(make_file(slug, base + "-2.xlsx", "別紙_調査票.xlsx", "xlsx", sheet="調査票",
                           rows=[["調査票", title], ["回答期限", wareki(deadline)], [],
                                 ["団体名", "回答者所属", "回答者氏名", "件数", "備考"]]
                           + [[o, "", "", None, ""] for o in orgs]))
    files.append(make_file(slug, base + "-3.docx", "記入要領.docx", "docx", title="%s 記入要領" % title,
                           paragraphs=["1 調査の目的", "  " + detail,
                                       "2 調査基準日", "  特に記載のない場合は、%s現在とします。" % wareki(deadline.replace(day=1)),
                                       "3 回答方法", "  調査照会アプリの回答欄に入力するか、調査票を添付してください。",
                                       "4 問合せ先", "  長野県総務部市町村課（内線 2714）"]))
    return files


def build_survey():
    slug = "survey-requests"
    rng = random.Random(20250401)
    reset_files(slug)
    P = {}
    for p in [
        f_text("照会番号", required=True, unique=True, maxLength="20"),
        f_text("件名", required=True),
        f_choice("DROP_DOWN", "照会元", NATIONAL + PREF_DEPTS, required=True),
        f_choice("DROP_DOWN", "対象年度", ["令和7年度", "令和8年度", "令和9年度"]),
        f_date("照会日", required=True, defaultNowValue=True),
        f_date("回答期限", required=True),
        f_choice("RADIO_BUTTON", "優先度", ["高", "中", "低"], defaultValue="中", required=True),
        f_choice("DROP_DOWN", "照会状況", SURVEY_STATUS, defaultValue="準備中"),
        f_choice("CHECK_BOX", "分類", CATEGORIES),
        f_mtext("照会内容"),
        f_file("添付資料"),
        f_user("担当者"),
        f_subtable("回答状況", [
            f_choice("DROP_DOWN", "団体名", MUNI_NAMES),
            f_choice("DROP_DOWN", "回答状態", ORG_STATUS, defaultValue="未開封"),
            f_date("開封日時", typ="DATETIME"),
            f_date("回答日"),
            f_mtext("回答内容"),
            f_number("回答件数", unit="件"),
            f_calc("照会数", 'IF(団体名="", 0, 1)'),
            f_calc("回答フラグ", 'IF(回答状態="回答済", 1, 0)'),
        ]),
        f_calc("照会団体数", "SUM(照会数)", unit="団体"),
        f_calc("回答団体数", "SUM(回答フラグ)", unit="団体"),
        f_calc("回答率", "IF(照会団体数=0, 0, ROUND(回答団体数 / 照会団体数 * 100, 1))",
               unit="%", displayScale="1"),
        f_calc("回答件数合計", "SUM(回答件数)", unit="件"),
        f_mtext("備考"),
    ]:
        P[p["code"]] = p
    layout = [
        row(P, ("照会番号", 160), ("件名", 520)),
        row(P, ("照会元", 180), ("対象年度", 140), ("照会日", 140), ("回答期限", 140)),
        row(P, ("優先度", 200), ("照会状況", 160), ("担当者", 260)),
        row(P, ("分類", 700)),
        row(P, ("照会内容", 700)),
        row(P, ("添付資料", 500)),
        label_row("<b>回答状況</b>（各団体が自団体の行に回答します）"),
        sub_layout(P, "回答状況", ("団体名", 140), ("回答状態", 110), ("開封日時", 180), ("回答日", 130),
                   ("回答内容", 320), ("回答件数", 100), ("照会数", 80), ("回答フラグ", 80)),
        row(P, ("照会団体数", 120), ("回答団体数", 120), ("回答率", 120), ("回答件数合計", 140)),
        row(P, ("備考", 700)),
    ]
    views = {
        "一覧": list_view("一覧", 0, ["照会番号", "件名", "照会元", "照会日", "回答期限", "優先度", "照会状況",
                                   "照会団体数", "回答団体数", "回答率", "担当者"], "", "回答期限 desc"),
        "回答期限が近い": list_view("回答期限が近い", 1, ["照会番号", "件名", "照会元", "回答期限", "優先度",
                                               "照会団体数", "回答団体数"],
                             "回答期限 >= TODAY() and 回答期限 <= FROM_TODAY(14, DAYS)", "回答期限 asc"),
        "照会中・集計中": list_view("照会中・集計中", 2, ["照会番号", "件名", "照会元", "回答期限", "照会状況",
                                               "照会団体数", "回答団体数", "回答率"],
                             '照会状況 in ("照会中", "集計中")', "回答期限 asc"),
        "国からの照会": list_view("国からの照会", 3, ["照会番号", "件名", "照会元", "照会日", "回答期限"],
                            "照会元 in (%s)" % ", ".join('"%s"' % s for s in NATIONAL), "照会日 desc"),
        "優先度：高": list_view("優先度：高", 4, ["照会番号", "件名", "照会元", "回答期限", "照会状況"],
                           '優先度 in ("高")', "回答期限 asc"),
        "回答期限カレンダー": calendar_view("回答期限カレンダー", 5, "回答期限", "件名"),
    }

    # Build (date, topic, fy) instances over 令和7年度 and 令和8年度 up to just after ASOF.
    items = []
    for t in SURVEY_TOPICS:
        for fy in (2025, 2026):
            month = t[3]
            year = fy if month >= 4 else fy + 1
            d = workday(dt.date(year, month, rng.randint(1, 25)))
            if d > ASOF + dt.timedelta(days=10):
                continue
            items.append((d, t, fy))
    items.sort(key=lambda x: x[0])

    records, seq = [], {}
    attach_slots = 0
    for d, t, fy in items:
        title, src, cats, _m, span, detail, answers, rng_n, prio = t
        seq[fy] = seq.get(fy, 0) + 1
        no = "R%d-%03d" % (reiwa(fy), seq[fy])
        deadline = workday(d + dt.timedelta(days=span), -1)
        full_title = "%s %s" % (nendo(fy), title)
        if d > ASOF:
            status = "準備中"
        elif deadline >= ASOF:
            status = "照会中"
        elif (ASOF - deadline).days <= 25:
            status = "集計中"
        else:
            status = "完了"
        norg = rng.randint(6, 14)
        orgs = sorted(rng.sample(MUNI_NAMES, norg), key=MUNI_NAMES.index)
        rows = []
        for o in orgs:
            r = {"団体名": v(o), "回答状態": v("未開封"), "開封日時": v(""), "回答日": v(None),
                 "回答内容": v(""), "回答件数": v("")}
            if status != "準備中":
                elapsed = min(1.0, (ASOF - d).days / max(1, (deadline - d).days))
                p_open = 0.98 if status in ("集計中", "完了") else 0.35 + 0.6 * elapsed
                if rng.random() < p_open:
                    od = workday(d + dt.timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3, 6])))
                    od = min(od, ASOF)
                    r["開封日時"] = v(utc_datetime(od, rng.randint(8, 17), rng.choice([0, 5, 12, 20, 31, 44, 58])))
                    r["回答状態"] = v("開封済")
                    p_ans = {"完了": 0.97, "集計中": 0.85}.get(status, 0.15 + 0.6 * elapsed)
                    if rng.random() < p_ans:
                        late = rng.random() < 0.08
                        last = deadline + dt.timedelta(days=5) if late else deadline
                        span_days = max(0, (min(last, ASOF) - od).days)
                        ad = workday(od + dt.timedelta(days=rng.randint(0, span_days)), -1)
                        ad = max(ad, od)
                        n = answer_count(rng, rng_n, o) if rng_n else None
                        text = rng.choice(answers).format(n=n if n is not None else "")
                        if rng_n is None:
                            n = None
                        r["回答状態"] = v("回答済")
                        r["回答日"] = v(iso(ad))
                        r["回答内容"] = v(text)
                        r["回答件数"] = v(str(n) if n is not None else "")
            rows.append({"value": r})
        content = ("%sから「%s」について照会がありました。\n%s\n"
                   "回答は本アプリの「回答状況」欄の自団体の行に入力してください。調査票を使用する場合は、"
                   "記入済みの調査票を添付資料として提出してください。\n"
                   "回答期限：%s（厳守）") % (src, full_title, detail, wareki(deadline))
        # attach the survey kit (notice PDF, Excel sheet, Word guide) to the newer/high-priority ones
        files = []
        if status != "完了" or (prio == "高" and attach_slots < 6):
            attach_slots += status == "完了"
            files = survey_files(slug, no, full_title, src, deadline, detail, orgs)
        notes = ""
        if status == "集計中":
            notes = "未回答団体には%sに督促済み。" % wareki(workday(deadline + dt.timedelta(days=2)))
        elif status == "完了":
            notes = "%sに%sへ取りまとめ結果を報告済み。" % (
                wareki(workday(deadline + dt.timedelta(days=rng.randint(5, 12)))), src)
        rec = {
            "照会番号": v(no), "件名": v(full_title), "照会元": v(src), "対象年度": v(nendo(fy)),
            "照会日": v(iso(d)), "回答期限": v(iso(deadline)),
            "優先度": v(prio if rng.random() < 0.8 else rng.choice(["高", "中", "低"])),
            "照会状況": v(status), "分類": v(cats), "照会内容": v(content), "添付資料": v(files),
            "担当者": v([{"code": "Administrator"}] if rng.random() < 0.6 else []),
            "回答状況": v(rows), "備考": v(notes),
        }
        records.append(rec)
    app = {"name": "調査照会", "code": "",
           "description": "国・県からの調査照会を県内市町村へ一斉に依頼し、各団体が自団体の行に回答するアプリです。"
                          "開封・回答状況を一覧で確認し、未回答団体への督促と回答の取りまとめに使います。"}
    return write_app(slug, app, P, layout, views, records)


# ================================================================== 2. 職員名簿
POSITIONS = ["部長", "次長", "課長", "課長補佐", "係長", "主査", "主任", "主事", "技師", "会計年度任用職員"]
QUALS = ["情報処理安全確保支援士", "応用情報技術者", "基本情報技術者", "ITパスポート", "防災士",
         "社会福祉士", "保健師", "一級建築士", "二級建築士", "技術士", "日商簿記2級", "普通自動車免許"]
MUNI_DEPTS = ["総務課", "企画政策課", "財政課", "税務課", "住民課", "福祉課", "子育て支援課", "健康推進課",
              "建設課", "上下水道課", "農林課", "商工観光課", "教育総務課", "情報政策課", "危機管理課", "会計課"]
PREF_DEPT_LIST = ["総務部 市町村課", "総務部 人事課", "総務部 財政課", "企画振興部 DX推進課",
                  "企画振興部 総合政策課", "危機管理部 危機管理防災課", "健康福祉部 健康福祉政策課",
                  "教育委員会事務局 教育政策課"]


def build_roster():
    slug = "staff-roster"
    rng = random.Random(20260401)
    P = {}
    for p in [
        f_text("職員番号", required=True, unique=True, maxLength="10"),
        f_text("氏名", required=True),
        f_text("ふりがな"),
        f_choice("DROP_DOWN", "所属団体", [PREF[0]] + MUNI_NAMES, required=True),
        f_text("所属部署"),
        f_choice("DROP_DOWN", "役職", POSITIONS),
        f_text("内線番号", maxLength="6"),
        f_link("メールアドレス", "MAIL"),
        f_date("入庁日"),
        f_choice("RADIO_BUTTON", "在籍", ["在籍", "休職", "退職"], defaultValue="在籍", required=True),
        f_choice("MULTI_SELECT", "資格", QUALS),
        f_mtext("備考"),
    ]:
        P[p["code"]] = p
    layout = [
        row(P, ("職員番号", 140), ("氏名", 180), ("ふりがな", 200)),
        row(P, ("所属団体", 160), ("所属部署", 240), ("役職", 160)),
        row(P, ("内線番号", 120), ("メールアドレス", 320), ("入庁日", 140)),
        row(P, ("在籍", 260), ("資格", 320)),
        row(P, ("備考", 620)),
    ]
    cols = ["職員番号", "氏名", "ふりがな", "所属団体", "所属部署", "役職", "内線番号", "メールアドレス", "在籍"]
    views = {
        "一覧": list_view("一覧", 0, cols, "", "職員番号 asc"),
        "在籍者": list_view("在籍者", 1, cols, '在籍 in ("在籍")', "所属団体 asc"),
        "長野県（県庁）": list_view("長野県（県庁）", 2, cols, '所属団体 in ("長野県")', "所属部署 asc"),
        "長野市": list_view("長野市", 3, cols, '所属団体 in ("長野市")', "職員番号 asc"),
        "松本市": list_view("松本市", 4, cols, '所属団体 in ("松本市")', "職員番号 asc"),
        "情報系資格保有者": list_view("情報系資格保有者", 5, cols + ["資格"],
                               '資格 in ("情報処理安全確保支援士", "応用情報技術者", "基本情報技術者")',
                               "所属団体 asc"),
        "休職・退職": list_view("休職・退職", 6, cols + ["備考"], '在籍 in ("休職", "退職")', "職員番号 asc"),
    }
    # 120 staff: 県 20, 長野市 12, 松本市 10, 上田市 8, 飯田市 6, the rest spread over other bodies.
    plan = [(PREF, 20), (MUNIS[0], 12), (MUNIS[1], 10), (MUNIS[2], 8), (MUNIS[4], 6)]
    others = rng.sample([m for m in MUNIS if m[0] not in ("長野市", "松本市", "上田市", "飯田市")], 24)
    for i, m in enumerate(others):
        plan.append((m, 3 if i < 16 else 2))
    assert sum(n for _, n in plan) == 120, sum(n for _, n in plan)

    used_names, used_ids, used_mail = set(), set(), set()
    records = []
    for (org, dom), count in plan:
        org_recs = []
        for _ in range(count):
            while True:
                s, g = rng.choice(SURNAMES), rng.choice(GIVEN)
                if (s[0], g[0]) not in used_names:
                    used_names.add((s[0], g[0]))
                    break
            pos = rng.choices(POSITIONS, weights=[1, 1, 4, 5, 10, 10, 12, 14, 4, 6])[0]
            if org != "長野県" and pos in ("部長", "次長") and dom.startswith("vill"):
                pos = "課長"
            first_year = {"部長": (1988, 1995), "次長": (1989, 1997), "課長": (1990, 2001),
                          "課長補佐": (1995, 2006), "係長": (2000, 2013), "主査": (2003, 2016),
                          "主任": (2010, 2020), "主事": (2018, 2026), "技師": (2015, 2026),
                          "会計年度任用職員": (2023, 2026)}[pos]
            y = rng.randint(*first_year)
            entered = dt.date(y, 4, 1) if rng.random() < 0.88 else workday(dt.date(y, rng.choice([5, 7, 10]), 1))
            while True:
                sid = "%02d%04d" % (y % 100, rng.randint(1, 9999))
                if sid not in used_ids:
                    used_ids.add(sid)
                    break
            mail = "%s.%s@%s.example.lg.jp" % (g[2], s[2], dom)
            k = 2
            while mail in used_mail:
                mail = "%s.%s%d@%s.example.lg.jp" % (g[2], s[2], k, dom)
                k += 1
            used_mail.add(mail)
            if org == "長野県":
                dept = rng.choice(PREF_DEPT_LIST)
                ext = str(rng.randint(2000, 7999))
            else:
                dept = rng.choice(MUNI_DEPTS)
                if dom.startswith("city") and dept == "住民課":
                    dept = "市民課"
                dept = dept + ("" if pos in ("部長", "次長", "課長") else rng.choice(["", " " + rng.choice(
                    ["庶務係", "企画係", "管理係", "業務係", "DX推進係", "計画係"])]))
                ext = str(rng.randint(100, 599)) if dom.startswith("vill") else str(rng.randint(1000, 4999))
            quals = []
            for q, p in [("普通自動車免許", 0.6), ("ITパスポート", 0.15), ("基本情報技術者", 0.08),
                         ("応用情報技術者", 0.04), ("情報処理安全確保支援士", 0.015), ("防災士", 0.08),
                         ("日商簿記2級", 0.05)]:
                if rng.random() < p:
                    quals.append(q)
            if "情報" in dept or "DX" in dept:
                quals.append(rng.choice(["基本情報技術者", "応用情報技術者", "情報処理安全確保支援士"]))
            if "福祉" in dept and rng.random() < 0.4:
                quals.append("社会福祉士")
            if "健康" in dept and rng.random() < 0.5:
                quals.append("保健師")
            if "建設" in dept and rng.random() < 0.4:
                quals.append(rng.choice(["一級建築士", "二級建築士", "技術士"]))
            quals = sorted(set(quals), key=QUALS.index)
            r = rng.random()
            status, note = "在籍", ""
            if r < 0.04:
                status, note = "休職", "育児休業中（%sまで）" % wareki(rng.choice(
                    [dt.date(2027, 3, 31), dt.date(2027, 4, 30), dt.date(2027, 6, 30), dt.date(2027, 9, 30)]))
            elif r < 0.10:
                status = "退職"
                note = rng.choice(["%s 定年退職" % wareki(dt.date(2026, 3, 31)),
                                   "%s 自己都合退職" % wareki(dt.date(2025, rng.choice([6, 9, 12]), 30)),
                                   "%s 定年退職（再任用なし）" % wareki(dt.date(2025, 3, 31))])
            elif pos == "会計年度任用職員":
                note = "任期：%s〜%s" % (wareki(dt.date(2026, 4, 1)), wareki(dt.date(2027, 3, 31)))
            elif rng.random() < 0.12:
                note = rng.choice(["%s付け人事異動により現所属" % wareki(dt.date(2026, 4, 1)),
                                   "県市町村課へ派遣（令和8年度）" if org != "長野県" else "長野市へ派遣（令和8年度）",
                                   "災害時は避難所運営班", "CISO補佐（情報セキュリティ担当）"])
            org_recs.append({
                "職員番号": v(sid), "氏名": v("%s %s" % (s[0], g[0])), "ふりがな": v("%s %s" % (s[1], g[1])),
                "所属団体": v(org), "所属部署": v(dept), "役職": v(pos), "内線番号": v(ext),
                "メールアドレス": v(mail), "入庁日": v(iso(entered)), "在籍": v(status), "資格": v(quals),
                "備考": v(note)})
        org_recs.sort(key=lambda x: x["職員番号"]["value"])
        records.extend(org_recs)
    app = {"name": "職員名簿", "code": "",
           "description": "県と県内市町村の担当職員の名簿です。人事異動のたびに各団体が自団体の行を更新し、"
                          "県は統合された名簿をそのまま参照します。"}
    return write_app(slug, app, P, layout, views, records)


# ================================================================== 3. 文書書庫
DOC_TYPES = ["通知", "事務連絡", "要綱", "マニュアル", "回答"]
SOURCES = NATIONAL + ["長野県総務部", "長野県企画振興部", "長野県危機管理部", "長野県健康福祉部", "長野県教育委員会"]
ADDRESSEE = {"national": "各都道府県知事 殿", "pref": "各市町村長 様"}
NUMBER_PREFIX = {
    "総務省": "総行情第{n}号", "デジタル庁": "デジ第{n}号", "文部科学省": "{r}文科初第{n}号",
    "厚生労働省": "健発{md}第{k}号", "こども家庭庁": "こ成保第{n}号", "国土交通省": "国住備第{n}号",
    "農林水産省": "{r}農振第{n}号", "内閣府": "府政防第{n}号", "消防庁": "消防災第{n}号",
    "長野県総務部": "長総第{n}号", "長野県企画振興部": "長企第{n}号", "長野県危機管理部": "長危第{n}号",
    "長野県健康福祉部": "長健福第{n}号", "長野県教育委員会": "長教第{n}号",
}
LINKS = {
    "総務省": ("総務省ホームページ", "https://www.soumu.go.jp/"),
    "デジタル庁": ("デジタル庁ホームページ", "https://www.digital.go.jp/"),
    "文部科学省": ("文部科学省ホームページ", "https://www.mext.go.jp/"),
    "厚生労働省": ("厚生労働省ホームページ", "https://www.mhlw.go.jp/"),
    "こども家庭庁": ("こども家庭庁ホームページ", "https://www.cfa.go.jp/"),
    "国土交通省": ("国土交通省ホームページ", "https://www.mlit.go.jp/"),
    "農林水産省": ("農林水産省ホームページ", "https://www.maff.go.jp/"),
    "内閣府": ("内閣府防災情報のページ", "https://www.bousai.go.jp/"),
    "消防庁": ("消防庁ホームページ", "https://www.fdma.go.jp/"),
    "長野県": ("長野県ホームページ", "https://www.pref.nagano.lg.jp/"),
    "e-Gov": ("e-Gov法令検索", "https://laws.e-gov.go.jp/"),
}

# (title, 発出元, 種別, 分類, キーワード, 月, 保存年限, 年度リスト, detail, attachments)
# attachments: list of (kind, display-name suffix) created for the first year listed.
DOC_TOPICS = [
    ("地方公共団体情報システムの標準化に関する基本的な方針の改定", "デジタル庁", "通知", ["情報システム"],
     "標準化 ガバメントクラウド 移行 基本方針", 6, 10, [2025],
     "地方公共団体情報システムの標準化に関する法律（令和3年法律第40号）第5条に基づく基本方針が改定されました。"
     "移行困難システムへの対応方針、運用経費の削減目標及びガバメントクラウドの利用に係る留意事項が示されています。",
     [("pdf", "通知"), ("pdf", "別添_基本方針（概要）")]),
    ("ガバメントクラウドへの移行に係る留意事項", "デジタル庁", "事務連絡", ["情報システム"],
     "ガバメントクラウド ネットワーク 接続 運用経費", 9, 5, [2025, 2026],
     "ガバメントクラウドへの接続回線の調達、運用管理補助者との責任分界及び運用経費の見積りに当たっての留意事項を取りまとめました。",
     [("pdf", "事務連絡")]),
    ("地方公共団体における情報セキュリティポリシーに関するガイドラインの改定", "総務省", "通知", ["情報システム"],
     "情報セキュリティ ポリシー ガイドライン クラウド 三層分離", 4, 10, [2025],
     "クラウドサービスの利用拡大及びα'モデルの導入を踏まえ、地方公共団体における情報セキュリティポリシーに関するガイドラインを改定しました。"
     "主な改定内容は、外部サービス利用時の管理基準の明確化、インシデント発生時の報告手順の見直し等です。",
     [("pdf", "通知"), ("docx", "新旧対照表")]),
    ("自治体DX推進計画の改定", "総務省", "通知", ["情報システム", "行政改革"],
     "自治体DX 推進計画 重点取組事項 生成AI", 12, 10, [2025],
     "自治体DX推進計画を改定し、重点取組事項に生成AIの活用及び窓口DXの推進を追加しました。"
     "各団体においては、本計画を踏まえた推進体制の整備及び外部人材の活用を図るようお願いします。",
     []),
    ("地方財政状況調査（決算統計）の実施", "総務省", "通知", ["財政", "統計"],
     "決算統計 普通会計 調査表 提出", 4, 5, [2025, 2026],
     "前年度の地方財政状況調査を実施します。調査表の様式及び記入要領に変更がありますので、御留意ください。",
     [("xlsx", "調査表様式")]),
    ("地方公務員の給与改定に関する取扱い", "総務省", "通知", ["人事・給与"],
     "給与改定 人事院勧告 地域手当 期末手当", 11, 10, [2025, 2026],
     "本年の人事院勧告を踏まえた国家公務員の給与改定の内容をお知らせするとともに、地方公務員の給与改定に当たっての留意事項を示します。",
     []),
    ("会計年度任用職員制度の適正な運用等", "総務省", "通知", ["人事・給与"],
     "会計年度任用職員 勤勉手当 任用 再度の任用", 6, 5, [2025, 2026],
     "会計年度任用職員に対する勤勉手当の支給、再度の任用に係る公募の取扱い等について、制度の適正な運用に向けた留意事項を示します。",
     []),
    ("住民基本台帳事務処理要領の一部改正", "総務省", "通知", ["住民・戸籍"],
     "住民基本台帳 事務処理要領 氏名 振り仮名", 5, 10, [2025],
     "戸籍法等の改正により氏名の振り仮名が記載事項とされたことに伴い、住民基本台帳事務処理要領の一部を改正しました。",
     [("pdf", "通知"), ("txt", "改正概要（テキスト版）")]),
    ("公立学校情報機器整備に係る端末の更新", "文部科学省", "通知", ["教育", "情報システム"],
     "GIGAスクール 端末更新 共同調達 基金", 4, 5, [2025],
     "公立学校情報機器整備基金を活用した1人1台端末の更新に当たっては、都道府県単位での共同調達を原則とします。"
     "各市町村教育委員会は、共同調達会議への参加及び必要台数の把握をお願いします。",
     [("xlsx", "必要台数調査票")]),
    ("部活動の地域連携及び地域クラブ活動への移行の推進", "文部科学省", "事務連絡", ["教育"],
     "部活動 地域移行 地域クラブ 教員 働き方改革", 8, 3, [2025, 2026],
     "休日の部活動の地域連携・地域移行を着実に進めるため、先行事例及び財政支援の概要をお知らせします。",
     []),
    ("新型コロナワクチンの定期接種の実施", "厚生労働省", "通知", ["保健・医療"],
     "予防接種 定期接種 新型コロナウイルス 自己負担", 8, 10, [2025, 2026],
     "予防接種法に基づく新型コロナワクチンの定期接種（B類疾病）について、実施期間、対象者及び費用負担の考え方を示します。",
     [("pdf", "通知")]),
    ("介護保険事業計画の策定に係る基本指針", "厚生労働省", "通知", ["福祉", "保健・医療"],
     "介護保険 事業計画 基本指針 地域包括ケア", 7, 10, [2026],
     "第10期介護保険事業計画の策定に向け、基本指針の案を示します。地域包括ケアシステムの深化・推進及び介護人材の確保に関する記載の充実をお願いします。",
     []),
    ("生活保護業務におけるマイナンバーの利用", "厚生労働省", "事務連絡", ["福祉", "情報システム"],
     "生活保護 マイナンバー 情報連携 資産調査", 10, 5, [2025, 2026],
     "生活保護の決定及び実施に関する事務において、情報提供ネットワークシステムを通じた情報連携を一層活用するよう留意事項をまとめました。",
     []),
    ("保育所等における事故防止及び事故発生時の対応", "こども家庭庁", "通知", ["子育て"],
     "保育所 事故防止 ガイドライン 午睡 食物アレルギー", 5, 10, [2025, 2026],
     "保育所等における重大事故の発生を踏まえ、午睡中及び食事中の事故防止並びに事故発生時の報告の徹底について改めて周知します。",
     [("pdf", "通知")]),
    ("こども誰でも通園制度の本格実施に向けた準備", "こども家庭庁", "事務連絡", ["子育て"],
     "こども誰でも通園制度 乳児等通園支援事業 システム", 10, 5, [2025],
     "令和8年度からの乳児等通園支援事業の本格実施に向け、認可手続、総合支援システムの利用開始手順等をお知らせします。",
     []),
    ("空家等対策の推進に関する特別措置法に基づく指針の改正", "国土交通省", "通知", ["建設・都市計画"],
     "空家 管理不全空家 特定空家 指針", 6, 10, [2025, 2026],
     "管理不全空家等及び特定空家等に対する措置に関する適切な実施を図るために必要な指針の一部を改正しました。",
     []),
    ("水道施設の耐震化の推進", "国土交通省", "事務連絡", ["建設・都市計画", "防災・消防"],
     "上下水道 耐震化 急所施設 計画", 3, 5, [2025],
     "上下水道施設の耐震化状況の緊急点検結果を踏まえ、避難所等の重要施設に接続する管路の耐震化計画の策定をお願いします。",
     []),
    ("鳥獣被害防止特措法に基づく被害防止計画の作成", "農林水産省", "通知", ["農林"],
     "鳥獣被害 被害防止計画 ニホンジカ ツキノワグマ", 11, 5, [2025, 2026],
     "被害防止計画の作成及び変更に当たっての留意事項を示します。ツキノワグマの出没増加を踏まえた対策の記載についても御検討ください。",
     []),
    ("避難行動要支援者の避難行動支援に関する取組指針の改定", "内閣府", "通知", ["防災・消防", "福祉"],
     "避難行動要支援者 個別避難計画 名簿 福祉避難所", 5, 10, [2025, 2026],
     "個別避難計画の作成の一層の推進及び福祉避難所への直接避難の促進について、取組指針を改定しました。",
     [("pdf", "通知")]),
    ("林野火災に対する警戒の強化", "消防庁", "通知", ["防災・消防"],
     "林野火災 警戒 火入れ 注意報", 2, 3, [2024, 2025],
     "乾燥した気象状況が続くことから、林野火災注意報等の的確な発令及び住民への広報の徹底をお願いします。",
     []),
    ("市町村行政事務のデジタル化に係る共同調達の実施", "長野県企画振興部", "通知", ["情報システム", "行政改革"],
     "共同調達 電子申請 市町村 DX 負担金", 5, 5, [2025, 2026],
     "県と市町村が共同で利用する電子申請システム及びRPAツールの調達について、参加団体及び負担金の算定方法をお知らせします。",
     [("pdf", "通知"), ("csv", "参加団体一覧（UTF-8）"), ("csv", "参加団体一覧（Shift_JIS）")]),
    ("生成AIの利用に関するガイドライン", "長野県企画振興部", "要綱", ["情報システム", "行政改革"],
     "生成AI ガイドライン 個人情報 機密情報 利用ルール", 7, 10, [2025],
     "職員が業務において生成AIを利用する場合の基本原則、入力してはならない情報、出力結果の確認方法等",
     [("docx", "ガイドライン本文")]),
    ("長野県・市町村情報セキュリティクラウド運用要綱", "長野県総務部", "要綱", ["情報システム"],
     "セキュリティクラウド 運用 インターネット接続 ログ監視", 3, 30, [2026],
     "長野県及び県内市町村が共同で利用する自治体情報セキュリティクラウドの運用",
     [("docx", "要綱")]),
    ("調査照会アプリ操作マニュアル（市町村向け）", "長野県総務部", "マニュアル", ["情報システム"],
     "調査照会 Kumiki 操作 回答 ログイン", 4, 3, [2026],
     "県から市町村への調査照会をKumikiで受け付け、回答するまでの操作手順をまとめたものです。",
     [("pdf", "マニュアル"), ("txt", "よくある質問")]),
    ("市町村職員研修計画", "長野県総務部", "通知", ["人事・給与"],
     "職員研修 研修計画 DX推進リーダー 受講", 3, 3, [2025, 2026],
     "次年度の市町村職員研修計画を策定しましたので送付します。DX推進リーダー研修及び情報セキュリティ研修は全団体からの受講をお願いします。",
     [("xlsx", "研修日程表")]),
    ("市町村税務事務の電子化（eLTAX）の推進", "長野県総務部", "事務連絡", ["税務", "情報システム"],
     "eLTAX 電子申告 地方税統一QRコード 収納", 9, 5, [2025, 2026],
     "地方税統一QRコードを活用した納付の対象税目拡大に向け、各市町村における対応状況を確認の上、準備を進めてください。",
     []),
    ("大規模災害時における市町村応援職員の派遣要綱", "長野県危機管理部", "要綱", ["防災・消防", "人事・給与"],
     "災害 応援職員 派遣 受援 避難所運営", 6, 30, [2025],
     "大規模災害の発生時における県内市町村相互及び県から市町村への応援職員の派遣",
     []),
    ("避難所運営マニュアル作成指針", "長野県危機管理部", "マニュアル", ["防災・消防"],
     "避難所 運営 女性の視点 感染症対策 ペット", 6, 10, [2026],
     "市町村が避難所運営マニュアルを作成・改定する際の指針として、女性や要配慮者の視点、感染症対策、ペット同行避難への対応等を示すものです。",
     [("pdf", "マニュアル")]),
    ("特定健康診査受診率向上に向けた取組事例集", "長野県健康福祉部", "事務連絡", ["保健・医療"],
     "特定健診 受診率 受診勧奨 事例", 10, 3, [2025, 2026],
     "県内市町村における特定健康診査の受診率向上に向けた取組事例を取りまとめましたので、参考にしてください。",
     []),
    ("県立学校における個人情報の取扱いに関する要綱", "長野県教育委員会", "要綱", ["教育"],
     "個人情報 県立学校 持ち出し 成績情報", 4, 30, [2025],
     "県立学校における児童生徒等の個人情報の適正な取扱い",
     []),
    ("地方公共団体の情報システム標準化に関する調査", "長野県総務部", "回答", ["情報システム"],
     "標準化 移行状況 調査 回答 取りまとめ", 6, 5, [2025, 2026],
     "県内77市町村の回答を取りまとめ、標準準拠システムへの移行予定時期及び移行困難システムの状況を報告します。",
     [("xlsx", "取りまとめ表")]),
    ("地方公共団体定員管理調査", "長野県総務部", "回答", ["人事・給与", "統計"],
     "定員管理 職員数 部門別 回答", 5, 5, [2025, 2026],
     "県及び県内市町村の部門別職員数を取りまとめましたので、別添のとおり回答します。",
     []),
    ("国民健康保険被保険者証の廃止に伴う資格確認書の交付", "厚生労働省", "事務連絡", ["保健・医療", "福祉"],
     "資格確認書 マイナ保険証 国民健康保険 交付", 7, 5, [2025, 2026],
     "被保険者証の有効期限到来に伴う資格確認書の職権交付の取扱い及び住民への周知方法についてお知らせします。",
     []),
    ("地方税法等の一部を改正する法律等の施行", "総務省", "通知", ["税務"],
     "地方税法 改正 施行 個人住民税 固定資産税", 4, 10, [2025, 2026],
     "地方税法等の一部を改正する法律が公布され、一部の規定を除き4月1日から施行されることとなりました。"
     "改正の趣旨及び主な内容は別紙のとおりですので、その運用に当たっては、十分に留意の上、適切に対処されるようお願いします。",
     []),
    ("令和7年国勢調査の実施", "総務省", "通知", ["統計"],
     "国勢調査 調査員 インターネット回答 統計", 4, 10, [2025],
     "令和7年10月1日現在で実施する国勢調査について、調査員の確保、インターネット回答の推進及び調査票の適正な管理をお願いします。",
     [("pdf", "通知")]),
    ("参議院議員通常選挙の執行", "総務省", "通知", ["選挙"],
     "参議院議員通常選挙 期日前投票 投票所 執行", 5, 5, [2025],
     "参議院議員通常選挙の執行に当たり、期日前投票所の適切な設置、投票所における合理的配慮の提供及び開票事務の適正な執行に万全を期されるようお願いします。",
     []),
    ("ふるさと納税に係る指定制度の運用", "総務省", "通知", ["税務", "財政"],
     "ふるさと納税 指定制度 返礼品 募集費用", 6, 5, [2025, 2026],
     "ふるさと納税に係る指定制度の基準を改正し、募集に要する費用の取扱い及び返礼品の地場産品基準を明確化しました。",
     []),
    ("マイナンバーカードの円滑な交付体制の確保", "デジタル庁", "事務連絡", ["住民・戸籍", "情報システム"],
     "マイナンバーカード 更新 電子証明書 交付体制 窓口", 8, 5, [2025, 2026],
     "電子証明書の有効期限到来に伴い更新手続の増加が見込まれることから、休日窓口の開設等、円滑な交付体制の確保をお願いします。",
     []),
    ("熱中症予防対策の徹底", "長野県健康福祉部", "通知", ["保健・医療"],
     "熱中症 警戒アラート クーリングシェルター 高齢者", 6, 3, [2025, 2026],
     "熱中症特別警戒アラートの発表に備え、指定暑熱避難施設（クーリングシェルター）の指定及び高齢者等への声掛けの実施をお願いします。",
     [("pdf", "通知")]),
    ("冬期の大雪に備えた除雪体制の確保", "長野県危機管理部", "事務連絡", ["防災・消防", "建設・都市計画"],
     "大雪 除雪 立ち往生 孤立集落 冬期", 11, 3, [2025, 2026],
     "冬期における大雪に備え、除雪体制の確保、孤立のおそれのある集落の把握及び車両の立ち往生発生時の連絡体制の確認をお願いします。",
     []),
    ("LGWAN接続系端末の共同調達の実施", "長野県総務部", "通知", ["情報システム"],
     "LGWAN 端末 共同調達 更新 仕様", 10, 5, [2026],
     "令和9年度に更新時期を迎えるLGWAN接続系端末について、県と市町村による共同調達を実施します。参加希望団体は調達予定台数を回答してください。",
     [("xlsx", "参加申込書")]),
    ("住宅用火災警報器の設置及び維持管理の推進", "消防庁", "事務連絡", ["防災・消防"],
     "住宅用火災警報器 設置率 交換 広報", 10, 3, [2025],
     "設置から10年を経過した住宅用火災警報器の交換を促進するため、秋季全国火災予防運動の機会を捉えた広報をお願いします。",
     []),
    ("教職員の不祥事根絶に向けた取組の徹底", "長野県教育委員会", "通知", ["教育", "人事・給与"],
     "不祥事 服務規律 研修 教職員", 12, 10, [2025],
     "教職員による不祥事が後を絶たない状況を踏まえ、服務規律の確保に向けた校内研修の実施及び相談体制の周知を改めて徹底するようお願いします。",
     []),
]


def doc_body(typ, src, title, detail, d, ref):
    national = src in NATIONAL
    if typ == "通知":
        if national:
            return ("標記について、%s\nつきましては、貴職におかれては、内容を御了知の上、適切に対応いただくようお願いします。"
                    "また、各都道府県におかれては、貴都道府県内の市区町村（指定都市を除く。）に対しても本通知を周知いただくようお願いします。\n"
                    "なお、本通知は、地方自治法（昭和22年法律第67号）第245条の4第1項に基づく技術的な助言であることを申し添えます。"
                    % detail)
        return ("標記について、%s\nつきましては、各市町村におかれては、内容を御確認の上、関係部署への周知及び適切な事務処理をお願いします。\n"
                "御不明な点がありましたら、担当までお問い合わせください。" % detail)
    if typ == "事務連絡":
        return ("標記について、下記のとおりお知らせします。\n%s\n"
                "御多忙のところ恐縮ですが、御協力のほどよろしくお願いいたします。" % detail)
    if typ == "要綱":
        return ("（趣旨）\n第1条 この要綱は、%sに関し必要な事項を定めるものとする。\n"
                "（定義）\n第2条 この要綱において使用する用語の意義は、関係法令の例による。\n"
                "（責務）\n第3条 所属長は、所属職員に対し、この要綱の内容を周知徹底しなければならない。\n"
                "（その他）\n第4条 この要綱に定めるもののほか、必要な事項は別に定める。\n"
                "附 則\nこの要綱は、%sから施行する。" % (detail, wareki(d)))
    if typ == "マニュアル":
        return ("本マニュアルは、%s\n第1章 概要\n第2章 準備及び事前設定\n第3章 操作手順\n第4章 よくある質問\n"
                "内容は随時更新します。最新版は本書庫で確認してください。" % detail)
    # 回答
    return ("%s付け%sで照会のありました標記の件について、下記のとおり回答します。\n%s" % (wareki(d - dt.timedelta(days=30)), ref, detail))


def build_archive():
    slug = "document-archive"
    rng = random.Random(20250402)
    reset_files(slug)
    P = {}
    for p in [
        f_text("管理番号", required=True, unique=True, maxLength="20"),
        f_text("文書番号"),
        f_text("表題", required=True),
        f_choice("DROP_DOWN", "発出元", SOURCES, required=True),
        f_choice("DROP_DOWN", "文書種別", DOC_TYPES, required=True),
        f_date("発出日", required=True),
        f_text("宛先"),
        f_choice("CHECK_BOX", "分類", CATEGORIES),
        f_mtext("本文"),
        f_text("キーワード"),
        f_file("添付ファイル"),
        f_choice("RADIO_BUTTON", "公開範囲", ["全団体", "県職員のみ"], defaultValue="全団体", required=True),
        f_group("保存管理"),
        f_number("保存年限", unit="年", unitPosition="AFTER", minValue="1", maxValue="30", defaultValue="5"),
        f_calc("保存月数", "保存年限 * 12", unit="か月"),
        f_calc("周知期限", "発出日 + 60 * 60 * 24 * 30", fmt="DATE"),
        f_subtable("関連文書", [f_text("文書名"), f_link("URL", "WEB")]),
    ]:
        P[p["code"]] = p
    layout = [
        row(P, ("管理番号", 150), ("文書番号", 200), ("発出日", 140)),
        row(P, ("表題", 650)),
        row(P, ("発出元", 200), ("文書種別", 140), ("宛先", 220)),
        row(P, ("分類", 650)),
        row(P, ("本文", 650)),
        row(P, ("キーワード", 400), ("公開範囲", 220)),
        row(P, ("添付ファイル", 500)),
        group_layout("保存管理", [row(P, ("保存年限", 120), ("保存月数", 120), ("周知期限", 140))]),
        sub_layout(P, "関連文書", ("文書名", 360), ("URL", 320)),
    ]
    cols = ["管理番号", "文書番号", "表題", "発出元", "文書種別", "発出日", "添付ファイル"]
    views = {
        "一覧": list_view("一覧", 0, cols, "", "発出日 desc"),
        "通知・事務連絡": list_view("通知・事務連絡", 1, cols, '文書種別 in ("通知", "事務連絡")', "発出日 desc"),
        "国からの文書": list_view("国からの文書", 2, cols,
                            "発出元 in (%s)" % ", ".join('"%s"' % s for s in NATIONAL), "発出日 desc"),
        "要綱・マニュアル": list_view("要綱・マニュアル", 3, cols, '文書種別 in ("要綱", "マニュアル")', "表題 asc"),
        "直近1年": list_view("直近1年", 4, cols, "発出日 >= FROM_TODAY(-1, YEARS)", "発出日 desc"),
        "添付ファイルあり": list_view("添付ファイルあり", 5, cols, "添付ファイル is not empty", "発出日 desc"),
        "発出日カレンダー": calendar_view("発出日カレンダー", 6, "発出日", "表題"),
    }

    items = []
    for t in DOC_TOPICS:
        for fy in t[7]:
            month = t[5]
            year = fy if month >= 4 else fy + 1
            d = workday(dt.date(year, month, rng.randint(1, 26)))
            if d > ASOF:
                continue
            items.append((d, fy, t))
    items.sort(key=lambda x: x[0])

    # Titles of records that share a topic, to cross-link them in 関連文書.
    records, seq, by_topic = [], {}, {}
    for d, fy, t in items:
        title, src, typ, cats, kw, _m, keep, years, detail, attach = t
        seq[fy] = seq.get(fy, 0) + 1
        mgmt = "R%d-書-%04d" % (reiwa(fy), seq[fy])
        if typ in ("事務連絡",):
            number = "事務連絡"
        elif typ == "マニュアル":
            number = ""
        else:
            prefix = NUMBER_PREFIX[src]
            if src == "総務省":
                prefix = {"情報システム": "総行情第{n}号", "人事・給与": "総行公第{n}号", "財政": "総財務第{n}号",
                          "税務": "総税企第{n}号", "住民・戸籍": "総行住第{n}号", "統計": "総統企第{n}号",
                          "選挙": "総行管第{n}号"}.get(cats[0], prefix)
            number = prefix.format(n=rng.randint(12, 480), r=reiwa(fy),
                                               md="%02d%02d" % (d.month, d.day), k=rng.randint(1, 9))
        if typ in ("通知", "事務連絡"):
            full = "%sについて（通知）" % title if typ == "通知" else "%sについて" % title
        elif typ == "回答":
            full = "%s %sについて（回答）" % (nendo(fy), title)
        elif typ == "マニュアル":
            full = "%s（%s版）" % (title, nendo(fy))
        else:
            full = title
        if typ in ("通知", "事務連絡") and len(years) > 1:
            full = "%s %s" % (nendo(fy), full)
        to_digital = "標準化" in title
        ref = ""
        if typ == "回答":
            ref = ("デジ第{n}号" if to_digital else "総行公第{n}号").format(n=rng.randint(12, 480))
        body = doc_body(typ, src, full, detail, d, ref)
        if src in NATIONAL and typ != "回答":
            addressee = ADDRESSEE["national"]
        elif typ == "回答":
            addressee = "デジタル庁統括官 殿" if to_digital else "総務省自治行政局公務員部長 殿"
        elif typ in ("要綱", "マニュアル"):
            addressee = ""
        else:
            addressee = ADDRESSEE["pref"]
        related = []
        for prev in by_topic.get(title, []):
            related.append({"value": {"文書名": v("%s %s" % (prev[0], prev[1])), "URL": v("")}})
        key = "長野県" if src.startswith("長野県") else src
        if key in LINKS:
            name, url = LINKS[key]
            related.append({"value": {"文書名": v(name), "URL": v(url)}})
        if typ == "要綱" or "法" in detail:
            name, url = LINKS["e-Gov"]
            related.append({"value": {"文書名": v(name), "URL": v(url)}})
        by_topic.setdefault(title, []).append((mgmt, full))

        files = []
        if attach and fy == years[0]:
            for i, (kind, label) in enumerate(attach, 1):
                fname = "%s-%d.%s" % (mgmt.replace("-書-", "-").lower(), i, kind)
                display = "%s_%s.%s" % (label, full, kind) if kind == "pdf" and label in ("通知", "事務連絡") \
                    else "%s.%s" % (label, kind)
                footer = "%s　%s　%s" % (number or "（番号なし）", wareki(d), src)
                if kind == "pdf":
                    files.append(make_file(slug, fname, display, "pdf", title=full,
                                           body=(addressee + "\n\n" if addressee else "") + body,
                                           footer=footer))
                elif kind == "docx":
                    files.append(make_file(slug, fname, display, "docx", title=full,
                                           paragraphs=body.split("\n") + ["", footer]))
                elif kind == "xlsx":
                    if typ == "回答":
                        rows = [["団体名", "標準化対象業務数", "移行済み業務数", "移行困難システム", "備考"]]
                        for m in MUNI_NAMES:
                            done = rng.randint(0, 20)
                            rows.append([m, 20, done, "あり" if rng.random() < 0.2 else "なし", ""])
                    elif "研修" in title:
                        rows = [["研修名", "期", "開催日", "会場", "定員"]]
                        for k, (nm, cap) in enumerate([("新規採用職員研修", 120), ("DX推進リーダー研修", 40),
                                                       ("情報セキュリティ研修", 80), ("法制執務研修", 60),
                                                       ("窓口接遇研修", 50), ("管理監督者研修", 40)]):
                            for ki in range(1, 3):
                                day = workday(dt.date(fy, 5 + k + ki, 10 + ki))
                                rows.append([nm, "第%d期" % ki, wareki(day), rng.choice(
                                    ["長野県自治研修所", "松本合同庁舎", "オンライン（LoGoチャット併用）"]), cap])
                    else:
                        rows = [["団体名", "担当課", "回答者", "数値", "備考"]] + [[m, "", "", None, ""] for m in MUNI_NAMES[:19]]
                    files.append(make_file(slug, fname, display, "xlsx", sheet=label[:31], rows=rows))
                elif kind == "csv":
                    enc = "cp932" if "Shift_JIS" in label else "utf-8"
                    rows = [["団体名", "参加区分", "電子申請システム", "RPA", "負担金（円）"]]
                    for m in MUNI_NAMES:
                        es, rpa = rng.random() < 0.85, rng.random() < 0.5
                        fee = (300000 if m.endswith("市") else 120000) * (es + rpa)
                        rows.append([m, "参加" if (es or rpa) else "不参加", "○" if es else "", "○" if rpa else "", fee])
                    files.append(make_file(slug, fname, display, "csv", rows=rows, encoding=enc))
                elif kind == "txt":
                    if "マニュアル" in typ:
                        text = ("よくある質問（調査照会アプリ）\n\n"
                                "Q1 ログインできません。\nA1 ユーザー名は職員番号です。初期パスワードは別途通知しています。\n\n"
                                "Q2 他の団体の回答が見えてしまいませんか。\nA2 見えません。各団体は自団体の行だけを参照・編集できます。\n\n"
                                "Q3 回答を修正したい。\nA3 回答期限までは何度でも修正できます。期限後は県市町村課へ連絡してください。\n\n"
                                "Q4 調査票（Excel）が開けません。\nA4 ファイルを一度パソコンに保存してから開いてください。\n")
                    else:
                        text = ("%s\n\n%s\n\n【改正の概要】\n1 住民票の記載事項に氏名の振り仮名を追加\n"
                                "2 振り仮名の通知及び届出に関する事務の追加\n3 住民票の写し等の様式の改正\n\n"
                                "【施行期日】%s\n" % (full, number, wareki(dt.date(2025, 5, 26))))
                    files.append(make_file(slug, fname, display, "txt", text=text))
        records.append({
            "管理番号": v(mgmt), "文書番号": v(number), "表題": v(full), "発出元": v(src), "文書種別": v(typ),
            "発出日": v(iso(d)), "宛先": v(addressee), "分類": v(cats), "本文": v(body), "キーワード": v(kw),
            "添付ファイル": v(files), "公開範囲": v("県職員のみ" if typ == "回答" else "全団体"),
            "保存年限": v(str(keep)), "関連文書": v(related),
        })
    # The app code lets the intake app's archive script declare this app portably (by code, not
    # by an id that differs from server to server).
    app = {"name": "文書書庫", "code": "ARCHIVE",
           "description": "国・県から発出された通知、事務連絡、要綱、マニュアル及び照会への回答を一か所に保存し、"
                          "添付ファイルの中身も含めて全文検索で探せるようにする書庫アプリです。"}
    return write_app(slug, app, P, layout, views, records)


# ------------------------------------------------------------------ 文書収受簿 (scripts)
INTAKE_DEPTS = ["総務", "企画", "財政", "福祉", "建設"]
INTAKE_DECISIONS = ["未決", "承認", "差戻し"]
SCRIPTS_DIR = os.path.join(HERE, "scripts")


def add_business_days(d, n):
    """The same rule as the script helper: n weekdays later, Saturdays and Sundays skipped."""
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def script(name, filename, events, apps=None):
    """A script of an example app; its source is the file tools/scripts/<filename> (rhai). `apps`
    declares the other apps it uses (a script reaches no undeclared app)."""
    with open(os.path.join(SCRIPTS_DIR, filename), encoding="utf-8") as f:
        source = f.read()
    s = {"name": name, "source": source, "events": events, "enabled": True}
    if apps:
        s["apps"] = apps
    return s


def build_intake():
    slug = "document-intake"
    rng = random.Random(20250401)
    P = {}
    for p in [
        f_text("文書番号", unique=True, maxLength="20"),
        f_choice("DROP_DOWN", "担当課", INTAKE_DEPTS, required=True),
        f_date("受付日", required=True, defaultNowValue=True),
        f_date("回答期限"),
        f_text("件名", required=True),
        f_choice("DROP_DOWN", "発出元", SOURCES, required=True),
        f_choice("DROP_DOWN", "文書種別", DOC_TYPES, required=True, defaultValue="通知"),
        f_text("先方文書番号"),
        f_date("発出日", required=True),
        f_text("連絡先郵便番号", maxLength="10"),
        f_text("連絡先電話番号", maxLength="20"),
        f_mtext("概要"),
        f_choice("RADIO_BUTTON", "決裁", INTAKE_DECISIONS, defaultValue="未決", required=True),
    ]:
        P[p["code"]] = p
    layout = [
        row(P, ("文書番号", 160), ("担当課", 120), ("受付日", 140), ("回答期限", 140)),
        row(P, ("件名", 650)),
        row(P, ("発出元", 200), ("文書種別", 140), ("先方文書番号", 180), ("発出日", 140)),
        row(P, ("連絡先郵便番号", 160), ("連絡先電話番号", 200)),
        row(P, ("概要", 650)),
        row(P, ("決裁", 300)),
    ]
    cols = ["文書番号", "担当課", "受付日", "回答期限", "件名", "発出元", "決裁"]
    views = {
        "一覧": list_view("一覧", 0, cols, "", "受付日 desc"),
        "未決": list_view("未決", 1, cols, '決裁 in ("未決")', "回答期限 asc"),
    }
    # 令和7年度 (2025-04-01 .. 2026-03-31): numbered per department in order of receipt, as the
    # numbering script would have. New records are numbered by next_number from 1 in each
    # department and fiscal year; the script skips numbers these sample records already hold.
    start, days = dt.date(2025, 4, 1), 364
    received = sorted(workday(start + dt.timedelta(days=rng.randrange(days))) for _ in range(40))
    counters = {}
    records = []
    for d in received:
        dept = rng.choice(INTAKE_DEPTS)
        counters[dept] = counters.get(dept, 0) + 1
        number = "R%d-%s-%04d" % (reiwa(fiscal_year(d)), dept, counters[dept])
        src = rng.choice(SOURCES)
        typ = rng.choice(["通知", "事務連絡", "回答"])
        cat = rng.choice(CATEGORIES)
        title = "%sに係る%sについて" % (cat, rng.choice(["調査", "取扱い", "留意事項", "実施要領", "照会"]))
        issued = workday(d - dt.timedelta(days=rng.randint(1, 6)), -1)
        old = (ASOF - d).days > 120
        records.append({
            "文書番号": v(number), "担当課": v(dept), "受付日": v(iso(d)),
            "回答期限": v(iso(add_business_days(d, 14))), "件名": v(title), "発出元": v(src),
            "文書種別": v(typ), "先方文書番号": v("第%d号" % rng.randint(10, 999)), "発出日": v(iso(issued)),
            "連絡先郵便番号": v("%03d-%04d" % (rng.randint(100, 999), rng.randint(0, 9999))),
            "連絡先電話番号": v("0%d-%d-%04d" % (rng.randint(26, 99), rng.randint(200, 999), rng.randint(0, 9999))),
            "概要": v("%s付けで%sから%sがありました。" % (wareki(issued), src, typ)),
            "決裁": v(rng.choice(["承認", "承認", "差戻し"]) if old else "未決"),
        })
    scripts = [
        script("文書番号の採番", "intake_number.rhai", ["create.submit"]),
        script("回答期限の計算", "intake_due_date.rhai", ["create.submit", "edit.submit", "field.change"]),
        script("郵便番号・電話番号の確認", "intake_contact.rhai", ["create.submit", "edit.submit", "field.change"]),
        script("承認文書を書庫へ登録", "intake_archive.rhai", ["save.after"],
               [{"code": "ARCHIVE", "access": "write"}]),
    ]
    app = {"name": "文書収受簿", "code": "",
           "description": "外部から受け付けた文書の収受簿です。スクリプトで文書番号（R7-総務-0001）を採番し、"
                          "回答期限（受付日の14営業日後）を計算し、連絡先の郵便番号・電話番号を確認し、"
                          "承認された文書を文書書庫アプリへ登録します。"}
    return write_app(slug, app, P, layout, views, records, scripts)


def main():
    counts = {
        "survey-requests": build_survey(),
        "staff-roster": build_roster(),
        "document-archive": build_archive(),
        "document-intake": build_intake(),
        cases.SLUG: cases.build(sys.modules[__name__]),
    }
    for slug, n in counts.items():
        files_dir = os.path.join(ROOT, slug, "files")
        nfiles = len(os.listdir(files_dir)) if os.path.isdir(files_dir) else 0
        print("%-18s %4d records %3d files" % (slug, n, nfiles))


if __name__ == "__main__":
    if any(arg.startswith("--archive-corpus") for arg in sys.argv[1:]):
        import corpus  # a large 文書書庫 corpus for search tests and benchmarks; see corpus.py

        corpus.main(sys.argv[1:])
    else:
        main()
