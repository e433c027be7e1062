"""Japanese for the few English words Gradio's frontend writes on every page.

Gradio shows ``queue: 1/1 | 0.3s`` or ``processing | 2.1s`` while a button's work waits or runs,
and titles each message box by its type (``Error``, ``Warning``, ``Info``; the ``title`` given to
``gr.Error`` is not shown), in English whatever the page's language: its own translations leave
these out. ``FRONTEND_WORDS`` is put into the page's head (``launch(head=…)``) and rewrites exactly
these text nodes, as they appear, to 「待機中 1/1」「処理中」, seconds to 秒 and the titles to
「エラー」「注意」「お知らせ」. Nothing else is touched.
"""

from __future__ import annotations

FRONTEND_WORDS = """<script>(() => {
  const progress = [
    [/^queue: (\\d+)\\/(\\d*) \\|$/, "待機中 $1/$2 |"],
    [/^processing \\|$/, "処理中 |"],
    [/^(\\d+\\.\\d)(\\/\\d+\\.\\d)?s$/, "$1$2秒"],
  ];
  const titles = [
    [/^\\s*Error\\s*$/, "エラー"],
    [/^\\s*Warning\\s*$/, "注意"],
    [/^\\s*Info\\s*$/, "お知らせ"],
  ];
  const fix = (node) => {
    const parent = node.parentElement;
    if (node.nodeType !== Node.TEXT_NODE || !parent) { return; }
    const words = parent.closest(".toast-title") ? titles
      : parent.closest(".progress-text") ? progress : [];
    for (const [from, to] of words) {
      if (from.test(node.nodeValue)) { node.nodeValue = node.nodeValue.replace(from, to); return; }
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) { fix(root); return; }
    const all = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (all.nextNode()) { fix(all.currentNode); }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") { fix(r.target); } else { r.addedNodes.forEach(walk); }
    }
  }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
})();</script>"""
