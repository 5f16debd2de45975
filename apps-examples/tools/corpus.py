"""A large document-archive corpus for search tests and benchmarks (issue 5, item 7).

    python3 apps-examples/tools/generate.py --archive-corpus 5000 --out /tmp/archive-corpus [--seed 7]

Writes OUT/app.json (kumiki-app/1, the 文書書庫 app definition with N records) and OUT/files/
(a PDF, DOCX or XLSX attached to every 5th record, written locally by filegen.py). The app
definition is read from the committed apps-examples/document-archive/app.json, so the corpus always
fits the example app. Titles, bodies (administrative style), sources, departments, dates (fiscal
years 2020-2026, never after ASOF) and keywords are drawn with one seeded random.Random, so the
same N and seed give byte-identical output. All data is fictitious.
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil

import filegen
import generate as g

# 施策の対象 (subject) and its 分類; titles combine a subject with an action.
SUBJECTS = [
    ("マイナンバーカードの交付", "住民・戸籍"), ("住民基本台帳ネットワークシステム", "住民・戸籍"),
    ("戸籍情報システムの更新", "住民・戸籍"), ("印鑑登録証明事務", "住民・戸籍"),
    ("固定資産税の評価替え", "税務"), ("個人住民税の特別徴収", "税務"), ("ふるさと納税の募集", "税務"),
    ("軽自動車税の種別割", "税務"), ("普通交付税の算定", "財政"), ("公共施設等総合管理計画", "財政"),
    ("地方債の発行", "財政"), ("会計年度任用職員の任用", "人事・給与"), ("職員の時間外勤務縮減", "人事・給与"),
    ("定年引上げに伴う役職定年制", "人事・給与"), ("ハラスメント防止対策", "人事・給与"),
    ("介護保険事業計画", "福祉"), ("生活困窮者自立支援", "福祉"), ("障害福祉サービス等報酬の改定", "福祉"),
    ("地域包括支援センターの運営", "福祉"), ("特定健康診査の受診率向上", "保健・医療"),
    ("新型インフルエンザ等対策行動計画", "保健・医療"), ("予防接種事務のデジタル化", "保健・医療"),
    ("児童手当の拡充", "子育て"), ("保育所等の業務効率化", "子育て"), ("放課後児童クラブの運営", "子育て"),
    ("GIGAスクール構想の端末更新", "教育"), ("学校給食費の公会計化", "教育"), ("部活動の地域移行", "教育"),
    ("地域防災計画の修正", "防災・消防"), ("避難行動要支援者名簿", "防災・消防"), ("消防団員の処遇改善", "防災・消防"),
    ("総合防災訓練の実施", "防災・消防"), ("鳥獣被害防止対策", "農林"), ("農地中間管理事業", "農林"),
    ("森林経営管理制度", "農林"), ("空き家対策の推進", "建設・都市計画"), ("地域公共交通計画", "建設・都市計画"),
    ("道路橋りょうの点検", "建設・都市計画"), ("水道事業の広域化", "建設・都市計画"),
    ("地方公共団体情報システムの標準化", "情報システム"), ("ガバメントクラウドへの移行", "情報システム"),
    ("情報セキュリティ監査", "情報システム"), ("生成AIの利用", "情報システム"), ("LGWAN接続系の端末更新", "情報システム"),
    ("電子申請サービスの拡充", "行政改革"), ("行政手続のオンライン化", "行政改革"), ("窓口業務の改善", "行政改革"),
    ("業務改善ワークショップ", "行政改革"), ("国勢調査の実施", "統計"), ("経済センサスの実施", "統計"),
    ("人口動態統計の報告", "統計"), ("投票所のバリアフリー化", "選挙"), ("選挙人名簿の調製", "選挙"),
]
ACTIONS = {
    "通知": ["について（通知）", "に関する留意事項について（通知）", "の取扱いについて（通知）",
             "に係る制度改正について（通知）", "の実施について（通知）"],
    "事務連絡": ["に関する照会について", "に係る説明会の開催について", "に関する資料の送付について",
                 "に係る提出期限の延長について", "に関する事例集の送付について"],
    "要綱": ["事務取扱要綱", "に関する補助金交付要綱", "実施要領", "事務処理要領"],
    "マニュアル": ["事務マニュアル", "操作マニュアル", "に関する手引き", "の運用ガイドライン"],
    "回答": ["に関する調査", "の実施状況調査", "に係る意向調査"],
}
DEPARTMENTS = ["市町村課 行政係", "市町村課 財政係", "市町村課 税務係", "DX推進課 基盤係", "危機管理防災課",
               "健康福祉政策課", "こども若者局 こども家庭課", "教育政策課", "農業政策課", "都市・まちづくり課",
               "人事課 給与係", "統計課", "選挙管理委員会事務局"]
SENTENCES = [
    "{subject}について、関係法令の改正に伴い取扱いの一部を見直しました。",
    "{subject}に係る事務の見直しを行い、別添のとおり取りまとめました。",
    "{fy}における{subject}の実施状況を調査した結果、{muni}をはじめ{n}団体で取組が進んでいます。",
    "{subject}に関して、各団体から寄せられた質問と回答を整理しました。",
    "{muni}の先行事例では、{subject}により事務処理時間が約{pct}%削減されました。",
    "つきましては、{deadline}までに、所定の様式により電子メールで提出してください。",
    "なお、{subject}に要する経費については、特別交付税措置の対象となる見込みです。",
    "本件については、{date}に開催する説明会（オンライン併用）において詳細を説明します。",
    "市町村における{subject}の推進に当たっては、住民への丁寧な周知に努めてください。",
    "また、システム改修が必要となる団体においては、ベンダーと早期に調整を開始してください。",
    "{subject}の対象となる世帯数は、県内で約{count}世帯と見込まれています。",
    "個人情報の取扱いについては、個人情報の保護に関する法律に基づき適切に管理してください。",
    "詳細は別紙「{subject}に関するQ&A」を参照してください。",
    "KINTONEの調査照会アプリで回答を受け付けます。ﾃﾞｰﾀの入力方法は操作マニュアルを参照してください。",
]
KEYWORDS = ["通知", "照会", "回答", "補助金", "様式", "説明会", "制度改正", "システム", "スケジュール",
            "留意事項", "Q&A", "先行事例", "経費", "研修", "報告", "提出", "期限", "周知"]


def _date(rng, fy):
    day = dt.date(fy, 4, 1) + dt.timedelta(days=rng.randint(0, 364))
    return g.workday(day)


def _detail(rng, subject, d):
    picks = rng.sample(SENTENCES, rng.randint(3, 6))
    fill = {
        "subject": subject, "fy": g.nendo(g.fiscal_year(d)), "muni": rng.choice(g.MUNI_NAMES),
        "n": rng.randint(3, 77), "pct": rng.randint(10, 60), "count": rng.randint(2, 90) * 100,
        "deadline": g.wareki(g.workday(d + dt.timedelta(days=rng.randint(14, 45)))),
        "date": g.wareki(g.workday(d + dt.timedelta(days=rng.randint(7, 30)))),
    }
    return "".join(s.format(**fill) for s in picks)


def _attachment(out, fname, display, kind, rng, full, body, footer, subject):
    path = os.path.join(out, "files", fname)
    if kind == "pdf":
        filegen.write_pdf(path, full, body, footer)
    elif kind == "docx":
        filegen.write_docx(path, full, body.split("\n") + ["", footer])
    else:
        rows = [["団体名", "担当課", "%sの状況" % subject[:20], "件数", "備考"]]
        for m in rng.sample(g.MUNI_NAMES, rng.randint(10, 40)):
            rows.append([m, rng.choice(g.MUNI_DEPTS), rng.choice(["実施済", "検討中", "未着手"]),
                         rng.randint(0, 500), rng.choice(["", "", "県に相談中", "令和8年度実施予定"])])
        filegen.write_xlsx(path, "集計表", rows)
    return {"path": "files/" + fname, "name": display, "contentType": filegen.CONTENT_TYPES[kind]}


def build_corpus(n, out, seed):
    rng = random.Random(seed)
    with open(os.path.join(g.ROOT, "document-archive", "app.json"), encoding="utf-8") as f:
        example = json.load(f)
    if os.path.isdir(os.path.join(out, "files")):
        shutil.rmtree(os.path.join(out, "files"))
    os.makedirs(os.path.join(out, "files"))
    width = max(4, len(str(n)))
    records, seq = [], {}
    dates = []
    for _ in range(n):
        d = _date(rng, rng.randint(2020, 2026))
        while d > g.ASOF:
            d = _date(rng, rng.randint(2020, 2025))
        dates.append(d)
    dates.sort()  # 管理番号 then runs in date order within each fiscal year
    for i, d in enumerate(dates):
        fy = g.fiscal_year(d)
        subject, category = rng.choice(SUBJECTS)
        typ = rng.choices(g.DOC_TYPES, weights=[40, 30, 8, 7, 15])[0]
        src = rng.choice(g.SOURCES)
        full = subject + rng.choice(ACTIONS[typ])
        if typ == "回答":
            full = "%s %s（回答）" % (g.nendo(fy), full)
        elif typ in ("要綱", "マニュアル"):
            full = "%s（%s版）" % (full, g.nendo(fy))
        seq[fy] = seq.get(fy, 0) + 1
        mgmt = "R%d-書-%0*d" % (g.reiwa(fy), width, seq[fy])
        number = "" if typ in ("事務連絡", "マニュアル") else g.NUMBER_PREFIX[src].format(
            n=rng.randint(12, 980), r=g.reiwa(fy), md="%02d%02d" % (d.month, d.day), k=rng.randint(1, 9))
        detail = _detail(rng, subject, d)
        ref = "総行政第%d号" % rng.randint(12, 480) if typ == "回答" else ""
        body = g.doc_body(typ, src, full, detail, d, ref)
        department = "担当：%s %s" % (src if src.startswith("長野県") else "長野県総務部", rng.choice(DEPARTMENTS))
        body += "\n" + department
        addressee = "" if typ in ("要綱", "マニュアル") else (
            g.ADDRESSEE["national"] if src in g.NATIONAL else g.ADDRESSEE["pref"])
        cats = sorted({category, rng.choice(g.CATEGORIES)} if rng.random() < 0.2 else {category},
                      key=g.CATEGORIES.index)
        files = []
        if i % 5 == 4:
            kind = ["pdf", "docx", "xlsx"][(i // 5) % 3]
            fname = "%s-1.%s" % (mgmt.replace("-書-", "-").lower(), kind)
            display = "%s.%s" % ({"pdf": full, "docx": "新旧対照表", "xlsx": "集計表"}[kind], kind)
            footer = "%s　%s　%s" % (number or "（番号なし）", g.wareki(d), src)
            files.append(_attachment(out, fname, display, kind, rng, full,
                                     (addressee + "\n\n" if addressee else "") + body, footer, subject))
        records.append({
            "管理番号": g.v(mgmt), "文書番号": g.v(number), "表題": g.v(full), "発出元": g.v(src),
            "文書種別": g.v(typ), "発出日": g.v(g.iso(d)), "宛先": g.v(addressee), "分類": g.v(cats),
            "本文": g.v(body), "キーワード": g.v(" ".join(rng.sample(KEYWORDS, 3))),
            "添付ファイル": g.v(files), "公開範囲": g.v("県職員のみ" if typ == "回答" else "全団体"),
            "保存年限": g.v(str(rng.choice([1, 3, 5, 10, 30]))), "関連文書": g.v([]),
        })
    doc = {k: example[k] for k in ("format", "app", "properties", "layout", "views", "settings", "process")}
    doc["app"] = dict(doc["app"], name="文書書庫（検索用コーパス %d件）" % n)
    doc["records"] = records
    with open(os.path.join(out, "app.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return len(records), len(os.listdir(os.path.join(out, "files")))


def main(argv):
    parser = argparse.ArgumentParser(prog="generate.py --archive-corpus",
                                     description="Write a large 文書書庫 corpus (kumiki-app/1).")
    parser.add_argument("--archive-corpus", type=int, nargs="?", const=5000, default=5000, metavar="N",
                        help="number of documents (default 5000)")
    parser.add_argument("--out", required=True, help="output folder (app.json and files/)")
    parser.add_argument("--seed", type=int, default=20251127, help="random seed (default 20251127)")
    args = parser.parse_args(argv)
    if args.archive_corpus < 1:
        parser.error("N must be at least 1")
    n, nfiles = build_corpus(args.archive_corpus, os.path.abspath(args.out), args.seed)
    print("archive corpus: %d records, %d files in %s" % (n, nfiles, args.out))
