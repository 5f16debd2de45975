"""The gallery's shipped templates (issue 17 part 5): twelve municipal apps as `kumiki-app/1` packages in
`apps-examples/templates/<slug>/app.json`, each with a picture (`icon.svg`).

Deterministic (a fixed seed per template) and fictitious: names are random combinations of family and given
names, e-mail addresses are under example.lg.jp, the city is the made-up みどり市. Run from the repository
root: `python3 apps-examples/tools/templates.py`. 相談案件管理, 文書収受簿 and 職員名簿 of the gallery are
the example apps of `apps-examples/` (generate.py), not generated here.
"""

import datetime as dt
import json
import os
import random

import template_pictures

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "templates")

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田",
            "佐々木", "山口", "松本", "井上", "木村", "林", "清水", "山崎", "森", "池田", "橋本", "阿部",
            "石川", "前田", "藤田", "小川", "岡田", "後藤", "長谷川", "村上", "近藤", "坂本", "遠藤", "青木"]
GIVEN = ["翔太", "大輔", "健一", "拓也", "直樹", "誠", "亮", "浩二", "陽介", "和也", "美咲", "陽子",
         "裕子", "真由美", "恵", "彩", "由美", "智子", "愛", "明美", "春香", "優子", "千尋", "沙織"]
DEPTS = ["総務課", "企画政策課", "財政課", "税務課", "市民課", "福祉課", "子育て支援課", "健康推進課",
         "環境課", "建設課", "上下水道課", "教育総務課", "危機管理課"]


def name(r):
    return r.choice(SURNAMES) + " " + r.choice(GIVEN)


# ---- field builders (kintone's app/form/fields.json shape) ----

def opts(values):
    return {v: {"label": v, "index": str(i)} for i, v in enumerate(values)}


def text(code, required=False, unique=False):
    return {"type": "SINGLE_LINE_TEXT", "code": code, "label": code, "noLabel": False, "required": required,
            "unique": unique, "minLength": "", "maxLength": "", "expression": "", "hideExpression": False,
            "defaultValue": ""}


def mtext(code, required=False):
    return {"type": "MULTI_LINE_TEXT", "code": code, "label": code, "noLabel": False, "required": required,
            "defaultValue": ""}


def num(code, unit="", required=False, minv="", maxv="", scale=""):
    return {"type": "NUMBER", "code": code, "label": code, "noLabel": False, "required": required,
            "unique": False, "minValue": minv, "maxValue": maxv, "digit": unit == "円",
            "displayScale": scale, "unit": unit, "unitPosition": "AFTER", "defaultValue": ""}


def date(code, required=False, now=False):
    return {"type": "DATE", "code": code, "label": code, "noLabel": False, "required": required,
            "unique": False, "defaultValue": "", "defaultNowValue": now}


def datetime_(code, required=False):
    return {"type": "DATETIME", "code": code, "label": code, "noLabel": False, "required": required,
            "unique": False, "defaultValue": "", "defaultNowValue": True}


def time_(code, required=False):
    return {"type": "TIME", "code": code, "label": code, "noLabel": False, "required": required,
            "defaultValue": "", "defaultNowValue": False}


def dd(code, values, required=False):
    return {"type": "DROP_DOWN", "code": code, "label": code, "noLabel": False, "required": required,
            "options": opts(values), "defaultValue": ""}


def radio(code, values, default=None):
    return {"type": "RADIO_BUTTON", "code": code, "label": code, "noLabel": False, "required": True,
            "options": opts(values), "defaultValue": default or values[0], "align": "HORIZONTAL"}


def check(code, values):
    return {"type": "CHECK_BOX", "code": code, "label": code, "noLabel": False, "required": False,
            "options": opts(values), "defaultValue": [], "align": "HORIZONTAL"}


def calc(code, expression, unit="", scale=""):
    return {"type": "CALC", "code": code, "label": code, "noLabel": False, "required": False,
            "expression": expression, "hideExpression": False, "format": "NUMBER_DIGIT",
            "displayScale": scale, "unit": unit, "unitPosition": "AFTER"}


def mail(code):
    return {"type": "LINK", "code": code, "label": code, "noLabel": False, "required": False, "unique": False,
            "minLength": "", "maxLength": "", "protocol": "MAIL", "defaultValue": ""}


def user(code):
    return {"type": "USER_SELECT", "code": code, "label": code, "noLabel": False, "required": False,
            "entities": [], "defaultValue": []}


def sub(code, fields):
    return {"type": "SUBTABLE", "code": code, "label": code, "noLabel": False,
            "fields": {f["code"]: f for f in fields}}


WIDTH = {"MULTI_LINE_TEXT": "600", "SUBTABLE": "", "SINGLE_LINE_TEXT": "240", "LINK": "260"}


def layout_of(rows):
    """`rows`: lists of fields shown side by side; a subtable stands alone in its row."""
    out = []
    for row in rows:
        if len(row) == 1 and row[0]["type"] == "SUBTABLE":
            t = row[0]
            out.append({"type": "SUBTABLE", "code": t["code"], "fields": [
                {"type": f["type"], "code": f["code"], "size": {"width": WIDTH.get(f["type"], "140")}}
                for f in t["fields"].values()]})
            continue
        out.append({"type": "ROW", "fields": [
            {"type": f["type"], "code": f["code"], "size": {"width": WIDTH.get(f["type"], "160")}}
            for f in row]})
    return out


def view(name, fields, sort, cond="", index=0):
    return {"type": "LIST", "name": name, "index": str(index), "fields": fields, "filterCond": cond,
            "sort": sort}


def chart(name, ctype, groups, aggs=None, index=0, per=None, sorts=None):
    gs = [{"code": g} for g in groups]
    if per:
        gs[0]["per"] = per
    return {"chartType": ctype, "chartMode": "NORMAL", "name": name, "index": str(index), "groups": gs,
            "aggregations": aggs or [{"type": "COUNT"}], "filterCond": "",
            "sorts": sorts or [{"by": "TOTAL", "order": "DESC"}]}


def process(states, actions):
    return {"enable": True,
            "states": {s: {"name": s, "index": str(i), "assignee": {"type": "ONE", "entities": []}}
                       for i, s in enumerate(states)},
            "actions": [{"name": n, "from": f, "to": t, "filterCond": ""} for n, f, t in actions]}


def v(x):
    return {"value": x}


def table(rows):
    return {"value": [{"value": {k: v(x) for k, x in row.items()}} for row in rows]}


def day(r, start, span):
    return (start + dt.timedelta(days=r.randrange(span))).isoformat()


def role_entity(kind, role):
    return {"type": {"department": "ORGANIZATION", "group": "GROUP", "user": "USER"}[kind], "role": role}


def with_role(p, role, kind, hint, code, states, actions):
    """Gives a template a role (mapped to a local department/group when the app is created): the
    role's members handle the records (every record right), are the assignees of `states` and the
    only ones who may run `actions` (the first status takes no assignee, so its actions say who);
    the creator manages the app; everyone else may view and add."""
    p["roles"] = [{"role": role, "kind": kind, "hint": hint, "code": code}]
    ent = role_entity(kind, role)
    for s in states:
        p["process"]["states"][s]["assignee"] = {"type": "ANY", "entities": [
            {"entity": ent, "includeSubs": False}]}
    for a in p["process"]["actions"]:
        if a["name"] in actions:
            a["executableUser"] = {"entities": [{"entity": ent, "includeSubs": False}]}
    rights = dict(recordViewable=True, recordAddable=True, recordEditable=True, recordDeletable=True,
                  recordImportable=True, recordExportable=True)
    p["acl"] = {"app": [
        dict({"entity": {"type": "CREATOR", "code": None}, "includeSubs": False, "appEditable": True},
             **rights),
        dict({"entity": ent, "includeSubs": False, "appEditable": False}, **rights),
        {"entity": {"type": "GROUP", "code": "everyone"}, "includeSubs": False, "appEditable": False,
         "recordViewable": True, "recordAddable": True, "recordEditable": False, "recordDeletable": False,
         "recordImportable": False, "recordExportable": False}]}
    return p


def package(slug, name, description, rows, views, records, reports=None, proc=None, actions=None,
            title=None, icon="chart"):
    props = {}
    for row in rows:
        for f in row:
            props[f["code"]] = f
    p = {"format": "kumiki-app/1",
         "app": {"name": name, "code": "", "description": description},
         "properties": props,
         "layout": layout_of(rows),
         "views": {vw["name"]: dict(vw, index=str(i)) for i, vw in enumerate(views)},
         "settings": {"theme": "WHITE", "icon": {"type": "PRESET", "key": icon},
                      "titleField": {"selectionMode": "MANUAL", "code": title or rows[0][0]["code"]}}}
    if proc:
        p["process"] = proc
    if reports:
        p["reports"] = {c["name"]: dict(c, index=str(i)) for i, c in enumerate(reports)}
    if actions:
        p["statusActions"] = actions
    p["records"] = records
    return p


# ---- the twelve templates ----

def equipment_loans():
    r = random.Random(1701)
    items = ["ノートPC", "プロジェクター", "デジタルカメラ", "ポータブルスピーカー", "Wi-Fiルーター", "ホワイトボード",
             "折りたたみテーブル", "テント", "拡声器", "タブレット"]
    f = dict(no=text("貸出番号", True, True), day=date("申請日", True, True), who=text("申請者", True),
             dept=dd("所属課", DEPTS, True), item=dd("備品", items, True), qty=num("数量", "台", True, "1", "20"),
             out=date("貸出日", True), due=date("返却予定日", True), back=date("返却日"),
             use=mtext("用途"), note=mtext("備考"))
    rows = [[f["no"], f["day"], f["dept"], f["who"]], [f["item"], f["qty"]],
            [f["out"], f["due"], f["back"]], [f["use"]], [f["note"]]]
    uses = ["住民説明会で使用", "出張先での打合せ", "地区のイベントの受付", "研修会の記録撮影", "防災訓練の会場設営",
            "窓口のオンライン相談", "現地調査の記録"]
    records, actions = [], []
    start = dt.date(2026, 4, 1)
    for i in range(30):
        d = start + dt.timedelta(days=i * 7 + r.randrange(5))
        out = d + dt.timedelta(days=r.randrange(1, 6))
        due = out + dt.timedelta(days=r.randrange(1, 8))
        stage = 2 if i < 20 else (1 if i < 26 else r.choice([0, 3]))
        rec = {"貸出番号": v(f"R8-貸-{i + 1:03d}"), "申請日": v(d.isoformat()), "申請者": v(name(r)),
               "所属課": v(r.choice(DEPTS)), "備品": v(r.choice(items)), "数量": v(str(r.randint(1, 3))),
               "貸出日": v(out.isoformat()), "返却予定日": v(due.isoformat()),
               "返却日": v(due.isoformat() if stage == 2 else ""), "用途": v(r.choice(uses)), "備考": v("")}
        records.append(rec)
        actions.append([[], ["貸し出す"], ["貸し出す", "返却を確認する"], ["却下する"]][stage])
    proc = process(["申請", "貸出中", "返却済", "却下"],
                   [("貸し出す", "申請", "貸出中"), ("却下する", "申請", "却下"),
                    ("返却を確認する", "貸出中", "返却済")])
    cols = ["貸出番号", "申請日", "所属課", "申請者", "備品", "数量", "返却予定日", "Status"]
    p = package("equipment-loans", "備品貸出",
                   "庁内の共用備品（ノートPC、プロジェクター、テントなど）の貸出を申請・管理するアプリです。"
                   "各課の職員が申請し、管財担当が貸し出して返却を確認します。返却予定日を過ぎた貸出中の備品を一覧で確認できます。",
                   rows, [view("一覧", cols, "申請日 desc"),
                          view("貸出中", cols, "返却予定日 asc", 'Status in ("貸出中")')],
                   records, [chart("備品別の貸出件数", "BAR", ["備品"])], proc, actions, title="備品",
                   icon="box")
    return with_role(p, "管財担当", "department", "管財課", "kanzai", ["貸出中"], ["貸し出す", "却下する"])


def room_bookings():
    r = random.Random(1702)
    rooms = ["第1会議室", "第2会議室", "大会議室", "庁議室", "研修室A", "研修室B", "オンライン会議ブース"]
    f = dict(day=date("利用日", True), s=time_("開始時刻", True), e=time_("終了時刻", True),
             room=dd("会議室", rooms, True), what=text("会議名", True), who=text("予約者", True),
             dept=dd("所属課", DEPTS, True), n=num("参加人数", "人", False, "1", "200"),
             eq=check("使用設備", ["プロジェクター", "マイク", "Web会議機材", "ホワイトボード"]),
             ext=radio("外部参加者", ["なし", "あり"]), note=mtext("備考"))
    rows = [[f["day"], f["s"], f["e"], f["room"]], [f["what"]], [f["who"], f["dept"], f["n"], f["ext"]],
            [f["eq"]], [f["note"]]]
    meetings = ["課内打合せ", "庁議", "予算ヒアリング", "業者打合せ", "委員会", "新任職員研修", "住民説明会の準備",
                "システム更新の打合せ", "防災会議", "採用面接"]
    records = []
    for i in range(36):
        d = dt.date(2026, 11, 2) + dt.timedelta(days=r.randrange(40))
        if d.weekday() >= 5:
            d -= dt.timedelta(days=2)
        h = r.randint(9, 16)
        records.append({"利用日": v(d.isoformat()), "開始時刻": v(f"{h:02d}:00"),
                        "終了時刻": v(f"{min(h + r.randint(1, 2), 18):02d}:{r.choice(['00', '30'])}"),
                        "会議室": v(r.choice(rooms)), "会議名": v(r.choice(meetings)), "予約者": v(name(r)),
                        "所属課": v(r.choice(DEPTS)), "参加人数": v(str(r.randint(2, 40))),
                        "使用設備": v(r.sample(["プロジェクター", "マイク", "Web会議機材", "ホワイトボード"],
                                          r.randint(0, 2))),
                        "外部参加者": v(r.choice(["なし", "なし", "あり"])), "備考": v("")})
    cols = ["利用日", "開始時刻", "終了時刻", "会議室", "会議名", "予約者", "所属課", "参加人数"]
    return package("room-bookings", "会議室予約",
                   "庁舎の会議室・研修室の予約台帳です。職員が利用日・時間帯・会議室を登録し、"
                   "空き状況を一覧で確認します。会議室ごとの利用状況をグラフで見られるので、施設の見直しにも使えます。",
                   rows, [view("一覧", cols, "利用日 asc"),
                          view("大会議室", cols, "利用日 asc", '会議室 in ("大会議室")')],
                   records, [chart("会議室別の利用件数", "COLUMN", ["会議室"])], title="会議名", icon="calendar")


def trainings():
    r = random.Random(1703)
    courses = ["新任職員研修", "接遇研修", "情報セキュリティ研修", "文書事務研修", "財務会計研修", "メンタルヘルス研修",
               "DX推進リーダー研修", "管理職研修"]
    f = dict(no=text("申込番号", True, True), day=date("申込日", True, True), who=text("氏名", True),
             dept=dd("所属課", DEPTS, True), course=dd("研修名", courses, True),
             kind=radio("研修区分", ["階層別", "専門", "派遣"]), at=date("受講日", True),
             fee=num("受講料", "円", False, "0"), travel=num("旅費", "円", False, "0"),
             total=calc("費用合計", "受講料 + 旅費", "円"), mail=mail("メールアドレス"), why=mtext("受講の目的"))
    rows = [[f["no"], f["day"]], [f["who"], f["dept"], f["mail"]], [f["course"], f["kind"], f["at"]],
            [f["fee"], f["travel"], f["total"]], [f["why"]]]
    records, actions = [], []
    for i in range(32):
        course = r.choice(courses)
        d = dt.date(2026, 4, 10) + dt.timedelta(days=r.randrange(200))
        kind = "階層別" if course in ("新任職員研修", "管理職研修") else ("派遣" if "DX" in course else "専門")
        fee = 0 if kind != "派遣" else 15000
        travel = 0 if kind != "派遣" else r.choice([3200, 5800, 12400])
        sur, giv = r.choice(SURNAMES), r.choice(GIVEN)
        records.append({"申込番号": v(f"R8-研-{i + 1:03d}"), "申込日": v(d.isoformat()), "氏名": v(f"{sur} {giv}"),
                        "所属課": v(r.choice(DEPTS)), "メールアドレス": v(f"staff{i + 1:03d}@city.example.lg.jp"),
                        "研修名": v(course), "研修区分": v(kind),
                        "受講日": v((d + dt.timedelta(days=r.randint(14, 40))).isoformat()),
                        "受講料": v(str(fee)), "旅費": v(str(travel)),
                        "受講の目的": v(r.choice(["業務に必要な知識を身につけるため。", "所属長の推薦による。",
                                             "課内で研修内容を共有するため。"]))})
        stage = 2 if i < 18 else (1 if i < 27 else r.choice([0, 3]))
        actions.append([[], ["承認する"], ["承認する", "受講を報告する"], ["取り下げる"]][stage])
    proc = process(["申込", "所属長承認済", "受講済", "取下げ"],
                   [("承認する", "申込", "所属長承認済"), ("取り下げる", "申込", "取下げ"),
                    ("受講を報告する", "所属長承認済", "受講済")])
    cols = ["申込番号", "申込日", "氏名", "所属課", "研修名", "受講日", "費用合計", "Status"]
    return package("training-applications", "研修申込",
                   "職員研修の受講申込と所属長の承認、受講の報告を管理するアプリです。職員が申し込み、"
                   "所属長が承認し、人事担当が研修ごとの受講者と費用を集計します。",
                   rows, [view("一覧", cols, "申込日 desc"),
                          view("承認待ち", cols, "申込日 asc", 'Status in ("申込")')],
                   records, [chart("研修別の申込者数", "BAR", ["研修名"]),
                             chart("研修区分別の費用", "PIE", ["研修区分"],
                                   [{"type": "SUM", "code": "費用合計"}], 1)],
                   proc, actions, title="研修名", icon="school")


def inquiries():
    r = random.Random(1704)
    kinds = ["税・保険", "住民票・戸籍", "子育て", "福祉・介護", "ごみ・環境", "道路・公園", "防災", "その他"]
    f = dict(no=text("受付番号", True, True), at=datetime_("受付日時", True),
             how=dd("受付方法", ["電話", "メール", "窓口", "問い合わせフォーム"], True),
             who=text("問い合わせ者"), mail=mail("連絡先メール"), kind=dd("分類", kinds, True),
             dept=dd("担当課", DEPTS, True), what=text("件名", True), body=mtext("内容", True),
             answer=mtext("回答内容"), person=user("対応者"))
    rows = [[f["no"], f["at"], f["how"]], [f["who"], f["mail"]], [f["kind"], f["dept"], f["person"]],
            [f["what"]], [f["body"]], [f["answer"]]]
    topics = {"税・保険": ("国民健康保険税の納付方法", "口座振替への変更方法を知りたい。"),
              "住民票・戸籍": ("住民票の写しの郵送請求", "遠方に住んでいるため郵送で請求したい。"),
              "子育て": ("保育園の入所申込", "年度途中の入所申込の締切を知りたい。"),
              "福祉・介護": ("介護保険の認定申請", "親の介護認定の申請に必要な書類を知りたい。"),
              "ごみ・環境": ("粗大ごみの出し方", "ソファを処分したい。申込方法と料金は。"),
              "道路・公園": ("市道の陥没", "自宅前の市道に穴が開いている。"),
              "防災": ("避難所の場所", "最寄りの指定避難所と開設の連絡方法を知りたい。"),
              "その他": ("職員の対応について", "窓口での説明が分かりやすかった。")}
    records, actions = [], []
    for i in range(40):
        kind = r.choice(kinds)
        when = dt.datetime(2026, 9, 1, 0, 0) + dt.timedelta(days=r.randrange(90), hours=r.randint(0, 8),
                                                          minutes=r.choice([0, 15, 30, 45]))
        subject, body = topics[kind]
        has_mail = r.random() < 0.5
        stage = 3 if i < 24 else (2 if i < 30 else (1 if i < 36 else 0))
        records.append({"受付番号": v(f"Q-{i + 1:04d}"), "受付日時": v(when.strftime("%Y-%m-%dT%H:%M:00Z")),
                        "受付方法": v("メール" if has_mail else r.choice(["電話", "窓口", "問い合わせフォーム"])),
                        "問い合わせ者": v(name(r)),
                        "連絡先メール": v(f"resident{i + 1:03d}@mail.example.lg.jp" if has_mail else ""),
                        "分類": v(kind), "担当課": v(r.choice(DEPTS)), "件名": v(subject), "内容": v(body),
                        "回答内容": v("担当課から回答しました。" if stage >= 2 else ""), "対応者": v([])})
        actions.append([[], ["対応を始める"], ["対応を始める", "回答する"],
                        ["対応を始める", "回答する", "完了する"]][stage])
    proc = process(["新規", "対応中", "回答済", "完了"],
                   [("対応を始める", "新規", "対応中"), ("回答する", "対応中", "回答済"),
                    ("完了する", "回答済", "完了")])
    cols = ["受付番号", "受付日時", "受付方法", "分類", "担当課", "件名", "Status"]
    p = package("inquiries", "問い合わせ管理",
                   "住民や事業者からの電話・メール・窓口での問い合わせを記録し、担当課への引継ぎから回答、完了までを管理するアプリです。"
                   "コールセンターや各課の窓口担当が使い、よくある問い合わせの傾向を分類別・月別のグラフで確認できます。",
                   rows, [view("一覧", cols, "受付日時 desc"),
                          view("未完了", cols, "受付日時 asc", 'Status not in ("完了")')],
                   records, [chart("分類別の件数", "PIE", ["分類"]),
                             chart("月別の受付件数", "COLUMN", ["受付日時"], None, 1, "MONTH",
                                   [{"by": "GROUP1", "order": "ASC"}])],
                   proc, actions, title="件名", icon="phone")
    return with_role(p, "問い合わせ担当", "group", "問い合わせ担当", "inquiry-desk", ["対応中", "回答済"],
                     ["対応を始める"])


def minutes():
    r = random.Random(1705)
    kinds = ["庁議", "部長会議", "課内会議", "プロジェクト会議", "審議会", "住民説明会"]
    f = dict(what=text("会議名", True), day=date("開催日", True, True), s=time_("開始時刻"), e=time_("終了時刻"),
             kind=dd("会議区分", kinds, True), place=text("場所"), writer=text("記録者"),
             agenda=mtext("議題", True), decided=mtext("決定事項"), todo=mtext("宿題事項"),
             att=sub("出席者", [text("出席者氏名"), text("所属"),
                              dd("出欠", ["出席", "欠席", "オンライン"]),
                              calc("出席数", 'IF(出欠="欠席", 0, 1)')]),
             count=calc("出席者数", "SUM(出席数)", "人"))
    rows = [[f["what"], f["kind"]], [f["day"], f["s"], f["e"], f["place"]], [f["att"]], [f["count"], f["writer"]],
            [f["agenda"]], [f["decided"]], [f["todo"]]]
    topics = [("令和9年度予算編成方針", "予算編成の基本方針を確認した。", "各部は12月末までに要求書を提出する。"),
              ("庁舎の省エネルギー対策", "照明のLED化を来年度に行う。", "財政課が費用を試算する。"),
              ("窓口のキャッシュレス決済", "3課で試行することとした。", "市民課が導入スケジュールを作成する。"),
              ("防災訓練の実施計画", "11月の訓練を全庁で行う。", "危機管理課が参集手順を周知する。"),
              ("文書管理システムの更新", "仕様書の案を了承した。", "総務課が意見照会を行う。")]
    records = []
    for i in range(20):
        t = r.choice(topics)
        d = dt.date(2026, 4, 6) + dt.timedelta(days=i * 10 + r.randrange(3))
        people = [{"出席者氏名": name(r), "所属": r.choice(DEPTS),
                   "出欠": r.choice(["出席", "出席", "出席", "欠席", "オンライン"])} for _ in range(r.randint(3, 8))]
        h = r.randint(9, 15)
        records.append({"会議名": v(f"第{i + 1}回 {r.choice(kinds)}"), "会議区分": v(r.choice(kinds)),
                        "開催日": v(d.isoformat()), "開始時刻": v(f"{h:02d}:00"), "終了時刻": v(f"{h + 1:02d}:30"),
                        "場所": v(r.choice(["第1会議室", "大会議室", "庁議室", "オンライン"])), "記録者": v(name(r)),
                        "出席者": table(people), "議題": v(t[0]), "決定事項": v(t[1]), "宿題事項": v(t[2])})
    cols = ["開催日", "会議名", "会議区分", "場所", "出席者数", "議題"]
    return package("meeting-minutes", "議事録",
                   "庁内の会議の議事録を残すアプリです。会議ごとに出席者（表）、議題、決定事項、宿題事項を記録し、"
                   "出席者数は自動で数えます。会議の主催課の職員が記録し、関係者が決定事項を検索して確認します。",
                   rows, [view("一覧", cols, "開催日 desc"),
                          view("庁議", cols, "開催日 desc", '会議区分 in ("庁議")')],
                   records, title="会議名", icon="documents")


def construction():
    r = random.Random(1706)
    kinds = ["道路改良", "橋梁補修", "舗装", "上水道管布設替", "下水道", "公園整備", "学校施設改修"]
    f = dict(no=text("工事番号", True, True), what=text("工事名", True), kind=dd("工事種別", kinds, True),
             place=text("工事場所"), dept=dd("担当課", ["建設課", "上下水道課", "教育総務課", "環境課"], True),
             firm=text("請負業者", True), signed=date("契約日", True), start=date("着工日"), end=date("竣工予定日"),
             amount=num("契約金額", "円", True, "0"),
             stage=dd("進捗", ["契約済", "施工中", "完成検査済", "完了"], True),
             pay=sub("支払", [date("支払日"), dd("支払区分", ["前払金", "中間前払金", "部分払", "完成払"]),
                            num("支払額", "円", False, "0")]),
             paid=calc("支払済額", "SUM(支払額)", "円"), left=calc("未払額", "契約金額 - 支払済額", "円"),
             note=mtext("備考"))
    rows = [[f["no"], f["kind"], f["dept"]], [f["what"]], [f["place"], f["firm"]],
            [f["signed"], f["start"], f["end"], f["stage"]], [f["amount"], f["paid"], f["left"]], [f["pay"]],
            [f["note"]]]
    firms = ["みどり建設株式会社", "有限会社青葉土木", "若葉工業株式会社", "株式会社ひばり舗装", "さくら設備工業株式会社"]
    areas = ["中央一丁目", "東町", "西ケ丘", "南原", "北山", "本町三丁目", "若葉台"]
    records = []
    for i in range(24):
        kind = r.choice(kinds)
        signed = dt.date(2026, 4, 15) + dt.timedelta(days=r.randrange(150))
        amount = r.randrange(300, 9000) * 10000
        stage = r.choice(["契約済", "施工中", "施工中", "完成検査済", "完了"])
        pays = [{"支払日": (signed + dt.timedelta(days=20)).isoformat(), "支払区分": "前払金",
                 "支払額": str(amount * 4 // 10)}]
        if stage in ("完成検査済", "完了"):
            pays.append({"支払日": (signed + dt.timedelta(days=150)).isoformat(), "支払区分": "完成払",
                         "支払額": str(amount - amount * 4 // 10)})
        elif stage == "施工中" and r.random() < 0.5:
            pays.append({"支払日": (signed + dt.timedelta(days=90)).isoformat(), "支払区分": "中間前払金",
                         "支払額": str(amount * 2 // 10)})
        area = r.choice(areas)
        records.append({"工事番号": v(f"R8-工-{i + 1:03d}"), "工事名": v(f"{area}地内 {kind}工事"),
                        "工事種別": v(kind), "工事場所": v(f"みどり市{area}地内"),
                        "担当課": v("上下水道課" if "水道" in kind else ("教育総務課" if "学校" in kind else "建設課")),
                        "請負業者": v(r.choice(firms)), "契約日": v(signed.isoformat()),
                        "着工日": v((signed + dt.timedelta(days=10)).isoformat()),
                        "竣工予定日": v((signed + dt.timedelta(days=r.randint(90, 200))).isoformat()),
                        "契約金額": v(str(amount)), "進捗": v(stage), "支払": table(pays), "備考": v("")})
    cols = ["工事番号", "工事名", "工事種別", "請負業者", "契約金額", "支払済額", "未払額", "進捗"]
    return package("construction-ledger", "工事台帳",
                   "市が発注した工事の台帳です。契約金額、工期、進捗と、前払金・部分払・完成払の支払の履歴（表）を記録し、"
                   "支払済額と未払額を自動で計算します。建設課・上下水道課などの工事担当と、契約・会計の担当が使います。",
                   rows, [view("一覧", cols, "契約日 desc"),
                          view("施工中", cols, "竣工予定日 asc", '進捗 in ("施工中")')],
                   records, [chart("工事種別ごとの契約金額", "BAR", ["工事種別"],
                                   [{"type": "SUM", "code": "契約金額"}])], title="工事名", icon="tools")


def subsidies():
    r = random.Random(1707)
    kinds = ["住宅リフォーム補助金", "創業支援補助金", "地域活動支援補助金", "省エネ設備導入補助金", "空き家改修補助金"]
    f = dict(no=text("申請番号", True, True), day=date("申請日", True, True), kind=dd("補助金名", kinds, True),
             who=text("申請者", True), rep=text("代表者"), addr=text("住所"), tel=text("電話番号"),
             mail=mail("メールアドレス"),
             lines=sub("経費内訳", [dd("経費区分", ["工事費", "設備費", "備品購入費", "委託費", "広報費", "その他"]),
                                  text("経費の内容"), num("金額", "円", False, "0")]),
             base=calc("補助対象経費", "SUM(金額)", "円"), rate=num("補助率", "%", True, "0", "100"),
             grant=calc("補助金額", "ROUNDDOWN(補助対象経費 * 補助率 / 100, -3)", "円"),
             note=mtext("審査メモ"))
    rows = [[f["no"], f["day"], f["kind"]], [f["who"], f["rep"]], [f["addr"], f["tel"], f["mail"]], [f["lines"]],
            [f["base"], f["rate"], f["grant"]], [f["note"]]]
    things = {"工事費": ["外壁改修工事", "断熱改修工事", "店舗内装工事"], "設備費": ["高効率給湯器", "太陽光発電設備", "LED照明"],
              "備品購入費": ["テント", "音響機器", "厨房機器"], "委託費": ["ホームページ制作", "設計委託"],
              "広報費": ["チラシ印刷", "ポスター制作"], "その他": ["消耗品"]}
    orgs = ["青葉町自治会", "若葉台まちづくり協議会", "ひばり商店会", "NPO法人みどりの森", "中央地区子ども会育成会"]
    records, actions = [], []
    for i in range(30):
        kind = r.choice(kinds)
        d = dt.date(2026, 5, 1) + dt.timedelta(days=r.randrange(180))
        lines = []
        for _ in range(r.randint(1, 4)):
            cat = r.choice(list(things))
            lines.append({"経費区分": cat, "経費の内容": r.choice(things[cat]),
                          "金額": str(r.randrange(5, 120) * 10000)})
        applicant = r.choice(orgs) if kind == "地域活動支援補助金" else name(r)
        stage = 4 if i < 10 else (3 if i < 16 else (2 if i < 22 else (1 if i < 27 else r.choice([0, 5]))))
        records.append({"申請番号": v(f"R8-補-{i + 1:03d}"), "申請日": v(d.isoformat()), "補助金名": v(kind),
                        "申請者": v(applicant), "代表者": v(name(r) if applicant in orgs else ""),
                        "住所": v(f"みどり市{r.choice(['中央', '東町', '西ケ丘', '南原'])}{r.randint(1, 5)}-{r.randint(1, 30)}"),
                        "電話番号": v(f"0000-{r.randint(10, 99)}-{r.randint(1000, 9999)}"),
                        "メールアドレス": v(f"applicant{i + 1:03d}@mail.example.lg.jp"), "経費内訳": table(lines),
                        "補助率": v(str(r.choice([50, 50, 33, 100]))), "審査メモ": v("")})
        actions.append([[], ["審査を始める"], ["審査を始める", "交付を決定する"],
                        ["審査を始める", "交付を決定する", "実績報告を受理する"],
                        ["審査を始める", "交付を決定する", "実績報告を受理する", "完了する"],
                        ["審査を始める", "不交付とする"]][stage])
    proc = process(["受付", "審査中", "交付決定", "実績報告済", "完了", "不交付"],
                   [("審査を始める", "受付", "審査中"), ("交付を決定する", "審査中", "交付決定"),
                    ("不交付とする", "審査中", "不交付"), ("実績報告を受理する", "交付決定", "実績報告済"),
                    ("完了する", "実績報告済", "完了")])
    cols = ["申請番号", "申請日", "補助金名", "申請者", "補助対象経費", "補助金額", "Status"]
    return package("subsidy-applications", "補助金申請",
                   "住民・事業者・団体からの補助金の申請を、受付・審査・交付決定・実績報告・完了まで管理するアプリです。"
                   "経費内訳（表）から補助対象経費を合計し、補助率から補助金額（千円未満切捨て）を計算します。"
                   "補助金の担当課が使い、補助金ごとの交付額をグラフで確認できます。",
                   rows, [view("一覧", cols, "申請日 desc"),
                          view("審査中", cols, "申請日 asc", 'Status in ("受付", "審査中")')],
                   records, [chart("補助金別の申請件数", "PIE", ["補助金名"]),
                             chart("状態別の補助金額", "BAR", ["Status"],
                                   [{"type": "SUM", "code": "補助金額"}], 1)],
                   proc, actions, title="申請者", icon="money")


SELF_CHECK = {
    "組織体制": ["情報セキュリティ責任者を定めている", "情報セキュリティポリシーを職員に周知している",
             "インシデント発生時の連絡体制を定めている", "年1回以上、自己点検を行っている"],
    "人的対策": ["全職員が情報セキュリティ研修を受講している", "退職・異動者のアカウントを速やかに削除している",
             "委託先に守秘義務を課している", "標的型メール訓練を行っている"],
    "物理的対策": ["サーバ室の入退室を記録している", "離席時に画面をロックしている",
              "USBメモリ等の外部記録媒体を管理台帳で管理している", "書類を施錠できる場所に保管している"],
    "技術的対策": ["OS・ソフトウェアの更新を適用している", "ウイルス対策ソフトを最新にしている",
              "パスワードの使い回しを禁止している", "重要なデータのバックアップを取っている"],
    "運用": ["アクセスログを定期的に確認している", "個人情報を含むファイルにパスワード等の保護をしている",
           "クラウドサービスの利用を申請・承認制にしている", "情報資産の台帳を更新している"],
}


def security_check():
    r = random.Random(1708)
    answers = ["はい", "一部", "いいえ"]
    head = dict(year=dd("点検年度", ["令和7年度", "令和8年度"], True), dept=dd("所属課", DEPTS, True),
                who=text("点検者", True), day=date("点検日", True, True))
    items, score = [], []
    for ai, (area, qs) in enumerate(SELF_CHECK.items()):
        group = []
        for qi, q in enumerate(qs):
            code = f"{chr(65 + ai)}{qi + 1}"
            fld = radio(code, answers, "いいえ")
            fld["label"] = f"{code} {q}"
            group.append(fld)
            score.append(f'IF({code}="はい", 2, IF({code}="一部", 1, 0))')
        items.append((area, group))
    total = calc("得点", " + ".join(score), "点")
    rate = calc("達成率", f"ROUND(得点 / {len(score) * 2} * 100, 1)", "%", "1")
    level = dd("総合評価", ["A（良好）", "B（一部改善が必要）", "C（改善が必要）"])
    plan = mtext("改善計画")
    rows = [[head["year"], head["dept"], head["who"], head["day"]]]
    for _, group in items:
        rows += [[g] for g in group]
    rows += [[total, rate, level], [plan]]
    records, actions = [], []
    # Last year's checks of six departments, then this year's of every department.
    rounds = [("令和7年度", dt.date(2025, 10, 1), d) for d in DEPTS[:6]] + \
        [("令和8年度", dt.date(2026, 10, 1), d) for d in DEPTS]
    for i, (year, first, dept) in enumerate(rounds):
        rec = {"点検年度": v(year), "所属課": v(dept), "点検者": v(name(r)),
               "点検日": v((first + dt.timedelta(days=r.randrange(30))).isoformat())}
        points = 0
        skill = r.random()
        for _, group in items:
            for g in group:
                a = "はい" if r.random() < 0.45 + skill * 0.5 else r.choice(["一部", "いいえ"])
                rec[g["code"]] = v(a)
                points += {"はい": 2, "一部": 1, "いいえ": 0}[a]
        pct = points / (len(score) * 2)
        rec["総合評価"] = v("A（良好）" if pct >= 0.85 else ("B（一部改善が必要）" if pct >= 0.6 else "C（改善が必要）"))
        rec["改善計画"] = v("" if pct >= 0.85 else "年度内に未実施の項目への対策を行い、次回点検で確認する。")
        records.append(rec)
        actions.append([["提出する", "確認する"], ["提出する"], []][0 if i < 14 else (1 if i < 17 else 2)])
    proc = process(["作成中", "提出済", "確認済"],
                   [("提出する", "作成中", "提出済"), ("確認する", "提出済", "確認済")])
    # Each area in its own group of the form, as on the spreadsheet the form replaces.
    props_rows = rows
    pkg = package("security-self-check", "セキュリティ自己点検",
                  "各課が年1回行う情報セキュリティの自己点検票です（ある市の表計算ファイルの点検票をフォームにしたもの）。"
                  "組織体制・人的対策・物理的対策・技術的対策・運用の5分野20項目に「はい／一部／いいえ」で答えると、"
                  "得点と達成率を自動で計算します。各課の情報セキュリティ担当が記入して提出し、情報政策担当（CISO補佐）が確認・集計します。",
                  props_rows,
                  [view("一覧", ["点検年度", "所属課", "点検者", "点検日", "得点", "達成率", "総合評価", "Status"],
                        "所属課 asc"),
                   view("改善が必要", ["点検年度", "所属課", "点検者", "達成率", "総合評価", "改善計画"], "達成率 asc",
                        '総合評価 in ("C（改善が必要）")')],
                  records, [chart("総合評価の分布", "PIE", ["総合評価"]),
                            chart("所属課別の達成率", "BAR", ["所属課"], [{"type": "AVERAGE", "code": "達成率"}], 1)],
                  proc, actions, title="所属課", icon="shield")
    # Group labels between the areas (kintone's LABEL layout element).
    layout = [pkg["layout"][0]]
    pos = 1
    for area, group in items:
        layout.append({"type": "LABEL", "label": f"<b>{area}</b>", "size": {"width": "600"}})
        layout += pkg["layout"][pos:pos + len(group)]
        pos += len(group)
    layout += pkg["layout"][pos:]
    pkg["layout"] = layout
    return pkg


def vehicles():
    r = random.Random(1709)
    cars = ["公用車1号（軽自動車）", "公用車2号（軽自動車）", "公用車3号（普通車）", "公用車4号（ワゴン）", "電気自動車5号"]
    f = dict(day=date("運行日", True, True), car=dd("車両", cars, True), driver=text("運転者", True),
             dept=dd("所属課", DEPTS, True), dest=text("行先", True), why=text("用務"),
             s=time_("出発時刻"), e=time_("帰着時刻"), m0=num("出発時メーター", "km", True, "0"),
             m1=num("帰着時メーター", "km", True, "0"), dist=calc("走行距離", "帰着時メーター - 出発時メーター", "km"),
             fuel=num("給油量", "L", False, "0", "", "1"),
             alc=radio("アルコールチェック", ["実施済（異常なし）", "未実施"]), checker=text("確認者"), note=mtext("備考"))
    rows = [[f["day"], f["car"], f["driver"], f["dept"]], [f["dest"], f["why"]], [f["s"], f["e"]],
            [f["m0"], f["m1"], f["dist"], f["fuel"]], [f["alc"], f["checker"]], [f["note"]]]
    meter = {c: r.randint(8000, 60000) for c in cars}
    places = ["県庁", "東部支所", "みどり市民病院", "北山浄水場", "若葉台小学校", "南原地区公民館", "中央公園"]
    records = []
    d = dt.date(2026, 10, 1)
    for i in range(40):
        d += dt.timedelta(days=r.choice([0, 1, 1, 2]))
        car = r.choice(cars)
        km = r.randint(4, 80)
        h = r.randint(8, 15)
        records.append({"運行日": v(d.isoformat()), "車両": v(car), "運転者": v(name(r)), "所属課": v(r.choice(DEPTS)),
                        "行先": v(r.choice(places)), "用務": v(r.choice(["会議出席", "現地確認", "書類の受け渡し", "訪問調査"])),
                        "出発時刻": v(f"{h:02d}:{r.choice(['00', '15', '30', '45'])}"),
                        "帰着時刻": v(f"{h + r.randint(1, 3):02d}:{r.choice(['00', '15', '30', '45'])}"),
                        "出発時メーター": v(str(meter[car])), "帰着時メーター": v(str(meter[car] + km)),
                        "給油量": v(str(round(r.uniform(15, 35), 1)) if r.random() < 0.15 else ""),
                        "アルコールチェック": v("実施済（異常なし）"), "確認者": v(name(r)), "備考": v("")})
        meter[car] += km
    cols = ["運行日", "車両", "運転者", "所属課", "行先", "走行距離", "アルコールチェック"]
    return package("official-vehicles", "公用車運行記録",
                   "公用車の運行日誌です。運行ごとに運転者、行先、出発・帰着時のメーター（走行距離は自動計算）、給油量、"
                   "運転前後のアルコールチェックの実施と確認者を記録します。運転する職員が入力し、車両管理の担当が車両ごとの走行距離を確認します。",
                   rows, [view("一覧", cols, "運行日 desc"),
                          view("アルコールチェック未実施", cols, "運行日 desc", 'アルコールチェック in ("未実施")')],
                   records, [chart("車両別の走行距離", "BAR", ["車両"], [{"type": "SUM", "code": "走行距離"}])],
                   title="行先", icon="truck")


def counter_visitors():
    r = random.Random(1710)
    desks = ["市民課 住民票・戸籍", "市民課 マイナンバーカード", "税務課 証明", "福祉課 相談", "子育て支援課", "総合案内"]
    purposes = ["証明書の取得", "届出", "申請", "相談", "問い合わせ", "その他"]
    f = dict(at=datetime_("来庁日時", True), desk=dd("窓口", desks, True), what=dd("用件", purposes, True),
             who=radio("来庁者区分", ["本人", "代理人", "事業者"]), n=num("人数", "人", False, "1", "20"),
             wait=num("待ち時間", "分", False, "0"), serve=num("対応時間", "分", False, "0"),
             total=calc("所要時間", "待ち時間 + 対応時間", "分"), staff=text("対応職員"),
             lang=radio("通訳・配慮", ["なし", "外国語対応", "手話・筆談", "その他の配慮"]), note=mtext("備考"))
    rows = [[f["at"], f["desk"], f["what"]], [f["who"], f["n"], f["lang"]], [f["wait"], f["serve"], f["total"]],
            [f["staff"]], [f["note"]]]
    records = []
    for i in range(40):
        at = dt.datetime(2026, 11, 2, 0, 0) + dt.timedelta(days=r.randrange(25), hours=r.randint(0, 7),
                                                          minutes=r.randrange(0, 60, 5))
        records.append({"来庁日時": v(at.strftime("%Y-%m-%dT%H:%M:00Z")), "窓口": v(r.choice(desks)),
                        "用件": v(r.choice(purposes)), "来庁者区分": v(r.choice(["本人", "本人", "本人", "代理人", "事業者"])),
                        "人数": v(str(r.choice([1, 1, 1, 2, 3]))), "待ち時間": v(str(r.randint(0, 45))),
                        "対応時間": v(str(r.randint(3, 40))), "対応職員": v(name(r)),
                        "通訳・配慮": v(r.choice(["なし"] * 8 + ["外国語対応", "手話・筆談"])), "備考": v("")})
    cols = ["来庁日時", "窓口", "用件", "来庁者区分", "人数", "待ち時間", "対応時間", "所要時間"]
    return package("counter-visitors", "窓口来庁者記録",
                   "窓口に来た住民の用件、待ち時間、対応時間を記録するアプリです（来庁者の氏名は記録しません）。"
                   "窓口の職員が対応のたびに入力し、窓口ごとの混雑や時間帯ごとの来庁者数をグラフで見て、窓口の配置や"
                   "書かない窓口の検討に使います。",
                   rows, [view("一覧", cols, "来庁日時 desc"),
                          view("待ち時間30分以上", cols, "待ち時間 desc", "待ち時間 >= 30")],
                   records, [chart("窓口別の来庁件数", "BAR", ["窓口"]),
                             chart("用件の内訳", "PIE", ["用件"], None, 1)],
                   title="窓口", icon="people")


def events():
    r = random.Random(1711)
    kinds = ["講演会", "健康教室", "子育てイベント", "地域まつり", "スポーツ大会", "説明会"]
    f = dict(what=text("イベント名", True), kind=dd("区分", kinds, True), dept=dd("担当課", DEPTS, True),
             day=date("開催日", True), s=time_("開始時刻"), e=time_("終了時刻"), place=text("会場"),
             cap=num("定員", "人", False, "0"), got=num("申込者数", "人", False, "0"),
             fill=calc("充足率", "IF(定員 = 0, 0, ROUND(申込者数 / 定員 * 100, 1))", "%", "1"),
             fee=num("参加費", "円", False, "0"),
             media=check("広報媒体", ["広報紙", "ホームページ", "SNS", "チラシ", "防災無線"]),
             staff=sub("役割分担", [text("担当者名"), dd("役割", ["責任者", "受付", "会場設営", "司会", "救護"])]),
             report=mtext("実施報告"))
    rows = [[f["what"], f["kind"], f["dept"]], [f["day"], f["s"], f["e"], f["place"]],
            [f["cap"], f["got"], f["fill"], f["fee"]], [f["media"]], [f["staff"]], [f["report"]]]
    titles = {"講演会": "防災講演会", "健康教室": "はじめての健康ウォーキング教室", "子育てイベント": "親子ふれあい広場",
              "地域まつり": "みどり市ふるさとまつり", "スポーツ大会": "市民ソフトバレーボール大会", "説明会": "ごみ分別ルール説明会"}
    records, actions = [], []
    for i in range(18):
        kind = r.choice(kinds)
        d = dt.date(2026, 5, 10) + dt.timedelta(days=i * 14 + r.randrange(7))
        cap = r.choice([30, 50, 100, 200])
        stage = 3 if i < 9 else (2 if i < 12 else (1 if i < 15 else r.choice([0, 4])))
        got = r.randint(cap // 3, cap) if stage >= 1 else 0
        records.append({"イベント名": v(f"{titles[kind]}（第{i + 1}回）"), "区分": v(kind), "担当課": v(r.choice(DEPTS)),
                        "開催日": v(d.isoformat()), "開始時刻": v("10:00"), "終了時刻": v(r.choice(["12:00", "15:00"])),
                        "会場": v(r.choice(["市民会館 大ホール", "中央公民館", "市総合体育館", "みどり市役所 多目的室"])),
                        "定員": v(str(cap)), "申込者数": v(str(got)), "参加費": v(str(r.choice([0, 0, 500]))),
                        "広報媒体": v(r.sample(["広報紙", "ホームページ", "SNS", "チラシ", "防災無線"], r.randint(1, 3))),
                        "役割分担": table([{"担当者名": name(r), "役割": role}
                                       for role in ["責任者", "受付", "会場設営"][:r.randint(1, 3)]]),
                        "実施報告": v("予定どおり実施した。アンケートの満足度は高かった。" if stage == 3 else "")})
        actions.append([[], ["募集を始める"], ["募集を始める", "開催した"],
                        ["募集を始める", "開催した", "報告する"], ["中止する"]][stage])
    proc = process(["企画中", "募集中", "開催済", "報告済", "中止"],
                   [("募集を始める", "企画中", "募集中"), ("中止する", "企画中", "中止"), ("開催した", "募集中", "開催済"),
                    ("報告する", "開催済", "報告済")])
    cols = ["開催日", "イベント名", "区分", "担当課", "定員", "申込者数", "充足率", "Status"]
    return package("events", "イベント管理",
                   "市が主催する講演会・教室・まつりなどのイベントを、企画から募集、開催、実施報告まで管理するアプリです。"
                   "定員と申込者数から充足率を計算し、役割分担（表）で当日の担当を決めます。各課のイベント担当と広報担当が使います。",
                   rows, [view("一覧", cols, "開催日 desc"),
                          view("募集中", cols, "開催日 asc", 'Status in ("募集中")')],
                   records, [chart("区分別の申込者数", "COLUMN", ["区分"], [{"type": "SUM", "code": "申込者数"}])],
                   proc, actions, title="イベント名", icon="pin")


def mustering():
    r = random.Random(1712)
    places = ["本庁舎", "東部支所", "西部支所", "災害対策本部（本庁舎3階）", "指定避難所"]
    f = dict(event=dd("災害・訓練名", ["令和8年度 総合防災訓練（参集訓練）", "大雨警報（令和8年7月）"], True),
             at=datetime_("報告日時", True), no=text("職員番号", True), who=text("氏名", True),
             dept=dd("所属課", DEPTS, True), place=dd("参集場所", places, True),
             state=radio("参集状況", ["参集済", "参集途上", "参集不可"]), eta=time_("到着（予定）時刻"),
             means=dd("参集手段", ["徒歩", "自転車", "バイク", "自動車", "その他"]),
             harm=radio("本人の被災状況", ["被害なし", "軽微な被害", "被害あり"]),
             family=radio("家族の安否", ["全員無事", "確認中", "被害あり"]), note=mtext("連絡事項"))
    rows = [[f["event"], f["at"]], [f["no"], f["who"], f["dept"]], [f["place"], f["state"], f["eta"], f["means"]],
            [f["harm"], f["family"]], [f["note"]]]
    records = []
    for i in range(40):
        at = dt.datetime(2026, 9, 1, 0, 0) + dt.timedelta(minutes=r.randint(5, 90))
        state = r.choice(["参集済"] * 6 + ["参集途上"] * 3 + ["参集不可"])
        records.append({"災害・訓練名": v("令和8年度 総合防災訓練（参集訓練）"), "報告日時": v(at.strftime("%Y-%m-%dT%H:%M:00Z")),
                        "職員番号": v(f"{r.randint(10000, 99999)}"), "氏名": v(name(r)), "所属課": v(r.choice(DEPTS)),
                        "参集場所": v(r.choice(places)), "参集状況": v(state),
                        "到着（予定）時刻": v("" if state == "参集不可" else f"{9 + r.randint(0, 2):02d}:{r.randrange(0, 60, 5):02d}"),
                        "参集手段": v(r.choice(["徒歩", "自転車", "自動車", "バイク"])),
                        "本人の被災状況": v(r.choice(["被害なし"] * 8 + ["軽微な被害"])),
                        "家族の安否": v(r.choice(["全員無事"] * 7 + ["確認中"])),
                        "連絡事項": v("家族の通院に付き添うため参集できない。" if state == "参集不可" else "")})
    cols = ["報告日時", "氏名", "所属課", "参集場所", "参集状況", "到着（予定）時刻", "本人の被災状況"]
    return package("disaster-mustering", "災害時職員参集",
                   "災害発生時や参集訓練で、職員が自分の参集状況（参集済・参集途上・参集不可）、参集場所、到着予定時刻、"
                   "本人と家族の被災状況をスマートフォンから報告するアプリです。危機管理課と災害対策本部が、参集場所ごとの"
                   "参集状況をクロス集計表とグラフで把握します。",
                   rows, [view("一覧", cols, "報告日時 desc"),
                          view("参集不可・途上", cols, "報告日時 asc", '参集状況 in ("参集途上", "参集不可")')],
                   records, [chart("参集状況", "PIE", ["参集状況"]),
                             chart("参集場所×参集状況", "PIVOT_TABLE", ["参集場所", "参集状況"], None, 1,
                                   sorts=[{"by": "GROUP1", "order": "ASC"}, {"by": "GROUP2", "order": "ASC"}])],
                   title="氏名", icon="house")


TEMPLATES = {
    "equipment-loans": equipment_loans, "room-bookings": room_bookings, "training-applications": trainings,
    "inquiries": inquiries, "meeting-minutes": minutes, "construction-ledger": construction,
    "subsidy-applications": subsidies, "security-self-check": security_check, "official-vehicles": vehicles,
    "counter-visitors": counter_visitors, "events": events, "disaster-mustering": mustering,
}


EXAMPLES_IN_GALLERY = ["case-requests", "document-intake", "staff-roster"]


def main():
    for slug, make in TEMPLATES.items():
        pkg = make()
        folder = os.path.join(ROOT, slug)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "app.json"), "w", encoding="utf-8") as fh:
            json.dump(pkg, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        with open(os.path.join(folder, "icon.svg"), "w", encoding="utf-8") as fh:
            fh.write(template_pictures.picture(pkg))
        print(slug, len(pkg["properties"]), "fields,", len(pkg["records"]), "records")
    # The example apps that are also in the gallery get their picture beside their package.
    for slug in EXAMPLES_IN_GALLERY:
        folder = os.path.join(ROOT, "..", slug)
        with open(os.path.join(folder, "app.json"), encoding="utf-8") as fh:
            pkg = json.load(fh)
        with open(os.path.join(folder, "icon.svg"), "w", encoding="utf-8") as fh:
            fh.write(template_pictures.picture(pkg))


if __name__ == "__main__":
    main()
