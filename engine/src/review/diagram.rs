//! The business-flow diagram of an app, drawn from its process settings as a standalone SVG: states
//! are boxes from top to bottom in index order (name, and who works on it), actions are numbered
//! arrows — forward moves on the right, moves back on the left, each in its own lane so branches
//! stay apart — labelled with the action's name, and a legend lists every action with its states,
//! condition and who may run it.
//!
//! People, departments and groups are shown by name (`names::NameMap`); a state's box grows to hold
//! every assignee, wrapping lines, never cutting a name.
//!
//! The output depends only on the settings, names and labels (no ids, no times), so the same
//! settings always give the same bytes. All user text is XML-escaped; control characters XML cannot hold are
//! dropped. Fonts come from the reader's system (the same list as the pages' CSS).

use std::fmt::Write as _;

use super::names::{Kind, NameMap};
use crate::process::{Action, Assignee, AssigneeType, EntityEntry, EntityType, ProcessSettings};

/// The words of the diagram in one language.
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    pub disabled: &'static str,
    pub no_states: &'static str,
    pub actions: &'static str,
    pub condition: &'static str,
    pub executable: &'static str,
    pub assignee: &'static str,
    pub nobody: &'static str,
    pub one: &'static str,
    pub all: &'static str,
    pub any: &'static str,
    pub user: &'static str,
    pub group: &'static str,
    pub organization: &'static str,
    pub with_subs: &'static str,
    pub field: &'static str,
    pub creator: &'static str,
    pub custom_field: &'static str,
    pub unknown_state: &'static str,
}

impl Labels {
    pub const JA: Labels = Labels {
        disabled: "（プロセス管理は無効です）",
        no_states: "ステータスが設定されていません。",
        actions: "アクション",
        condition: "条件",
        executable: "実行できる人",
        assignee: "作業者",
        nobody: "なし",
        one: "次のユーザーから1人",
        all: "全員",
        any: "いずれか1人",
        user: "ユーザー",
        group: "グループ",
        organization: "組織",
        with_subs: "（下位組織を含む）",
        field: "フィールド",
        creator: "作成者",
        custom_field: "カスタム項目",
        unknown_state: "（不明なステータス）",
    };

    pub const EN: Labels = Labels {
        disabled: "(process management is off)",
        no_states: "No statuses are set.",
        actions: "Actions",
        condition: "Condition",
        executable: "Who may run it",
        assignee: "Assignee",
        nobody: "none",
        one: "one of",
        all: "all of",
        any: "any of",
        user: "user",
        group: "group",
        organization: "department",
        with_subs: " (with sub-departments)",
        field: "field",
        creator: "creator",
        custom_field: "custom field",
        unknown_state: "(unknown status)",
    };
}

const FONT: &str = "'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Noto Sans JP', \
                    'Noto Sans CJK JP', 'Yu Gothic UI', 'Yu Gothic', Meiryo, system-ui, sans-serif";
const PAD: i64 = 24;
const NODE_W: i64 = 240;
/// The smallest box: the name and one line of assignees.
const NODE_H: i64 = 60;
/// Space between two boxes, where the arrows' labels sit.
const ROW_GAP: i64 = 60;
/// Height of one wrapped line of assignees inside a box.
const ASSIGNEE_LINE: i64 = 16;
/// Height of one line of a state's name.
const NAME_LINE: i64 = 20;
const TITLE_H: i64 = 56;
const LANE_GAP: i64 = 36;
const LABEL_SIZE: i64 = 12;
const NAME_SIZE: i64 = 15;
const SMALL: i64 = 12;
const LINE_H: i64 = 20;
const INK: &str = "#1f2937";
const MUTED: &str = "#4b5563";
const LINE: &str = "#6b7280";
const ACCENT: &str = "#1d4ed8";

/// Escapes text for XML content and attribute values; drops characters XML 1.0 cannot hold.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Estimated width in pixels: full-width characters take the font size, others a little over half.
fn text_width(s: &str, size: i64) -> i64 {
    let tenths: i64 = s.chars().map(|c| if c.is_ascii() { 6 } else { 10 }).sum();
    tenths * size / 10
}

/// Cuts text to at most `width` pixels, ending with "…" when cut.
fn fit(s: &str, width: i64, size: i64) -> String {
    if text_width(s, size) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if text_width(&next, size) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Wraps text into lines of at most `width` pixels, breaking between characters (Japanese has
/// no spaces to break at). Nothing is cut.
fn wrap_chars(s: &str, width: i64, size: i64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in s.chars() {
        let mut next = line.clone();
        next.push(c);
        if !line.is_empty() && text_width(&next, size) > width {
            lines.push(std::mem::take(&mut line));
            line.push(c);
        } else {
            line = next;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Wraps a list of parts (a lead and names, each ending with its separator) into lines of at
/// most `width` pixels, keeping each part whole on a line when it fits.
fn wrap_parts(parts: &[String], width: i64, size: i64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for part in parts {
        let joined = format!("{line}{part}");
        if text_width(&joined, size) <= width {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if text_width(part, size) <= width {
            line = part.clone();
        } else {
            let mut pieces = wrap_chars(part, width, size);
            line = pieces.pop().unwrap_or_default();
            lines.extend(pieces);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn entity_text(e: &EntityEntry, l: &Labels, names: &NameMap) -> String {
    let code = e.code.clone().unwrap_or_default();
    match e.kind {
        EntityType::User => names.name(Kind::User, &code),
        EntityType::Group => names.name(Kind::Group, &code),
        EntityType::Organization => format!(
            "{}{}",
            names.name(Kind::Department, &code),
            if e.include_subs { l.with_subs } else { "" }
        ),
        EntityType::FieldEntity => format!("{} {code}", l.field),
        EntityType::Creator => l.creator.to_owned(),
        EntityType::CustomField => format!("{} {code}", l.custom_field),
    }
}

fn entities_text(list: &[EntityEntry], l: &Labels, names: &NameMap) -> String {
    list.iter()
        .map(|e| entity_text(e, l, names))
        .collect::<Vec<_>>()
        .join("、")
}

/// The assignee line of a state, as parts to wrap: the lead (`作業者: 全員`) and each entity.
fn assignee_parts(a: &Assignee, l: &Labels, names: &NameMap) -> Vec<String> {
    if a.entities.is_empty() {
        return vec![format!("{}: {}", l.assignee, l.nobody)];
    }
    let kind = match a.kind {
        AssigneeType::One => l.one,
        AssigneeType::All => l.all,
        AssigneeType::Any => l.any,
    };
    let mut parts = vec![format!("{}: {kind} ", l.assignee)];
    let count = a.entities.len();
    for (i, e) in a.entities.iter().enumerate() {
        let sep = if i + 1 < count { "、" } else { "" };
        parts.push(format!("{}{sep}", entity_text(e, l, names)));
    }
    parts
}

/// Circled numbers for the first twenty actions, then plain numbers.
fn number(i: usize) -> String {
    const CIRCLED: [&str; 20] = [
        "①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩", "⑪", "⑫", "⑬", "⑭", "⑮", "⑯", "⑰", "⑱",
        "⑲", "⑳",
    ];
    CIRCLED
        .get(i)
        .map(|s| (*s).to_owned())
        .unwrap_or_else(|| format!("({})", i + 1))
}

struct Edge<'a> {
    n: usize,
    action: &'a Action,
    from: usize,
    to: usize,
    forward: bool,
    label: String,
    label_w: i64,
    lane_x: i64,
}

/// Draws the process of one app with codes for names. `title` is shown at the top (the app's name).
pub fn render_svg(settings: &ProcessSettings, title: &str, l: &Labels) -> String {
    render_svg_named(settings, title, l, &NameMap::default())
}

/// Draws the process of one app, naming users, departments and groups from `names`.
pub fn render_svg_named(
    settings: &ProcessSettings,
    title: &str,
    l: &Labels,
    names: &NameMap,
) -> String {
    let states = settings.states.clone().unwrap_or_default();
    let actions = settings.actions();
    let index_of = |name: &str| states.iter().position(|s| s.name == name);

    // Edges between known states, each with its lane; forward ones right, others left.
    let mut edges: Vec<Edge<'_>> = Vec::new();
    for (n, a) in actions.iter().enumerate() {
        if let (Some(from), Some(to)) = (index_of(&a.from), index_of(&a.to)) {
            let label = format!("{} {}", number(n), fit(&a.name, 168, LABEL_SIZE));
            let label_w = text_width(&label, LABEL_SIZE) + 12;
            edges.push(Edge {
                n,
                action: a,
                from,
                to,
                forward: to > from,
                label,
                label_w,
                lane_x: 0,
            });
        }
    }
    let left_width: i64 = edges
        .iter()
        .filter(|e| !e.forward)
        .map(|e| e.label_w + LANE_GAP)
        .sum();
    let node_x = PAD + left_width + if left_width > 0 { 16 } else { 0 };
    let node_right = node_x + NODE_W;
    let mut right = node_right + LANE_GAP;
    let mut left = node_x - LANE_GAP;
    for e in edges.iter_mut() {
        if e.forward {
            e.lane_x = right;
            right += e.label_w + LANE_GAP;
        } else {
            e.lane_x = left;
            left -= e.label_w + LANE_GAP;
        }
    }
    let diagram_right = right.max(node_right + PAD);
    let top = PAD + TITLE_H;
    // Each box holds its wrapped name and assignees; boxes stack with a fixed gap.
    let inner = NODE_W - 20;
    let texts: Vec<(Vec<String>, Vec<String>, String)> = states
        .iter()
        .map(|st| {
            let parts = assignee_parts(&st.assignee, l, names);
            (
                wrap_chars(&st.name, inner, NAME_SIZE),
                wrap_parts(&parts, inner, SMALL),
                parts.concat(),
            )
        })
        .collect();
    let heights: Vec<i64> = texts
        .iter()
        .map(|(n, a, _)| {
            let n = i64::try_from(n.len()).unwrap_or(1);
            let a = i64::try_from(a.len()).unwrap_or(1);
            (20 + n * NAME_LINE + a * ASSIGNEE_LINE).max(NODE_H)
        })
        .collect();
    let mut tops = Vec::with_capacity(states.len());
    let mut y = top;
    for h in &heights {
        tops.push(y);
        y += h + ROW_GAP;
    }
    let node_y = |i: usize| tops.get(i).copied().unwrap_or(top);
    let node_h = |i: usize| heights.get(i).copied().unwrap_or(NODE_H);

    // Ports: where each edge leaves and enters a node side, spread evenly down that side.
    let mut ports: Vec<Vec<(usize, bool)>> = vec![Vec::new(); states.len() * 2];
    for (k, e) in edges.iter().enumerate() {
        let side = usize::from(e.forward);
        if let Some(p) = ports.get_mut(e.from * 2 + side) {
            p.push((k, true));
        }
        if let Some(p) = ports.get_mut(e.to * 2 + side) {
            p.push((k, false));
        }
    }
    let port_y = |node: usize, side: usize, edge: usize, leaving: bool| -> i64 {
        let list = ports.get(node * 2 + side).map(Vec::as_slice).unwrap_or(&[]);
        let j = list.iter().position(|p| *p == (edge, leaving)).unwrap_or(0);
        let count = i64::try_from(list.len()).unwrap_or(1);
        let j = i64::try_from(j).unwrap_or(0);
        node_y(node) + node_h(node) * (j + 1) / (count + 1)
    };

    // Legend lines: (text, bold).
    let mut legend: Vec<(String, bool)> = Vec::new();
    if !actions.is_empty() {
        legend.push((l.actions.to_owned(), true));
    }
    for (n, a) in actions.iter().enumerate() {
        let from = if index_of(&a.from).is_some() {
            a.from.clone()
        } else {
            format!("{} {}", a.from, l.unknown_state)
        };
        let to = if index_of(&a.to).is_some() {
            a.to.clone()
        } else {
            format!("{} {}", a.to, l.unknown_state)
        };
        legend.push((format!("{} {}: {from} → {to}", number(n), a.name), true));
        if !a.filter_cond.trim().is_empty() {
            legend.push((
                format!("    {}: {}", l.condition, a.filter_cond.trim()),
                false,
            ));
        }
        if !a.executable_user.is_empty() {
            legend.push((
                format!(
                    "    {}: {}",
                    l.executable,
                    entities_text(&a.executable_user, l, names)
                ),
                false,
            ));
        }
    }
    let legend_x = diagram_right + PAD;
    let legend_w = legend
        .iter()
        .map(|(t, _)| text_width(t, SMALL))
        .max()
        .unwrap_or(0);
    let width = if legend.is_empty() {
        diagram_right + PAD
    } else {
        legend_x + legend_w + PAD
    };
    let nodes_bottom = y - ROW_GAP + PAD;
    let legend_bottom = top + i64::try_from(legend.len()).unwrap_or(0) * LINE_H + PAD;
    let height = nodes_bottom.max(legend_bottom).max(top + 40 + PAD);

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"{}\" role=\"img\" aria-label=\"{}\">",
        escape(FONT),
        escape(title)
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    let _ = writeln!(
        s,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
         markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{LINE}\"/></marker></defs>"
    );
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{PAD}\" y=\"{}\" font-size=\"18\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        PAD + 18,
        escape(title)
    );
    if !settings.enable {
        let _ = writeln!(
            s,
            "<text x=\"{PAD}\" y=\"{}\" font-size=\"{SMALL}\" fill=\"{MUTED}\">{}</text>",
            PAD + 40,
            escape(l.disabled)
        );
    }
    if states.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"{PAD}\" y=\"{}\" font-size=\"14\" fill=\"{MUTED}\">{}</text>",
            top + 24,
            escape(l.no_states)
        );
    }

    // Edges first, then nodes and labels on top.
    for (k, e) in edges.iter().enumerate() {
        let side = usize::from(e.forward);
        let x_node = if e.forward { node_right } else { node_x };
        let y1 = port_y(e.from, side, k, true);
        let y2 = port_y(e.to, side, k, false);
        let _ = writeln!(
            s,
            "<path class=\"edge\" d=\"M{x_node},{y1} H{lx} V{y2} H{x_node}\" fill=\"none\" stroke=\"{LINE}\" \
             stroke-width=\"1.5\" marker-end=\"url(#arrow)\"><title>{}</title></path>",
            escape(&format!("{} {}", number(e.n), e.action.name)),
            lx = e.lane_x,
        );
    }
    for (i, st) in states.iter().enumerate() {
        let y = node_y(i);
        let h = node_h(i);
        let stroke = if i == 0 { 2.5 } else { 1.5 };
        let (name_lines, assignee_lines, assignee) = match texts.get(i) {
            Some(t) => t.clone(),
            None => (vec![st.name.clone()], Vec::new(), String::new()),
        };
        let cx = node_x + NODE_W / 2;
        let _ = write!(
            s,
            "<g class=\"state\"><title>{}</title><rect x=\"{node_x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{h}\" \
             rx=\"8\" fill=\"#eff6ff\" stroke=\"{ACCENT}\" stroke-width=\"{stroke}\"/>",
            escape(&format!("{} — {assignee}", st.name)),
        );
        let mut ty = y + 25;
        for line in &name_lines {
            let _ = write!(
                s,
                "<text x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"{NAME_SIZE}\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
                escape(line)
            );
            ty += NAME_LINE;
        }
        ty += 1;
        for line in &assignee_lines {
            let _ = write!(
                s,
                "<text class=\"assignee\" x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"{SMALL}\" fill=\"{MUTED}\">{}</text>",
                escape(line)
            );
            ty += ASSIGNEE_LINE;
        }
        s.push_str("</g>\n");
    }
    for (k, e) in edges.iter().enumerate() {
        let side = usize::from(e.forward);
        let y1 = port_y(e.from, side, k, true);
        let y2 = port_y(e.to, side, k, false);
        let mid = (y1 + y2) / 2;
        let (rx, tx, anchor) = if e.forward {
            (e.lane_x + 4, e.lane_x + 10, "start")
        } else {
            (e.lane_x - 4 - e.label_w, e.lane_x - 10, "end")
        };
        let _ = writeln!(
            s,
            "<g class=\"action\"><rect x=\"{rx}\" y=\"{ry}\" width=\"{w}\" height=\"20\" rx=\"4\" fill=\"#ffffff\" \
             stroke=\"{LINE}\" stroke-width=\"0.5\"/><text x=\"{tx}\" y=\"{tyy}\" text-anchor=\"{anchor}\" \
             font-size=\"{LABEL_SIZE}\" fill=\"{INK}\">{}</text></g>",
            escape(&e.label),
            ry = mid - 10,
            w = e.label_w,
            tyy = mid + 4,
        );
    }
    for (i, (text, bold)) in legend.iter().enumerate() {
        let y = top + 14 + i64::try_from(i).unwrap_or(0) * LINE_H;
        let weight = if *bold { " font-weight=\"bold\"" } else { "" };
        let _ = writeln!(
            s,
            "<text x=\"{legend_x}\" y=\"{y}\" font-size=\"{SMALL}\" fill=\"{INK}\" xml:space=\"preserve\"{weight}>{}</text>",
            escape(text)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{ActionType, State};

    fn state(name: &str, index: i64) -> State {
        State {
            name: name.into(),
            index,
            assignee: Assignee {
                kind: AssigneeType::One,
                entities: vec![EntityEntry::user("sato")],
            },
        }
    }

    fn action(name: &str, from: &str, to: &str, cond: &str) -> Action {
        Action {
            name: name.into(),
            from: from.into(),
            to: to.into(),
            filter_cond: cond.into(),
            kind: ActionType::Primary,
            executable_user: vec![],
        }
    }

    fn sample() -> ProcessSettings {
        ProcessSettings {
            enable: true,
            states: Some(vec![state("受付", 0), state("審査中", 1), state("完了", 2)]),
            actions: Some(vec![
                action("審査へ", "受付", "審査中", ""),
                action("承認する", "審査中", "完了", "金額 <= 100000"),
                action("差し戻す", "審査中", "受付", ""),
            ]),
        }
    }

    #[test]
    fn same_settings_give_the_same_bytes() {
        let a = render_svg(&sample(), "経費申請", &Labels::JA);
        let b = render_svg(&sample(), "経費申請", &Labels::JA);
        assert_eq!(a, b);
        assert!(a.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        for name in ["受付", "審査中", "完了", "審査へ", "承認する", "差し戻す"] {
            assert!(a.contains(name), "{name}");
        }
        // The condition is shown (escaped) and each action is one arrow.
        assert!(a.contains("条件: 金額 &lt;= 100000"), "{a}");
        assert_eq!(a.matches("class=\"edge\"").count(), 3);
        assert_eq!(a.matches("class=\"state\"").count(), 3);
        assert!(a.contains("作業者: 次のユーザーから1人 sato"), "{a}");
    }

    #[test]
    fn five_assignees_are_named_in_full_on_wrapped_lines() {
        let mut p = sample();
        let people = [
            ("sato", "佐藤 一郎"),
            ("suzuki", "鈴木 花子"),
            ("takahashi", "高橋 健太郎"),
            ("tanaka", "田中 美咲"),
            ("watanabe", "渡辺 大輔"),
        ];
        let mut names = NameMap::default();
        for (code, name) in people {
            names.insert(Kind::User, code, name);
        }
        if let Some(states) = p.states.as_mut() {
            states[1].assignee = Assignee {
                kind: AssigneeType::All,
                entities: people.iter().map(|(c, _)| EntityEntry::user(c)).collect(),
            };
        }
        let svg = render_svg_named(&p, "経費申請", &Labels::JA, &names);
        let lines: Vec<&str> = svg
            .split("<text class=\"assignee\"")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1))
            .filter_map(|t| t.split("</text").next())
            .collect();
        let text: String = lines.concat();
        for (code, name) in people {
            assert!(text.contains(name), "{name} in {lines:?}");
            assert!(!text.contains(code), "{code} shown as login: {lines:?}");
        }
        assert!(!svg.contains('…'), "nothing is cut: {svg}");
        assert!(lines.len() >= 4, "the five names wrap: {lines:?}");
        // Every line fits its box, and the taller box pushes the next state down.
        for l in &lines {
            assert!(text_width(l, SMALL) <= NODE_W - 20, "{l}");
        }
        // Each name stays whole on one line, and the box is tall enough for its lines.
        for (_, name) in people {
            assert!(
                lines.iter().any(|l| l.contains(name)),
                "{name} split: {lines:?}"
            );
        }
        let second = svg
            .lines()
            .filter(|l| l.starts_with("<g class=\"state\""))
            .nth(1)
            .unwrap_or_default();
        let height: i64 = second
            .split(" height=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let own_lines = i64::try_from(second.matches("class=\"assignee\"").count()).unwrap_or(0);
        assert!(own_lines >= 2, "{second}");
        assert!(
            height >= 20 + NAME_LINE + own_lines * ASSIGNEE_LINE,
            "{second}"
        );
    }

    #[test]
    fn branches_take_separate_lanes_and_moves_back_go_left() {
        let svg = render_svg(&sample(), "x", &Labels::EN);
        let lanes: Vec<&str> = svg
            .lines()
            .filter(|l| l.starts_with("<path class=\"edge\""))
            .filter_map(|l| l.split(" H").nth(1).and_then(|s| s.split(' ').next()))
            .collect();
        assert_eq!(lanes.len(), 3);
        let xs: Vec<i64> = lanes.iter().filter_map(|x| x.parse().ok()).collect();
        assert_eq!(xs.len(), 3);
        assert!(xs[0] != xs[1], "two forward actions, two lanes: {xs:?}");
        assert!(xs[2] < xs[0], "the move back is on the left: {xs:?}");
    }

    #[test]
    fn user_text_is_escaped() {
        let mut p = sample();
        if let Some(states) = p.states.as_mut() {
            states[0].name = "<script>alert('x')</script>&\"\u{1}".into();
        }
        if let Some(actions) = p.actions.as_mut() {
            actions[0].from = "<script>alert('x')</script>&\"\u{1}".into();
            actions[0].name = "a<b>".into();
        }
        let svg = render_svg(&p, "t</title><script>", &Labels::JA);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains('\u{1}'));
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
        assert!(svg.contains("a&lt;b&gt;"));
    }

    #[test]
    fn no_states_and_disabled_are_said() {
        let svg = render_svg(&ProcessSettings::default(), "空", &Labels::JA);
        assert!(svg.contains("ステータスが設定されていません。"));
        assert!(svg.contains("プロセス管理は無効です"));
        assert_eq!(escape("a\tb"), "a b");
    }
}
