#!/usr/bin/env python3
"""Writes crates/http/assets/countries.tsv: every ISO 3166-1 country with its name in each
language of the hosted pages, from Debian's iso-codes package (the ISO 3166-1 list and its
translations, maintained by the Debian iso-codes team; LGPL-2.1-or-later).

    apt-get install iso-codes && python3 tools/countries/convert.py

Columns: alpha-2 code, then the name in en, fr, de, es, it, nl, pt, pl, ro, lt, zh (the common name
where iso-codes gives one, e.g. "Bolivia" rather than "Bolivia, Plurinational State of").
Standard library only.
"""
import gettext
import hashlib
import json
import os
import sys

LANGUAGES = ["en", "fr", "de", "es", "it", "nl", "pt", "pl", "ro", "lt", "zh"]
# The gettext catalogue of each page language, where its name differs.
CATALOGUES = {"zh": "zh_CN"}
SOURCE = "/usr/share/iso-codes/json/iso_3166-1.json"
LOCALES = "/usr/share/locale"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "crates", "http", "assets", "countries.tsv")


def main():
    with open(SOURCE, encoding="utf-8") as f:
        countries = json.load(f)["3166-1"]
    translations = {}
    for lang in LANGUAGES:
        if lang == "en":
            translations[lang] = None
            continue
        translations[lang] = gettext.translation("iso_3166-1", LOCALES, languages=[CATALOGUES.get(lang, lang)])
    lines = []
    for c in sorted(countries, key=lambda c: c["alpha_2"]):
        english = c.get("common_name") or c["name"]
        row = [c["alpha_2"]]
        for lang in LANGUAGES:
            t = translations[lang]
            name = english if t is None else t.gettext(english)
            if name == english and t is not None and c.get("common_name"):
                # Some catalogues translate only the official name.
                official = t.gettext(c["name"])
                if official != c["name"]:
                    name = official
            row.append(name.replace("\t", " "))
        lines.append("\t".join(row))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(OUT, "wb") as f:
        f.write(data)
    sources = [SOURCE] + [
        os.path.join(LOCALES, CATALOGUES.get(l, l), "LC_MESSAGES", "iso_3166-1.mo") for l in LANGUAGES if l != "en"
    ]
    print("wrote %s: %d countries, sha256 %s" % (OUT, len(lines), hashlib.sha256(data).hexdigest()))
    for s in sources:
        with open(s, "rb") as f:
            print("  source %s sha256 %s" % (s, hashlib.sha256(f.read()).hexdigest()))


if __name__ == "__main__":
    sys.exit(main())
