"""A tiny random-weight llama GGUF that the LLM tests write themselves (no model download).

The recipe (see DESIGN.md, "LLM tests"): llama architecture, 2 layers, width 64, F32 tensors, a
512-token byte-level BPE trained with ``tokenizers`` on the few KB of text below, and a ChatML
chat template in the metadata. The weights are random with a fixed seed, except for one trick
that makes grammar-constrained JSON terminate: column 0 of ``token_embd`` is a constant, so after
the final RMS norm ``hidden[0]`` is nearly the same for every position, and ``output.weight[:, 0]``
then acts as a per-token logit bias (favouring closing quotes, ``}``, ``]``, ``,`` and the end of
sequence, disfavouring whitespace).
"""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

SEED = 20240601
N_VOCAB = 512
N_EMBD = 64
N_LAYER = 2
N_HEAD = 4
N_FF = 128
N_CTX_TRAIN = 4096
EMBED_CONSTANT = 10.0

BOS = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"  # end of sequence: ChatML ends every turn with it
SPECIAL_TOKENS = [BOS, IM_START, IM_END]

# The ChatML template, exactly as llama-cpp-python's CHATML_CHAT_TEMPLATE spells it.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Per-token bias written into output.weight[:, 0] (multiplied by ~sqrt(N_EMBD) after the norm).
BIAS_QUOTE = 6.0
BIAS_CLOSE = 4.0
BIAS_SPACE = -4.0
BIAS_EOS = 3.0

_JAPANESE = """\
第1条 この要綱は、架空市における情報セキュリティ監査の実施に関し必要な事項を定めるものとする。
第2条 監査人は、外部サービスの利用に係る契約書及び仕様書を確認し、その結果を監査報告書に記載する。
2 委託先の事業者が業務の一部を再委託するときは、あらかじめ書面による承認を得なければならない。
（ア）個人情報の取扱い、（イ）ログの保存期間、（ウ）障害時の連絡体制について確認すること。
チェックリストの各項目について「適合」「一部不適合」「不適合」「該当なし」のいずれかを判定する。
根拠となる条項を引用し、所見と改善の提案を簡潔に記述すること。監査結果通知書を所管課ごとに作成する。
テレワーク、クラウド、下請け、暗号化、アクセス制御、バックアップ、パスワード、教育訓練。
"""

_ENGLISH = """\
The auditor reviews each checklist item against the contract and cites the clause it relies on.
Findings are drafts until a named reviewer approves, edits or rejects them.
Answer with a JSON object that matches the schema. Use only the evidence given below.
"""


def _training_text() -> str:
    """A few KB of Japanese prose, English prose and JSON with its punctuation."""
    samples = [
        {"answer": "適合", "citations": ["CL-001", "CL-002"], "confidence": 0.8},
        {"verdict": "一部不適合", "reason": "再委託の承認が書面で確認できない。", "evidence": []},
        {"title": "所見", "items": ["ログの保存期間", "障害時の連絡体制"], "ok": True, "n": 3},
        {"name": "test", "tags": ["a", "b", "c"], "nested": {"key": "value", "list": [1, 2, 3]}},
        {"finding": "", "recommendation": None, "severity": "high", "page": 12},
    ]
    parts = [_JAPANESE, _ENGLISH]
    for sample in samples:
        parts.append(json.dumps(sample, ensure_ascii=False))
        parts.append(json.dumps(sample, ensure_ascii=False, indent=2))
        parts.append(json.dumps(sample, ensure_ascii=True, separators=(",", ":")))
    parts.append('{"":"","\\n":"\\"","\\\\":"\\t"}[]{}[{},{}],,"",""')
    return "\n".join(parts * 3)


def train_tokenizer() -> Tokenizer:
    """A 512-token byte-level BPE (any string is encodable) trained on the text above."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=N_VOCAB,
        min_frequency=2,
        show_progress=False,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(_training_text().splitlines(keepends=True), trainer=trainer)
    return tokenizer


def _vocab(tokenizer: Tokenizer) -> tuple[list[str], list[int], list[str]]:
    """Token strings (byte-level form) by id, their GGUF token types, and the merges."""
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    tokens = [token for token, _ in by_id]
    assert [index for _, index in by_id] == list(range(len(tokens)))
    types = [
        int(gguf.TokenType.CONTROL) if token in SPECIAL_TOKENS else int(gguf.TokenType.NORMAL)
        for token in tokens
    ]
    model = json.loads(tokenizer.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return tokens, types, merges


def _output_bias(tokenizer: Tokenizer, n_vocab: int) -> np.ndarray:
    """The per-token logit bias described in the module docstring."""
    bias = np.zeros(n_vocab, dtype=np.float32)
    for index in range(n_vocab):
        token = tokenizer.id_to_token(index)
        if token in SPECIAL_TOKENS:
            continue
        text = tokenizer.decode([index])
        if not text:
            continue
        if text.startswith('"'):
            bias[index] = BIAS_QUOTE
        elif text[0] in "}],":
            bias[index] = BIAS_CLOSE
        elif text[0].isspace():
            bias[index] = BIAS_SPACE
    bias[tokenizer.token_to_id(IM_END)] = BIAS_EOS
    return bias


def write_tiny_gguf(path: Path) -> Path:
    """Write the tiny model to ``path`` (deterministic bytes) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer()
    tokens, types, merges = _vocab(tokenizer)
    n_vocab = len(tokens)
    rng = np.random.default_rng(SEED)

    def small(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny-random-llama (test fixture)")
    writer.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    writer.add_vocab_size(n_vocab)
    writer.add_context_length(N_CTX_TRAIN)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokenizer.token_to_id(BOS))
    writer.add_eos_token_id(tokenizer.token_to_id(IM_END))
    writer.add_pad_token_id(tokenizer.token_to_id(BOS))
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    token_embd = small(n_vocab, N_EMBD)
    token_embd[:, 0] = EMBED_CONSTANT
    output = small(n_vocab, N_EMBD)
    output[:, 0] = _output_bias(tokenizer, n_vocab)
    writer.add_tensor("token_embd.weight", token_embd)
    for layer in range(N_LAYER):
        prefix = f"blk.{layer}."
        writer.add_tensor(prefix + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(prefix + name + ".weight", small(N_EMBD, N_EMBD))
        writer.add_tensor(prefix + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(prefix + "ffn_gate.weight", small(N_FF, N_EMBD))
        writer.add_tensor(prefix + "ffn_up.weight", small(N_FF, N_EMBD))
        writer.add_tensor(prefix + "ffn_down.weight", small(N_EMBD, N_FF))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
    return path
