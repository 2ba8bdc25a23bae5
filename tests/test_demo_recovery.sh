#!/usr/bin/env bash
# Mining the embedded demo data recovers its planted multi-flow behaviours (docs/demo-data.md)
# as multi-row patterns with address placeholders, read from `show --json`.
# Usage: test_demo_recovery.sh FLOWCHRONICLE BUILD_DIR
# ctest-labels: slow
set -euo pipefail
fc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$fc" -q demo-data --days 4 -o demo.csv
"$fc" -q ingest --format flows -o demo.h5 demo.csv
"$fc" mine -i demo.h5 -o model.h5 2>mine.log || { cat mine.log >&2; exit 1; }
"$fc" show --json model.h5 >model.json
"$fc" show model.h5 >model.txt
python3 - model.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))

def fix(row, col):
    c = row["cells"].get(col, {})
    return c.get("fix")

def var(row, col, kind):
    c = row["cells"].get(col, {})
    return c.get(kind)

def behaves(p, rows):
    """rows: list of dicts col -> value, or ("set"/"use", name) for placeholders; the pattern
    must have exactly these rows (extra FIX cells allowed) with consistent placeholders."""
    if len(p["rows"]) != len(rows):
        return False
    names = {}
    for prow, want in zip(p["rows"], rows):
        for col, v in want.items():
            if isinstance(v, tuple):
                got = var(prow, col, v[0])
                if got is None:
                    return False
                if names.setdefault(v[1], got) != got:
                    return False
            elif fix(prow, col) != v:
                return False
    return True

planted = {
    "dns-https": [{"proto": "UDP", "dst_ip": "192.168.100.3", "dst_port": "53", "src_ip": ("set", "A")},
                  {"proto": "TCP", "src_ip": ("use", "A"), "dst_port": "443"}],
    "dns-https-twice": [{"proto": "UDP", "dst_ip": "192.168.100.3", "dst_port": "53", "src_ip": ("set", "A")},
                        {"src_ip": ("use", "A"), "dst_port": "443", "dst_ip": ("set", "B")},
                        {"src_ip": ("use", "A"), "dst_port": "443", "dst_ip": ("use", "B")}],
    "file-burst-2": [{"dst_ip": "192.168.100.5", "dst_port": "445", "src_ip": ("set", "A")},
                     {"dst_ip": "192.168.100.5", "dst_port": "445", "src_ip": ("use", "A")}],
    "file-burst-3": [{"dst_ip": "192.168.100.5", "dst_port": "445", "src_ip": ("set", "A")},
                     {"dst_ip": "192.168.100.5", "dst_port": "445", "src_ip": ("use", "A")},
                     {"dst_ip": "192.168.100.5", "dst_port": "445", "src_ip": ("use", "A")}],
    "public-dns-http": [{"proto": "UDP", "dst_ip": "8.8.8.8", "dst_port": "53", "src_ip": ("set", "A")},
                        {"proto": "TCP", "src_ip": ("use", "A"), "dst_port": "80"}],
}
missing = [n for n, rows in planted.items() if not any(behaves(p, rows) for p in d["patterns"])]
if missing:
    sys.exit("planted behaviours not recovered: " + ", ".join(missing))
print("recovered:", ", ".join(planted))
PY
echo "1 passed, 0 failed"
