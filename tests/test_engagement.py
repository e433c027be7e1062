"""The engagement's own documents: business days, the WBS, the work plan, the final report."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from copilot.audit.selfcheck import DivisionRisk, Reason, Triage
from copilot.calendar_jp import (
    add_business_days,
    business_days_between,
    holiday_name,
    is_business_day,
    next_business_day,
    previous_business_day,
)
from copilot.cli.main import main
from copilot.engagement.file import load_engagement
from copilot.engagement.final_report import FinalReport
from copilot.engagement.workplan import build_workplan
from copilot.errors import UserError
from copilot.exports.final_report import export_final_report
from copilot.exports.workplan import WBS_HEADERS, export_wbs, export_workplan
from copilot.review.store import open_store
from copilot.schemas import (
    MILESTONES,
    ChecklistJudgement,
    Citation,
    Engagement,
    Finding,
    PolicyAdvice,
    PolicyGap,
    ReviewInfo,
    Workplan,
)
from copilot.settings import load_settings
from tests.conftest import ROOT
from tests.test_exports import all_text, header_line, headings, table_rows

EXAMPLE = ROOT / "examples" / "engagement.toml"
WELFARE = "健康福祉局福祉政策課"
CITIZENS = "市民局市民課"
SCHOOLS = "教育委員会事務局学校教育課"
TAX = "財政局税務課"
STANDARD = "policy/架空市情報セキュリティ対策基準.docx"
GUIDELINE = "guideline/架空市外部サービス利用ガイドライン.docx"

BASE = """\
city = "架空市"
fiscal_year = 2026
contract_date = 2026-07-01
divisions = ["健康福祉局福祉政策課", "市民局市民課"]
{extra}

[[team]]
name = "鈴木 一郎"
role = "統括責任者"

[[team]]
name = "佐藤 花子"
role = "主任監査人"

[[onsite]]
division = "健康福祉局福祉政策課"
date = 2026-11-18
{tables}
"""


def write(tmp_path: Path, text: str, name: str = "engagement.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def engagement_file(tmp_path: Path, extra: str = "", tables: str = "") -> Path:
    return write(tmp_path, BASE.format(extra=extra, tables=tables))


# --- business days, against dates known from the calendar -----------------------------------


@pytest.mark.parametrize(
    ("day", "open_", "why"),
    [
        (date(2026, 5, 6), False, "憲法記念日 振替休日"),  # Wednesday: 5/3 fell on a Sunday
        (date(2027, 3, 22), False, "春分の日 振替休日"),  # Monday: 3/21 fell on a Sunday
        (date(2026, 9, 22), False, "国民の休日"),  # between 敬老の日 and 秋分の日
        (date(2026, 11, 23), False, "勤労感謝の日"),
        (date(2027, 1, 11), False, "成人の日"),
        (date(2026, 11, 14), False, None),  # Saturday
        (date(2026, 11, 15), False, None),  # Sunday
        (date(2026, 12, 28), True, None),  # Monday, the last day before the closure
        (date(2026, 12, 29), False, None),  # Tuesday, closure
        (date(2026, 12, 31), False, None),  # Thursday, closure
        (date(2027, 1, 1), False, "元日"),
        (date(2027, 1, 2), False, None),  # Saturday, closure
        (date(2027, 1, 3), False, None),  # Sunday, closure
        (date(2027, 1, 4), True, None),  # Monday, the office opens
        (date(2026, 5, 7), True, None),  # Thursday after the Golden Week
        (date(2026, 7, 15), True, None),  # an ordinary Wednesday
    ],
)
def test_business_days_on_known_dates(day: date, open_: bool, why: str | None):
    assert is_business_day(day) is open_
    if why is not None:
        assert holiday_name(day) == why


def test_business_day_arithmetic_on_known_dates():
    # 5/2-5/6 closed: 5 business days after Friday 5/1 is Wednesday 5/13
    assert add_business_days(date(2026, 5, 1), 5) == date(2026, 5, 13)
    # over the year-end closure
    assert add_business_days(date(2026, 12, 25), 1) == date(2026, 12, 28)
    assert add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)
    assert add_business_days(date(2027, 1, 4), -1) == date(2026, 12, 28)
    assert add_business_days(date(2026, 7, 15), 0) == date(2026, 7, 15)
    assert next_business_day(date(2026, 12, 29)) == date(2027, 1, 4)
    assert next_business_day(date(2026, 7, 15)) == date(2026, 7, 15)
    assert previous_business_day(date(2027, 1, 3)) == date(2026, 12, 28)
    assert previous_business_day(date(2026, 10, 31)) == date(2026, 10, 30)  # Saturday -> Friday
    # Nov 2026: 30 days, 9 weekend days, 11/3 and 11/23 holidays
    assert business_days_between(date(2026, 11, 1), date(2026, 11, 30)) == 19


# --- the engagement file ---------------------------------------------------------------------


def test_the_example_engagement_loads_and_plans():
    e = load_engagement(EXAMPLE)
    assert e.fiscal_year_ja == "令和8年度" and len(e.divisions) == 4
    plan = build_workplan(e, str(EXAMPLE))
    assert len(plan.items) > 30


BAD = [
    # (extra top-level lines, extra tables, field named, Japanese words)
    ("", '[[onsite]]\ndivision = "市民局市民課"\ndate = 2026-06-30', "onsite[1].date", "契約日"),
    (
        "",
        '[[onsite]]\ndivision = "総務局総務課"\ndate = 2026-11-20',
        "onsite[1].division",
        "監査対象課",
    ),
    ("", '[[onsite]]\ndivision = "市民局市民課"\ndate = 2026-11-21', "onsite[1].date", "営業日"),
    ("", '[[onsite]]\ndivision = "市民局市民課"\ndate = 2026-11-03', "onsite[1].date", "営業日"),
    ("", '[[hearings]]\ndivision = "市民局市民課"\ndate = 2027-04-01', "hearings[0].date", "末日"),
    (
        "",
        '[[contracts]]\nid = "C-1"\ndivision = "総務局総務課"',
        "contracts[0].division",
        "監査対象課",
    ),
    ("", '[[team]]\nname = "田中"\nrole = "部長"', "team[2].role", "次のいずれか"),
    ("", "[milestones]\napproach = 2026-12-29", "milestones.approach", "営業日"),
    ("contract_date = 2027-07-01", "", "contract_date", "令和8年度"),
    ("policy_rounds = 0", "", "policy_rounds", "1以上"),
    ("colour = 1", "", "colour", "使えません"),
]


@pytest.mark.parametrize(("extra", "tables", "field", "words"), BAD)
def test_a_bad_engagement_names_the_file_and_the_field(
    tmp_path: Path, extra: str, tables: str, field: str, words: str
):
    text = BASE.format(extra="", tables=tables)
    if extra:
        key = extra.split(" = ")[0]
        lines = [ln for ln in text.splitlines() if not ln.startswith(f"{key} = ")]
        text = "\n".join([extra, *lines])
    path = write(tmp_path, text)
    with pytest.raises(UserError) as exc:
        load_engagement(path)
    assert str(path) in exc.value.ja and str(path) in exc.value.en
    assert f"{field}:" in exc.value.ja and f"{field}:" in exc.value.en
    assert words in exc.value.ja


def test_missing_fields_too_many_divisions_and_broken_toml(tmp_path: Path):
    text = BASE.format(extra="", tables="").replace('city = "架空市"\n', "")
    text = text.replace(
        'divisions = ["健康福祉局福祉政策課", "市民局市民課"]',
        'divisions = ["健康福祉局福祉政策課", "市民局市民課", "A課", "B課", "C課"]',
    )
    with pytest.raises(UserError) as exc:
        load_engagement(write(tmp_path, text))
    assert "city: 必須の項目がありません" in exc.value.ja and "city: Field required" in exc.value.en
    assert "divisions: 4件以内にしてください" in exc.value.ja
    with pytest.raises(UserError, match="TOML"):
        load_engagement(write(tmp_path, "city = \n", "broken.toml"))
    with pytest.raises(UserError, match="見つかりません"):
        load_engagement(tmp_path / "none.toml")
    no_lead = BASE.format(extra="", tables="").replace('role = "主任監査人"', 'role = "監査人"')
    with pytest.raises(UserError, match="team: 実施体制に主任監査人がいません"):
        load_engagement(write(tmp_path, no_lead, "no_lead.toml"))


def test_an_impossible_schedule_names_the_field(tmp_path: Path):
    # on-site two business days after the approach (10/30): no time to agree a time table
    tables = '[[onsite]]\ndivision = "市民局市民課"\ndate = 2026-11-04'
    e = load_engagement(engagement_file(tmp_path, tables=tables))
    with pytest.raises(UserError) as exc:
        build_workplan(e, "engagement.toml")
    assert "engagement.toml: onsite[1].date" in exc.value.ja and "2026-11-10" in exc.value.ja
    # milestones out of order
    e = load_engagement(engagement_file(tmp_path, tables="[milestones]\napproach = 2026-09-29"))
    with pytest.raises(UserError, match="milestones.approach"):
        build_workplan(e)
    # more advice rounds than there are days before the final report
    e = load_engagement(engagement_file(tmp_path, extra="policy_rounds = 6"))
    with pytest.raises(UserError, match="作業項目 6.6"):
        build_workplan(e)


def test_cli_prints_a_bad_engagement_in_both_languages(tmp_path: Path, capsys):
    tables = '[[onsite]]\ndivision = "総務局総務課"\ndate = 2026-11-20'
    path = engagement_file(tmp_path, tables=tables)
    assert main(["plan", "--engagement", str(path)]) == 2
    err = capsys.readouterr().err
    assert "エラー: " in err and "onsite[1].division" in err and "Error: " in err


# --- the WBS ---------------------------------------------------------------------------------


def check_plan(plan: Workplan) -> None:
    """Every property a WBS must have, whatever the settings."""
    e = plan.engagement
    by_id = {i.id: i for i in plan.items}
    assert len(by_id) == len(plan.items)
    for i in plan.items:
        assert is_business_day(i.start) and is_business_day(i.end), i
        assert e.contract_date <= i.start <= i.end <= e.year_end, i
        for d in i.depends:
            assert by_id[d].end < i.start, (d, i.id)
    ms = {k: plan.milestone(k).end for k in MILESTONES}
    assert ms["plan_explained"] - e.contract_date <= timedelta(days=14)
    assert ms["selfcheck_results"].month == 9
    assert ms["approach"].month == 10
    assert ms["findings_confirmed"].month == 2 and ms["ciso_explanation"].month == 2
    assert ms["divisions_explanation"].month == 3 and ms["divisions_explanation"].day <= 10
    assert ms["final_report"].month == 3 and ms["final_report"].day >= 21
    assert list(ms.values()) == sorted(ms.values())
    for k, div in enumerate(e.divisions, start=1):
        hearing, minutes = by_id[f"4.{k}.2"], by_id[f"4.{k}.3"]
        assert hearing.start == hearing.end and hearing.division == div
        assert minutes.end == add_business_days(hearing.end, 5)
        assert business_days_between(hearing.end + timedelta(days=1), minutes.end) <= 5
    for o in e.onsite:
        k = e.divisions.index(o.division) + 1
        assert by_id[f"4.{k}.5"].start == o.date
        assert by_id[f"4.{k}.6"].end == add_business_days(o.date, 5)
    assert sum(i.id.startswith("7.") for i in plan.items) == e.policy_rounds


def test_the_wbs_of_the_example_on_known_dates():
    plan = build_workplan(load_engagement(EXAMPLE))
    check_plan(plan)
    ms = {k: plan.milestone(k).end for k in MILESTONES}
    assert ms == {
        "plan_explained": date(2026, 7, 15),  # contract 7/1 + 14 days, a Wednesday
        "selfcheck_results": date(2026, 9, 30),
        "approach": date(2026, 10, 30),  # 10/31 is a Saturday
        "findings_confirmed": date(2027, 2, 15),
        "ciso_explanation": date(2027, 2, 26),  # 2/27-28 a weekend
        "divisions_explanation": date(2027, 3, 10),
        "final_report": date(2027, 3, 25),
    }
    by_id = {i.id: i for i in plan.items}
    # 福祉政策課: the default hearing moves off the on-site day (11/18) to 11/19; minutes by
    # 11/27 (11/23 is 勤労感謝の日); on-site summary by 11/26
    assert by_id["4.1.2"].start == date(2026, 11, 19)
    assert by_id["4.1.3"].end == date(2026, 11, 27)
    assert by_id["4.1.6"].end == date(2026, 11, 26)
    # 市民課: on-site on 11/26, summary due 12/3; 税務課: the hearing day the file fixes
    assert by_id["4.2.5"].start == date(2026, 11, 26) and by_id["4.2.6"].end == date(2026, 12, 3)
    assert by_id["4.4.2"].start == date(2026, 12, 3) and by_id["4.4.3"].end == date(2026, 12, 10)
    assert by_id["6.6"].depends == ["6.5", "7.3"]
    assert [i.id for i in plan.items if i.id.startswith("5.")] == ["5.1", "5.2", "5.3"]


def _engagement(contract: date, rounds: int, divisions: int, onsite: int) -> Engagement:
    y = contract.year if contract.month >= 4 else contract.year - 1
    names = [f"第{k}課" for k in range(1, divisions + 1)]
    days = [next_business_day(date(y, 11, 24) + timedelta(days=7 * k)) for k in range(onsite)]
    return Engagement(
        city="架空市",
        fiscal_year=y,
        contract_date=contract,
        team=[{"name": "A", "role": "統括責任者"}, {"name": "B", "role": "主任監査人"}],
        divisions=names,
        onsite=[{"division": names[k], "date": d} for k, d in enumerate(days)],
        policy_rounds=rounds,
    )


@settings(max_examples=40, deadline=None)
@given(
    year=st.integers(2024, 2035),
    offset=st.integers(0, 120),
    rounds=st.integers(1, 4),
    divisions=st.integers(1, 4),
    onsite=st.integers(1, 3),
)
def test_wbs_properties_hold_for_any_contract_date(year, offset, rounds, divisions, onsite):
    contract = date(year, 4, 1) + timedelta(days=offset)  # April to late July
    onsite = min(onsite, divisions)
    check_plan(build_workplan(_engagement(contract, rounds, divisions, onsite)))


# --- the Excel schedule and the Word plan read back ------------------------------------------

OFF = "00BFBFBF"
WORK = "009BC2E6"
MILESTONE = "00F4B183"


def test_the_wbs_workbook_reads_back(tmp_path: Path):
    plan = build_workplan(load_engagement(EXAMPLE))
    path = export_wbs(plan, tmp_path / "WBS.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["WBS", "工程表", "マイルストーン", "休日一覧"]
    ws = wb["WBS"]
    assert "WBS" in ws["A1"].value and "架空市" in ws["A1"].value
    assert tuple(c.value for c in ws[4]) == WBS_HEADERS
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == [i.id for i in plan.items]
    first = rows[0]
    assert first[2] == "作業計画書（WBS）の作成" and first[4] == "統括責任者"
    assert first[5].date() == date(2026, 7, 1) and first[6].date() == date(2026, 7, 14)
    assert first[7] == 10  # 7/1-7/14: two weekends off
    minutes = next(r for r in rows if r[0] == "4.1.3")
    assert minutes[8] == "4.1.2" and minutes[9] == "ヒアリング議事録"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$4:$4"
    assert ws.freeze_panes == "D5" and ws.auto_filter.ref

    gantt = wb["工程表"]
    assert gantt.page_setup.orientation == "landscape"
    assert str(gantt.page_setup.paperSize) == gantt.PAPERSIZE_A3
    assert gantt.print_title_cols == "$A:$E" and gantt.col_breaks.brk
    # day columns start at F (2026-07-01); find a column by date
    col_of = {date(2026, 7, 1) + timedelta(days=k): 6 + k for k in range(400)}
    row_of = {gantt.cell(r, 1).value: r for r in range(8, gantt.max_row + 1)}
    assert gantt.cell(5, 6).value == "2026年7月" and gantt.cell(6, 6).value == "1"
    # 11/3 文化の日: 祝, shaded for every row; 12/29: closure 休; a Saturday: 土
    assert gantt.cell(7, col_of[date(2026, 11, 3)]).value == "祝"
    assert gantt.cell(7, col_of[date(2026, 12, 29)]).value == "休"
    assert gantt.cell(7, col_of[date(2026, 11, 14)]).value == "土"
    assert gantt.cell(row_of["4.1.1"], col_of[date(2026, 11, 3)]).fill.fgColor.rgb == OFF
    # 4.1.1 runs 11/2-11/18: its business days are filled, the days around it are not
    assert gantt.cell(row_of["4.1.1"], col_of[date(2026, 11, 2)]).fill.fgColor.rgb == WORK
    assert gantt.cell(row_of["4.1.1"], col_of[date(2026, 11, 18)]).fill.fgColor.rgb == WORK
    assert gantt.cell(row_of["4.1.1"], col_of[date(2026, 11, 19)]).fill.fill_type is None
    final = gantt.cell(row_of["6.7"], col_of[date(2027, 3, 25)])
    assert final.value == "◆" and final.fill.fgColor.rgb == MILESTONE

    ms = [[c.value for c in row] for row in wb["マイルストーン"].iter_rows(min_row=4)]
    assert [r[1] for r in ms] == list(MILESTONES.values())
    assert ms[-1][2].date() == date(2027, 3, 25) and ms[-1][3] == "木"
    off = {r[0].date(): r[3] for r in wb["休日一覧"].iter_rows(min_row=4, values_only=True)}
    assert off[date(2027, 3, 22)] == "春分の日 振替休日"
    assert off[date(2026, 12, 29)] == "年末年始休業" and off[date(2027, 1, 1)] == "元日"
    assert date(2026, 6, 30) not in off and date(2026, 11, 14) not in off  # weekends left out


def test_the_work_plan_reads_back(tmp_path: Path):
    plan = build_workplan(load_engagement(EXAMPLE))
    path = export_workplan(plan, tmp_path / "作業計画書.docx", day=date(2026, 7, 10))
    heads = headings(path)
    assert heads[0] == "情報セキュリティ監査業務　作業計画書"
    for h in ("1　目的", "2　実施体制", "3　作業項目と依存関係", "4　日程", "5　成果物"):
        assert h in heads
    assert "4　書面監査・ヒアリング・現地監査" in heads
    rows = table_rows(path)
    assert ["1", "鈴木 一郎", "統括責任者", "システム監査技術者、CISA"] in [r[:4] for r in rows]
    minutes = next(r for r in rows if r[0] == "4.1.3")
    assert minutes[1] == f"{WELFARE}：ヒアリング議事録の作成（5営業日以内）"
    assert minutes[3] == "11/20（金）～11/27（金）" and minutes[4] == "4.1.2"
    assert ["7", "事業報告書の提出", "令和9年3月25日（木）", "6.7"] in rows
    assert [CITIZENS, "11/24（火）", "12/1（火）", "11/26（木）", "12/3（木）"] in rows
    text = all_text(path)
    assert "令和8年7月10日" in text and "12月29日から1月3日まで" in text
    assert "令和8年7月15日（水）" in text  # explained to the CISO within 14 days


def test_cli_plan_writes_both_files_and_json(tmp_path: Path, capsys):
    assert main(["plan", "--engagement", str(EXAMPLE), "--out-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.split()
    assert [Path(p).name for p in out] == ["作業計画書.docx", "WBS.xlsx"]
    assert all(Path(p).is_file() for p in out)
    assert main(["plan", "--engagement", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["engagement"]["city"] == "架空市" and data["items"][0]["id"] == "1.1"


# --- the final report, from a real review store ----------------------------------------------


def cite(document: str, path: str, quote: str, page: int | None = None) -> Citation:
    return Citation(
        clause_id=f"{document}#{path}", document=document, clause_path=path, page=page, quote=quote
    )


TAKEOUT_RULE = cite(
    STANDARD,
    "第12 > 3 > (2)",
    "機密性3の情報資産を外部に持ち出す場合は、情報セキュリティ管理者の許可を得なければならない。",
    page=18,
)
APPROVED_FINDING = Finding(
    division=WELFARE,
    title="機密性3の情報資産の持出しに係る許可及び記録",
    finding="機密性3の情報を記録した電磁的記録媒体を、許可を得ずに庁外へ持ち出していた。",
    rating="指摘",
    risk="媒体の紛失又は盗難により、住民の個人情報が漏えいするおそれがある。",
    recommendation="持出しの許可手続を徹底し、持出し記録簿により管理されたい。",
    criteria=[TAKEOUT_RULE],
    evidence=[cite("ヒアリング議事録（福祉政策課）.docx", "問3", "許可の手続は行っていない。")],
)
DRAFT_FINDING = Finding(
    division=WELFARE,
    title="窓口付近における機密文書の放置",
    finding="来庁者から見える窓口のカウンター上に、申請書の綴りが置かれていた。",
    rating="意見",
    risk="来庁者に個人情報を閲覧されるおそれがある。",
    recommendation="窓口付近に機密性の高い文書を置かない運用を徹底されたい。",
    criteria=[
        cite(STANDARD, "第12 > 4 > (1)", "窓口付近に機密性2以上の情報資産を置いてはならない。")
    ],
)
REJECTED_FINDING = Finding(
    division=CITIZENS,
    title="シュレッダー処理の委託",
    finding="機密文書を裏紙として再利用していた。",
    rating="意見",
    risk="裏紙の配布先で情報が漏えいするおそれがある。",
    recommendation="溶解処理の委託により廃棄されたい。",
)
SUBCONTRACT = cite(
    "contracts/C-2026-002/契約書.docx",
    "第12条 > 1",
    "乙は、業務の全部を第三者に委託してはならない。",
)
JUDGEMENTS = [
    ChecklistJudgement(
        item="1-1-1",
        contract="C-2026-002",
        verdict="反映あり",
        answer="はい",
        rationale="仕様書にISMS認証の取得が求められている。",
        evidence=[cite("contracts/C-2026-002/仕様書.docx", "3 > (1)", "ISO/IEC 27001の認証")],
    ),
    ChecklistJudgement(
        item="1-5-1",
        contract="C-2026-002",
        verdict="一部反映",
        answer="いいえ",
        rationale="再委託の禁止はあるが、事前承認の手続がない。",
        evidence=[SUBCONTRACT],
        advice="再委託の事前承認と再委託先の管理を契約書に定めること。",
        proposed_wording="乙は、業務の一部を再委託するときは、あらかじめ甲の書面による承認を得なければならない。",
    ),
    ChecklistJudgement(
        item="1-8-3",
        contract="C-2026-002",
        verdict="反映なし",
        answer="いいえ",
        rationale="準拠法及び管轄裁判所の定めがない。",
        advice="準拠法を日本法とし、管轄裁判所を定めること。",
    ),
]
GAP = PolicyGap(
    policy=STANDARD,
    guideline=GUIDELINE,
    requirement="2.1.1(1)(a)",
    requirement_path="第2章 > 1",
    requirement_text="外部サービスの利用に係る規定を整備すること。",
    coverage="欠落",
    rationale="対策基準に該当する規定がない。",
    guideline_citation=cite(GUIDELINE, "第2章 > 1", "外部サービスの利用に係る規定を整備すること。"),
    advice="外部サービスの利用手続を対策基準に定めること。",
    proposed_wording="外部サービスを利用する場合は、統括情報セキュリティ責任者の承認を得なければならない。",
)
ADVICE = PolicyAdvice(
    policy=STANDARD,
    clause=TAKEOUT_RULE,
    clause_says="機密性3の情報資産の持出しには許可を要する。",
    what_happened=f"{WELFARE}の指摘1：許可なく持ち出していた。",
    advice="持出し記録簿の様式と保存期間を定めること。",
    proposed_wording="持ち出した情報資産は、持出し記録簿に記録しなければならない。",
)


def _store_with_drafts() -> dict[str, int]:
    """A real review store (at COPILOT_DATA_DIR) with drafts approved, left and rejected."""
    ids: dict[str, int] = {}
    with open_store(load_settings()) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("suzuki", "鈴木（主任担当者）", "lead", "lead-pass-12", by="admin")
        store.add_user("sato", "佐藤", "auditor", "auditor-pass-3", by="admin")
        run = store.record_run(
            "findings_draft",
            {"sources": ["test"]},
            settings_digest="s",
            drafter="evidence",
            model="evidence",
            prompt="findings",
            prompt_version="v1",
            prompt_hash="p",
            evidence_ids=[],
            user="sato",
        )
        ids["approved"] = store.add_draft(run, "finding", f"{WELFARE}/1", APPROVED_FINDING, "sato")
        ids["draft"] = store.add_draft(run, "finding", f"{WELFARE}/2", DRAFT_FINDING, "sato")
        ids["rejected"] = store.add_draft(run, "finding", f"{CITIZENS}/1", REJECTED_FINDING, "sato")
        for j in JUDGEMENTS:
            ids[j.item] = store.add_draft(
                run, "checklist_judgement", f"C-2026-002/{j.item}", j, "sato"
            )
        ids["gap"] = store.add_draft(
            run, "policy_gap", f"{STANDARD}/{GAP.requirement}", GAP, "sato"
        )
        ids["advice"] = store.add_draft(
            run, "policy_advice", f"{STANDARD}/{ADVICE.clause.clause_path}", ADVICE, "sato"
        )
        for key in ("approved", "1-1-1", "1-5-1", "gap", "advice"):
            store.approve(ids[key], "suzuki")
        store.reject(ids["rejected"], "suzuki", "事実確認が不足")
    return ids  # 1-8-3 and the draft finding stay unsigned


def test_final_report_shows_only_signed_off_content_with_a_citation_appendix(
    tmp_path: Path, capsys
):
    _store_with_drafts()
    out = tmp_path / "事業報告書.docx"
    assert main(["report", "final", "--engagement", str(EXAMPLE), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    heads, text, rows = headings(out), all_text(out), table_rows(out)
    assert heads[0] == "情報セキュリティ監査業務　事業報告書"
    for h in (
        "1　業務の概要",
        "2　実施経過",
        "3　監査実施方針（自己点検結果に基づくリスク評価）",
        "4　対象課ごとの監査結果",
        "6　情報セキュリティポリシーの改定に関する助言",
        "付録　引用一覧",
    ):
        assert h in heads
    assert f"指摘1　{APPROVED_FINDING.title}" in heads
    assert APPROVED_FINDING.recommendation in text
    assert DRAFT_FINDING.title not in text and REJECTED_FINDING.title not in text
    assert "【下書き】" not in text and header_line(out) == ""
    assert "自己点検シートが取り込まれていない" in text
    # the checklist: counts of the signed judgements, the signed item needing action
    assert ["C-2026-002", "福祉総合相談記録管理サービス", "1", "1", "0", "0", "0", "2"] in rows
    assert any(r[0] == "1-5-1" and r[1] == "一部反映" and "記載例：" in r[2] for r in rows)
    assert not any(r[0] == "1-8-3" for r in rows)
    assert "承認されていない判定1件は記載していない。" in text
    assert "承認されていない下書き2件は本書に記載していない。" in text
    # policy advice rendered from the signed-off drafts
    assert GAP.advice in "\n".join(c for r in rows for c in r) and ADVICE.proposed_wording in text
    # the appendix: numbered citations, each referenced from the body
    appendix = rows[rows.index(["No.", "文書", "条項パス", "頁", "引用"]) + 1 :]
    quotes = {r[4]: r[0] for r in appendix}
    n = quotes[TAKEOUT_RULE.quote]
    assert [n, STANDARD, "第12 > 3 > (2)", "18", TAKEOUT_RULE.quote] in appendix
    assert f"判断基準 ［{n}］" in text
    assert f"【現行の規定】{ADVICE.clause_says} ［{n}］" in text  # one number for one citation
    assert quotes[SUBCONTRACT.quote] and quotes[GAP.guideline_citation.quote]
    assert DRAFT_FINDING.criteria[0].quote not in quotes
    assert [r[0] for r in appendix] == [str(k) for k in range(1, len(appendix) + 1)]
    for k in range(1, len(appendix) + 1):
        assert f"［{k}］" in text


def test_final_report_with_drafts_marks_them(tmp_path: Path, capsys):
    _store_with_drafts()
    out = tmp_path / "事業報告書.docx"
    argv = ["report", "final", "--engagement", str(EXAMPLE), "--out", str(out), "--include-drafts"]
    assert main(argv) == 0
    heads, text, rows = headings(out), all_text(out), table_rows(out)
    assert f"【下書き】意見1　{DRAFT_FINDING.title}" in heads
    assert f"指摘1　{APPROVED_FINDING.title}" in heads  # the signed one stays unmarked
    assert REJECTED_FINDING.title not in text  # rejected: never
    assert "【下書き】" in header_line(out)
    assert any(r[0] == "1-8-3" and r[1] == "【下書き】反映なし" for r in rows)
    assert ["C-2026-002", "福祉総合相談記録管理サービス", "1", "1", "1", "0", "0", "3"] in rows
    appendix = rows[rows.index(["No.", "文書", "条項パス", "頁", "引用"]) + 1 :]
    assert DRAFT_FINDING.criteria[0].quote in {r[4] for r in appendix}


def _triage() -> Triage:
    reason = Reason(
        id="1-3",
        category="1.情報資産の管理",
        question="機密性3の情報資産の持出しについて、許可を得て記録しているか。",
        answer="いいえ",
        note="",
        weight=2.0,
        weight_basis="義務規定（「しなければならない」）・機密性3",
        basis=TAKEOUT_RULE,
        documents=["持出し記録簿"],
        hearing="持出しの許可の手続を確認する。",
    )

    def risk(name: str, rank: int, reasons: list[Reason]) -> DivisionRisk:
        return DivisionRisk(
            division=name,
            source=f"{name}.xlsx",
            rank=rank,
            score=2.0 * len(reasons),
            no_count=len(reasons),
            unanswered_count=0,
            explanation=f"「いいえ」{len(reasons)}件",
            reasons=reasons,
        )

    return Triage(
        formula="点数＝重みの合計。",
        divisions=[risk(WELFARE, 1, [reason]), risk("総務局総務課", 2, []), risk(TAX, 3, [])],
    )


def test_final_report_approach_section_cites_the_triage(tmp_path: Path):
    plan = build_workplan(load_engagement(EXAMPLE))
    report = FinalReport(plan=plan, findings=[], contracts=[], triage=_triage())
    out = export_final_report(report, tmp_path / "r.docx", day=date(2027, 3, 25))
    rows, text = table_rows(out), all_text(out)
    assert ["1", WELFARE, "2", "1", "0", "○"] in rows
    assert ["2", "総務局総務課", "0", "0", "0", ""] in rows
    assert ["No.1-3", _triage().divisions[0].reasons[0].question, "いいえ", "［1］"] in rows
    assert ["1", STANDARD, "第12 > 3 > (2)", "18", TAKEOUT_RULE.quote] in rows
    assert "令和9年3月25日" in text and "承認された確認結果はない。" in text


def test_final_report_writes_nothing_for_a_wrong_suffix(tmp_path: Path):
    plan = build_workplan(load_engagement(EXAMPLE))
    report = FinalReport(plan=plan, findings=[], contracts=[], triage=None)
    with pytest.raises(UserError):
        export_final_report(report, tmp_path / "r.pdf")
    assert not list(tmp_path.iterdir())
    assert ReviewInfo(status="draft").label().startswith("【下書き】")


@pytest.mark.slow
def test_final_report_ranks_the_ingested_self_check_sheets(
    corpus_data_dir, tmp_path: Path, monkeypatch, capsys
):
    data = tmp_path / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    _store_with_drafts()
    out = tmp_path / "事業報告書.docx"
    assert main(["report", "final", "--engagement", str(EXAMPLE), "--out", str(out)]) == 0
    rows, text = table_rows(out), all_text(out)
    ranking = [r for r in rows if len(r) == 6 and r[1] in (WELFARE, CITIZENS, SCHOOLS, TAX)]
    assert sorted(r[1] for r in ranking) == sorted([WELFARE, CITIZENS, SCHOOLS, TAX])
    assert [r[0] for r in ranking] == ["1", "2", "3", "4"] and all(r[5] == "○" for r in ranking)
    assert "自己点検シートが取り込まれていない" not in text
    # every policy sentence a reason rests on is in the appendix, referenced from its row
    appendix = rows[rows.index(["No.", "文書", "条項パス", "頁", "引用"]) + 1 :]
    reasons = [r for r in rows if len(r) == 4 and r[0].startswith("No.") and r[3].startswith("［")]
    assert reasons and all(r[3] in text for r in reasons)
    assert any(r[1].startswith("policy/") for r in appendix)
