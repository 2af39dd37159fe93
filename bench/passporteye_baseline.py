"""PassportEye (the open-source baseline) on a corpus written by `verity-corpus generate`.

Prints, per degradation level, the share of documents whose MRZ lines PassportEye reads exactly,
the share whose key fields (number, dates, names, states) it gets right, and seconds per document.
Run by bench/mrz.sh --baseline on the same files as Verity's reader.
"""
import glob
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
from passporteye import read_mrz  # noqa: E402


def clean(value):
    return " ".join((value or "").replace("<", " ").split())


def fields_of(d):
    return {
        "document_number": clean(d.get("number")),
        "birth_date": clean(d.get("date_of_birth")),
        "expiry_date": clean(d.get("expiration_date")),
        "surname": clean(d.get("surname")),
        "given_names": clean(d.get("names")),
        "nationality": clean(d.get("nationality")),
        "issuing_state": clean(d.get("country")),
    }


def main(directory):
    by_level = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.jpg"))):
        with open(path[:-4] + ".json") as f:
            truth = json.load(f)
        by_level.setdefault(truth["level"].lower(), []).append((path, truth))
    print("PassportEye %s on the same files (Tesseract %s)" % (
        __import__("passporteye").__version__, os.popen("tesseract --version 2>&1").readline().split()[-1]))
    print("%-8s %6s %10s %10s %10s %9s" % ("level", "docs", "exact", "fields", "found", "s mean"))
    results = []
    for level in ["clean", "light", "medium", "hard"]:
        docs = by_level.get(level, [])
        if not docs:
            continue
        exact = fields_ok = found = 0
        seconds = 0.0
        for path, truth in docs:
            start = time.perf_counter()
            try:
                mrz = read_mrz(path)
            except Exception:  # the baseline's own failures count as misses
                mrz = None
            seconds += time.perf_counter() - start
            if mrz is None:
                continue
            found += 1
            lines = [l for l in mrz.aux.get("text", "").split("\n") if l.strip()]
            if lines == truth["mrz"]:
                exact += 1
            want = {k: clean(v) for k, v in truth["fields"].items()}
            if fields_of(mrz.to_dict()) == want:
                fields_ok += 1
        n = len(docs)
        print("%-8s %6d %9.1f%% %9.1f%% %9.1f%% %9.2f" % (
            level, n, 100.0 * exact / n, 100.0 * fields_ok / n, 100.0 * found / n, seconds / n))
        results.append({"level": level, "docs": n, "exact": exact, "fields": fields_ok, "found": found, "s_mean": seconds / n})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
