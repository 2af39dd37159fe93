#!/usr/bin/env python3
"""Writes crates/http/assets/alpha3.tsv: each ISO 3166-1 alpha-3 code with its alpha-2 code, from
Debian's iso-codes package (LGPL-2.1-or-later), so the console can name the country a document's
machine-readable zone writes in three letters.

    apt-get install iso-codes && python3 tools/countries/alpha3.py

Standard library only.
"""
import json
import os

SOURCE = "/usr/share/iso-codes/json/iso_3166-1.json"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "crates", "http", "assets", "alpha3.tsv")

with open(SOURCE, encoding="utf-8") as f:
    countries = json.load(f)["3166-1"]
with open(OUT, "w", encoding="utf-8") as out:
    for c in sorted(countries, key=lambda c: c["alpha_3"]):
        out.write(f"{c['alpha_3']}\t{c['alpha_2']}\n")
