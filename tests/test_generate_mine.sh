#!/usr/bin/env bash
# Generated traffic keeps the behaviours a miner finds: mine the demo week, generate another week
# from the model (HDF5: a dataset under the model's encoding), mine that, and find the planted
# multi-flow behaviours again (docs/demo-data.md): DNS to the internal resolver then HTTPS from
# the same source, and the lab hosts' DNS to 8.8.8.8 then HTTP from the same source. The data is
# checked too: the DNS -> connection pairs of the generated week are those of the real one.
#
# The searches are cut (30 iterations on the real week, 45 on the generated one: 30 and 45 s
# optimised) where both behaviours are reached today. On the generated week the miner may leave
# the DNS server of row 0 free instead of folding it into a FIX cell (a few stray flows of the
# smoothed BNs break the constant), so a free dst_ip is accepted there; the pair check below shows
# that the data holds no other (server, port) combination. A change in the search order can move
# these patterns past the cut: the message says which one was missed.
# Usage: test_generate_mine.sh FLOWCHRONICLE BUILD_DIR
# ctest-labels: slow
set -euo pipefail
fc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$fc" -q demo-data -o week.csv
"$fc" -q ingest --format flows -o week.h5 week.csv
"$fc" -q mine -i week.h5 -o model.h5 --max-iterations 30
"$fc" -q generate -m model.h5 -o gen.h5 --format h5 --start 2024-03-11 --end 2024-03-18 --seed 5 \
  --merge
"$fc" -q mine -i gen.h5 -o again.h5 --max-iterations 45
"$fc" -q export gen.h5 -o gen.csv
"$fc" show --json model.h5 >model.json
"$fc" show --json again.h5 >again.json

# found.py JSON: the behaviours found, one line each, with the usage of the best pattern.
cat >found.py <<'PY'
import json, sys

free_dst = len(sys.argv) > 2

def finds(p, dst, port_then):
    rows = p["rows"]
    c0 = rows[0]["cells"]
    if c0.get("proto", {}).get("fix") != "UDP" or c0.get("dst_port", {}).get("fix") != "53":
        return False
    if "set" not in c0.get("src_ip", {}):
        return False
    if c0.get("dst_ip", {}).get("fix") != dst and not (free_dst and "dst_ip" not in c0):
        return False
    var = c0["src_ip"]["set"]
    for r in rows[1:]:
        c = r["cells"]
        if (c.get("proto", {}).get("fix") == "TCP" and c.get("dst_port", {}).get("fix") == port_then
                and c.get("src_ip", {}).get("use") == var):
            return True
    return False

m = json.load(open(sys.argv[1]))
for name, dst, port in (("dns-https", "192.168.100.3", "443"), ("public-dns-http", "8.8.8.8", "80")):
    uses = [p["usage"] for p in m["patterns"] if finds(p, dst, port)]
    print(name, max(uses) if uses else 0)
PY
python3 found.py model.json >model.txt
python3 found.py again.json free-dst >again.txt
paste model.txt again.txt
while read -r name used; do
  [ "$used" -gt 0 ] || fail "the model of the real week lacks $name (the search changed?)"
done <model.txt
while read -r name used; do
  [ "$used" -gt 0 ] || fail "mining the generated week does not find $name again"
  want=$(awk -v n="$name" '$1 == n {print $2}' model.txt)
  # The generated week has about as many instances as the real one.
  [ "$used" -ge $((want / 2)) ] || fail "$name: $used instances found in the generated week, $want in the real one"
done <again.txt
# pairs.py CSV: DNS queries followed within 100 ms by a TCP flow from the same source, counted
# by (DNS server, TCP port).
cat >pairs.py <<'PY'
import csv, sys
from collections import Counter
from datetime import datetime
def ts(s):
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").timestamp()
rows = list(csv.reader(open(sys.argv[1])))[1:]
c = Counter()
for i, r in enumerate(rows):
    if r[2] != "UDP" or r[6] != "53":
        continue
    t0 = ts(r[0])
    for s in rows[i + 1:i + 300]:
        if ts(s[0]) - t0 > 0.1:
            break
        if s[2] == "TCP" and s[3] == r[3]:
            c[r[5] + "/" + s[6]] += 1
            break
for k in ("192.168.100.3/443", "8.8.8.8/80"):
    print(k, c.pop(k, 0))
print("other", sum(c.values()))
PY
python3 pairs.py week.csv >pairs-real.txt
python3 pairs.py gen.csv >pairs-gen.txt
paste pairs-real.txt pairs-gen.txt
while read -r k real _ gen; do
  if [ "$k" = other ]; then
    [ "$gen" -le $((real + 20)) ] || fail "$gen DNS -> connection pairs of other kinds (real week: $real)"
  else
    [ "$gen" -ge $((real * 8 / 10)) ] && [ "$gen" -le $((real * 12 / 10)) ] ||
      fail "$k: $gen DNS -> connection pairs generated, $real in the real week"
  fi
done < <(paste -d' ' pairs-real.txt pairs-gen.txt)
echo "test_generate_mine: both planted behaviours found again"
