"""Passages along the text: a sentence is found where the structure was read wrongly.

A document whose rules were not numbered is read as one huge item holding them all. The
passages (overlapping windows of the text, ranked by BM25) find the sentence asked for deep
inside it, and the hit shows that sentence's own clause with the item's path.
"""

from __future__ import annotations

from pathlib import Path

from copilot.services import build_services
from copilot.settings import load_settings
from ingest.normalise import squash

# the rule asked for, in two sentences that the splitter puts into two clauses of the item
LOST = "庁外に持ち出した端末を紛失したときは、直ちに所属長に届け出る。"
NEEDLE = "届出を受けた所属長は、二十四時間以内に情報政策課へ報告しなければならない。"

RULES = [
    "職員は、離席するときは画面をロックしなければならない。",
    "サーバ室への入室は、入退室管理簿に記録しなければならない。",
    "パスワードは十二文字以上とし、推測されやすい語を用いてはならない。",
    "外部記録媒体は、課ごとに台帳で管理しなければならない。",
    "電子メールの添付ファイルは、送信前に宛先を二人で確認する。",
    "ウイルス対策ソフトの定義ファイルは、毎日更新されることを確認する。",
    "委託先に個人情報を渡すときは、契約に安全管理措置を定める。",
    "クラウドサービスの利用は、情報政策課の承認を得てから始める。",
    "業務システムの利用者権限は、年に一度見直さなければならない。",
    "廃棄する機器の記憶装置は、復元できないよう物理的に破壊する。",
    "来庁者を執務室に入れるときは、職員が付き添わなければならない。",
    "無線LANの暗号化方式は、情報政策課が定めるものとする。",
    "私物の機器を庁内ネットワークに接続してはならない。",
    "重要な書類は、退庁時に施錠できる保管庫に収めなければならない。",
    "ソフトウェアの導入は、所属長の許可を得てから行う。",
    "バックアップは週に一度取得し、別の建物に保管する。",
    "停電に備え、サーバには無停電電源装置を備える。",
    "ログは一年間保存し、改ざんされないよう管理する。",
    "システムの変更は、変更管理簿に記録してから行う。",
    "研修は年に一度、全ての職員が受講しなければならない。",
    "印刷した個人情報は、放置せずに速やかに回収する。",
    "テレワークでは、庁が貸与した端末のみを用いる。",
    "情報資産の分類は、作成した課が定めなければならない。",
    "インターネットの閲覧は、業務に必要な範囲に限る。",
    "外部からの不審なメールは、開かずに情報政策課へ転送する。",
    "庁舎の鍵は、管理責任者が一括して保管する。",
    "業務委託の終了時には、委託先のデータ消去を確認する。",
    "監査の結果は、最高情報セキュリティ責任者に報告する。",
    "規程は、毎年度見直し、必要に応じて改める。",
]

# forms kept for some years: many rules before the needle, so that its item is large
FORMS = [f"様式第{n}号は、作成した課が{n % 9 + 1}年間保存する。" for n in range(1, 81)]

# no numbered items under the heading: the reader keeps all the rules in one item
RULE_TEXT = "".join(FORMS[:69] + [LOST, NEEDLE] + FORMS[69:] + RULES)
POLICY = "第1　情報セキュリティ対策\n" + RULE_TEXT + "\n"
# short rules in other documents, each with a part of the question's words
OTHERS = {
    "端末要領.txt": "第2　端末の管理\n１　端末を庁外に持ち出すときは、所属長の許可を得る。\n",
    "報告要領.txt": "第3　報告\n１　情報セキュリティインシデントは、情報政策課へ報告する。\n",
    "復旧要領.txt": "第4　時間\n１　障害の復旧は、二十四時間以内を目標とする。\n",
}


def _services(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "docs"
    (root / "policy").mkdir(parents=True)
    (root / "policy" / "規程.txt").write_text(POLICY, encoding="utf-8")
    for name, text in OTHERS.items():
        (root / "policy" / name).write_text(text, encoding="utf-8")
    # passages on, at the weight measured best (off by default until the verdict model is refit)
    services = build_services(load_settings(data_dir=tmp_path / "data", window_weight=0.5))
    report = services.ingest([root])
    assert not report.failed, report.failed
    return services


def test_a_sentence_deep_in_a_misread_item_is_found_by_its_passage(tmp_path):
    services = _services(tmp_path)
    try:
        index = services.index
        clauses = index.document_clauses("policy/規程.txt")
        # the structure was read wrongly: every rule sits in one item of many clauses, and the
        # rule asked for straddles two of them
        assert {c.path for c in clauses} == {"第1"}
        assert len(clauses) >= 6
        lost = next(c for c in clauses if squash(LOST) in squash(c.text))
        needle = next(c for c in clauses if squash(NEEDLE) in squash(c.text))
        assert lost.clause_id != needle.clause_id

        query = "端末を紛失したら二十四時間以内に情報政策課へ報告"
        passages = index.sparse(query, 5, {}, unit=index.WINDOWS)
        assert passages, "the passages are ranked"
        top = passages[0][0]
        assert {lost.clause_id, needle.clause_id} <= set(index.window_clauses([top])[top])

        # the hit is the item, shown by the clause that says what is reported and by when,
        # not by its neighbour about the loss
        hits = services.search(query, top_k=3)
        assert hits[0].clause_id == needle.clause_id
        assert hits[0].clause_path == "第1"
        text = index.document_text(hits[0].document)
        assert text[hits[0].char_start : hits[0].char_end] == hits[0].text
    finally:
        services.close()


def test_passages_follow_their_settings_and_each_overlaps_its_clauses(tmp_path):
    services = _services(tmp_path)
    try:
        index = services.index
        text = index.document_text("policy/規程.txt")
        _, ids, _ = index._bm25_state(index.WINDOWS)
        mine = [i for i in ids if i.startswith("policy/規程.txt#")]
        starts = [int(i.rpartition("#")[2]) for i in mine]
        size, stride = services.settings.window_chars, services.settings.window_stride
        assert starts[0] == 0 and starts[-1] + size >= len(text)
        assert all(b - a <= stride for a, b in zip(starts, starts[1:], strict=False))
        for wid, cids in index.window_clauses(mine).items():
            lo = int(wid.rpartition("#")[2])
            for rec in index.clauses(cids).values():
                assert rec.char_start < lo + size and rec.char_end > lo
    finally:
        services.close()
