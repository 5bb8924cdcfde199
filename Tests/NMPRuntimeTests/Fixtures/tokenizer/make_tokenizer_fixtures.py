#!/usr/bin/env python3
"""Writes the tokenizer fixtures of Tests/NMPRuntimeTests/TokenizerTests.swift.

    pip install tokenizers gguf
    python3 Tests/NMPRuntimeTests/Fixtures/tokenizer/make_tokenizer_fixtures.py

- tokenizer.json: a small byte-level BPE trained by the `tokenizers` package on the
  multilingual corpus below, set up the way Meta's Llama 3 tokenizer.json (and
  microsoft/bitnet-b1.58-2B-4T's, which is Llama 3's) is: no normalizer; pre-tokenizer
  Sequence[Split(the Llama 3 regex, behavior "isolated"), ByteLevel(add_prefix_space=False,
  use_regex=False)]; BPE with ignore_merges; TemplateProcessing adding <|begin_of_text|>;
  ByteLevel decoder. Special tokens <|begin_of_text|>, <|end_of_text|>, <|eot_id|>.
- tokenizer.gguf: the same vocabulary as llama.cpp's convert_hf_to_gguf.py writes it
  (tokenizer.ggml.model "gpt2", pre "llama-bpe", tokens in id order, token types CONTROL for
  the special tokens and NORMAL otherwise, merges as "a b" strings, bos/eos ids,
  add_bos_token), by gguf-py's GGUFWriter, with no tensors.
- expected.json: for every test string, `encode(s).ids` (with the BOS), the ids with
  add_special_tokens=False, the pre-tokenizer's pieces, and `decode(ids,
  skip_special_tokens=False)`; seeded random strings drawn from a pool of awkward characters
  (same fields); id sequences that are not valid UTF-8 and their decoding; and a tiny
  hand-written vocabulary encoded by models.BPE with and without ignore_merges.

Deterministic: the corpus is fixed text and the random strings come from random.Random(SEED);
BpeTrainer is deterministic for a given corpus. Running the script twice gives identical files.
"""
import json
import os
import random

import gguf
import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20250611
VOCAB_SIZE = 480
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
# Meta's Llama 3 tokenizer.json, pre_tokenizer.pretokenizers[0].pattern.Regex.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog doesn't mind; it's sleeping.",
    "We'll see what they're doing. I'm sure you've heard: she'd said it's fine, isn't it?",
    "Tokenizers split text into pieces, then merge the most frequent pairs of bytes.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 256 1024 2048 4096 65536 3.14159 2.71828 1,000,000.",
    "Le café est très bon. Où est la bibliothèque ? Voilà, c'est déjà l'été à Noël.",
    "Français : élève, naïve, garçon, cœur, œuvre, à bientôt, ça va très bien, merci beaucoup.",
    "Grüße aus Köln! Die Straße ist schön, aber die Brücke über den Fluss ist größer.",
    "Deutsch: Mädchen, Bäume, Übung, ökonomisch, Fußball, Äpfel und Öl.",
    "中文：你好，世界。我们今天学习分词器。这是一个测试，测试中文分词。",
    "日本語：こんにちは、世界。トークナイザーのテストです。ひらがなとカタカナと漢字。",
    "Русский: Привет, мир! Как дела? Это тест токенизатора. Москва, Россия.",
    "Emoji: 😀 😃 😄 👍 👍🏽 ❤️ 🎉 🚀 👨‍👩‍👧‍👦 🇫🇷 🇩🇪 🇯🇵 — fun, isn't it?",
    "def tokenize(text):\n    pieces = split(text)\n    return [merge(p) for p in pieces]\n",
    "for (int i = 0; i < n; i++) {\n\tsum += a[i] * b[i];\n}\n",
    "if x != None and y >= 0:\n        print(f\"{x} -> {y}\")  # comment\r\n",
    "<html><body><p class=\"note\">Hello &amp; welcome!</p></body></html>",
    "SELECT name, count(*) FROM users WHERE age > 18 GROUP BY name ORDER BY 2 DESC;",
    "   indented text\twith\ttabs and    several   spaces   \n\n\nnew paragraph\r\n\r\n",
    "UPPER CASE TEXT: THE END. IT'S OVER. WE'LL BE BACK. YOU'RE RIGHT. I'D SAY SO.",
    "https://example.com/path/to/page?query=value&other=1#section",
]
# Repeated so that common words and byte pairs become tokens (and whole words are in the
# vocabulary, which is where ignore_merges matters).
TRAINING = CORPUS * 8

TEST_STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "It's a test. They'll say I'M done, WE'LL see, you'RE right, I'D go, we've, don't.",
    "'LL 'S 'Re 'vE 'd 'M 'T",
    "it'ſ 'ſx 'sx ’s",
    "1234567 and 89, 3.14159, 1,000,000 and 12345678901",
    "Punctuation!!! ... ??? --- (a) [b] {c} <d> @#$%^&*",
    "line one\r\nline two\r\n",
    "tab\tseparated\t\tvalues\t",
    "multiple    spaces   here",
    "trailing spaces   ",
    "   leading spaces",
    "Café, naïve, résumé, déjà vu, cœur",
    "Cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "Grüße aus Köln, Straße, ẞ",
    "中文测试：你好，世界。",
    "日本語のテキスト、カタカナとひらがな。",
    "Привет, мир! Как дела?",
    "emoji 😀👍🏽 and ZWJ 👨‍👩‍👧‍👦 family, 👩🏽‍💻 coder, flag 🇫🇷",
    "def f(x):\n    return x ** 2  # square\n",
    "if (a != b && c <= d) { printf(\"%d\\n\", e); }",
    "Hello<|eot_id|>world",
    "<|begin_of_text|>Start text<|end_of_text|>",
    "<|eot_id|><|eot_id|> <|eot_id|>",
    "<|eot_id <|eot_id|| <|begin_of_text",
    "",
    "     ",
    " ",
    "\n",
    "\n\n\n",
    "a \n b",
    "x\u00a0y\u3000z \u3000日本",
    "¡Hola! ¿Qué tal?",
    "½ ¾ Ⅻ ٣٤٥ ²³",
    "\u200b zero width\u200d joiner\u00ad",
    "a\u2028b\u2029c\u0085d\u000be\u000cf",
    "mixedCASE camelCase snake_case kebab-case",
    "https://example.com/path?q=1&r=2#frag",
    "\t\n \r\n\t",
    "¯\\_(ツ)_/¯",
    "  \n  x",
    "x  \ny",
    "tokenizers tokenizer tokenize",
    "!\n\nx .\r\n\r\n?",
]

# Characters for the random strings: ASCII classes, the contraction letters, whitespace of
# every kind the regex treats specially, letters and marks outside ASCII, numbers of other
# categories, emoji with modifiers and joiners, and pieces of the special tokens.
POOL = (list("abcxyzABCXYZ") + list("sStTlLdDmMrReEvV") + ["'", "'", "’", "ſ"] + list("0123456789")
        + list(" .,;:!?-_()[]{}<>|/\\\"#*") + [" ", " ", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000",
                                              "\u2028", "\u0085", "\u000b"]
        + list("éèàüößçœñ") + ["e\u0301", "\u0308", "\u200b", "\u200d"] + list("中文日本語テスト") + list("Привет")
        + list("½Ⅻ٣²") + ["😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "\U0001F3FD", "\ufe0f"]
        + ["<|", "|>", "<|eot_id|>", "<|begin_of_text|>", "eot_id", "the", "The", "tokenizer"])


SPLIT = pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False)


def train():
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), min_frequency=2)
    tok.train_from_iterator(TRAINING, trainer=trainer)
    bos = SPECIALS[0]
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
                                      special_tokens=[(bos, tok.token_to_id(bos))]),
    ])
    # The trainer builds the model without ignore_merges; Llama 3's has it, so set it in the JSON.
    spec = json.loads(tok.to_str())
    spec["model"]["ignore_merges"] = True
    return Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))


def case(tok, text):
    with_bos = tok.encode(text).ids
    plain = tok.encode(text, add_special_tokens=False).ids
    # The regex split alone, on the raw text (before special tokens are split out and
    # before the ByteLevel mapping): what the Swift pre-tokenizer is checked against.
    pieces = [p for p, _ in SPLIT.pre_tokenize_str(text)]
    return {"text": text, "ids": with_bos, "ids_no_special": plain,
            "decoded": tok.decode(plain, skip_special_tokens=False), "pieces": pieces}


def byte_ids(tok):
    """The id of the single-byte token of each byte value (ByteLevel's alphabet)."""
    table = bytes_to_unicode()
    return [tok.token_to_id(table[b]) for b in range(256)]


def bytes_to_unicode():
    """GPT-2's byte -> character table (printable bytes stand for themselves, the rest for 256 + n)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, n = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


def decode_cases(tok):
    ids = byte_ids(tok)
    eot = tok.token_to_id("<|eot_id|>")
    hello = tok.encode("Hello", add_special_tokens=False).ids
    raw = [
        [ids[0xF0], ids[0x9F], ids[0x98]],                       # 😀 without its last byte
        [ids[0xF0], ids[0x9F], ids[0x98], ids[0x80]],            # 😀 byte by byte
        [ids[0x80]] + hello + [ids[0xBF]],                       # lone continuation bytes
        [ids[0xC3]] + hello,                                     # a lead byte, then ASCII
        [ids[0xE2], ids[0x82]] + hello + [ids[0xE2], ids[0x82], ids[0xAC]],  # € cut, then whole
        [ids[0xED], ids[0xA0], ids[0x80]],                       # a UTF-16 surrogate in UTF-8
        [ids[0xC0], ids[0xAF], ids[0xFF], ids[0xF5]],            # bytes never valid in UTF-8
        [ids[0xF4], ids[0x90], ids[0x80], ids[0x80]],            # beyond U+10FFFF
        hello + [eot] + hello,
        [tok.token_to_id("<|begin_of_text|>")] + hello + [ids[0xE4], ids[0xB8]],
    ]
    return [{"ids": r, "decoded": tok.decode(r, skip_special_tokens=False),
             "decoded_skipping_special": tok.decode(r, skip_special_tokens=True)} for r in raw]


def hand_cases():
    """A hand-written vocabulary where ignore_merges changes the result: merges make
    "abc" into a + bc, but "abc" is itself a token."""
    vocab = {"a": 0, "b": 1, "c": 2, "d": 3, "bc": 4, "ab": 5, "abc": 6, "bcd": 7}
    merges = [("b", "c"), ("a", "b"), ("bc", "d")]
    out = {"vocab": vocab, "merges": [f"{a} {b}" for a, b in merges], "words": {}}
    words = ["abc", "ab", "abcd", "bcd", "abab", "cab", "dabc"]
    for ignore in (False, True):
        model = models.BPE(vocab=vocab, merges=merges, ignore_merges=ignore)
        t = Tokenizer(model)
        out["words"]["ignore_merges" if ignore else "merges"] = {w: t.encode(w).ids for w in words}
    return out


def main():
    tok = train()
    tok.save(os.path.join(HERE, "tokenizer.json"), pretty=False)
    tok = Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))  # exactly what is committed

    rng = random.Random(SEED)
    randoms = ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 24))) for _ in range(80)]
    expected = {
        "tokenizers_version": tokenizers.__version__,
        "gguf_version": gguf.__version__ if hasattr(gguf, "__version__") else "",
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "bos_id": tok.token_to_id(SPECIALS[0]),
        "eos_id": tok.token_to_id(SPECIALS[1]),
        "special_ids": [tok.token_to_id(s) for s in SPECIALS],
        "cases": [case(tok, s) for s in TEST_STRINGS],
        "random": [case(tok, s) for s in randoms],
        "decode": decode_cases(tok),
        "hand": hand_cases(),
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")

    # GGUF, as llama.cpp's convert_hf_to_gguf.py (_set_vocab_gpt2 / get_vocab_base) writes it.
    spec = json.loads(tok.to_str())
    vocab = {t: i for t, i in spec["model"]["vocab"].items()}
    for added in spec["added_tokens"]:
        vocab[added["content"]] = added["id"]
    size = max(vocab.values()) + 1
    by_id = {i: t for t, i in vocab.items()}
    assert len(by_id) == size, "ids are contiguous from 0"
    specials = {a["id"] for a in spec["added_tokens"] if a["special"]}
    tokens = [by_id[i] for i in range(size)]
    types = [gguf.TokenType.CONTROL if i in specials else gguf.TokenType.NORMAL for i in range(size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    path = os.path.join(HERE, "tokenizer.gguf")
    w = gguf.GGUFWriter(path, arch="bitnet-b1.58")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(expected["bos_id"])
    w.add_eos_token_id(expected["eos_id"])
    w.add_add_bos_token(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"vocab {size}, merges {len(merges)}, {len(TEST_STRINGS)} cases, {len(randoms)} random strings")


if __name__ == "__main__":
    main()
