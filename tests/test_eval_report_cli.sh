#!/usr/bin/env bash
# flowchronicle eval --report end to end on demo data: usage and path errors, the files written
# (one page, no stray temporary file, one <svg> per chart, nothing external, the metric values
# of the JSON output on the page), then the page rendered by headless Chromium: a PNG of the
# window size that is not blank and shows the three series colours. Skips (77) when the tool has
# no --report, or when Chromium is not installed (scripts/setup.sh installs it) or cannot start.
# FC_KEEP_SCREENSHOT=PATH keeps the screenshot for a human look.
set -euo pipefail
TOOL=${1:?tool path}

if ! "$TOOL" eval --help 2> /dev/null | grep -q -- "--report"; then
  echo "SKIP: $TOOL eval has no --report"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fc_eval_report.XXXXXX")
TMP=$(cd "$TMP" && pwd -P)
trap 'rm -rf "$TMP"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

"$TOOL" -q demo-data --days 2 -o "$TMP/a.csv"
"$TOOL" -q demo-data --days 2 --seed 2 -o "$TMP/b.csv"
"$TOOL" -q demo-data --days 2 --seed 3 -o "$TMP/c.csv"

# Usage and path errors.
set +e
"$TOOL" eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" --report > /dev/null 2>&1
[ $? -eq 2 ] || fail "--report without a directory is not a usage error"
touch "$TMP/plain"
"$TOOL" -q eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" --runs 1 --sample 500 \
  --report "$TMP/plain" > /dev/null 2> "$TMP/err.txt"
[ $? -eq 1 ] || fail "a report path that is a file is not a failure"
grep -q "$TMP/plain" "$TMP/err.txt" || fail "the error does not name the path: $(cat "$TMP/err.txt")"
set -e

t0=$(date +%s.%N)
"$TOOL" -q eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" --holdout "$TMP/c.csv" --runs 2 \
  --sample 3000 --json --report "$TMP/rep" > "$TMP/out.json"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "eval with --report on 3 x ~25,000 demo flows: %.2f s\n", b - a }'

HTML="$TMP/rep/index.html"
[ -s "$HTML" ] || fail "no $HTML"
[ "$(ls -A "$TMP/rep")" = "index.html" ] || fail "stray files in the report directory: $(ls -A "$TMP/rep")"
n=$(grep -o "<svg" "$HTML" | wc -l)
[ "$n" -eq 17 ] || fail "$n <svg> elements, expected 17 charts"
if grep -Eq 'https?://|<script|src=|url\(|<link' "$HTML"; then
  fail "the page refers to something external: $(grep -Eo '.{20}(https?://|<script|src=|url\(|<link).{20}' "$HTML" | head -3)"
fi
# The metric table shows what the JSON reports, rounded as the text table rounds it.
for key in density coverage jsd cmd pcd md; do
  mean=$(grep -A1 "\"$key\": {" "$TMP/out.json" | sed -n 's/.*"mean": \([-0-9.e]*\).*/\1/p' | head -1)
  [ -n "$mean" ] || fail "no $key mean in the JSON"
  cell=$(printf "%.4f" "$mean")
  grep -q ">$cell ± " "$HTML" || fail "$key mean $mean ($cell) is not on the page"
done

# Rendering.
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "SKIP: chromium is not installed (scripts/setup.sh installs Debian's chromium); the file checks passed"
  exit 77
fi
if ! command -v python3 > /dev/null; then
  echo "SKIP: python3 is needed to check the screenshot; the file checks passed"
  exit 77
fi
shoot() { # page.html out.png
  local profile
  profile=$(mktemp -d "$TMP/profile.XXXXXX")
  timeout 300 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --screenshot="$2" --window-size=1400,3000 "file://$1" \
    > "$TMP/chromium.log" 2>&1
}
echo "<!DOCTYPE html><p>probe</p>" > "$TMP/probe.html"
if ! shoot "$TMP/probe.html" "$TMP/probe.png" || [ ! -s "$TMP/probe.png" ]; then
  echo "SKIP: chromium cannot start here:"
  tail -n 5 "$TMP/chromium.log"
  exit 77
fi
shoot "$HTML" "$TMP/report.png" || fail "chromium failed on the report: $(tail -n 3 "$TMP/chromium.log")"
[ -s "$TMP/report.png" ] || fail "no screenshot"
size=$(stat -c %s "$TMP/report.png")
[ "$size" -gt 50000 ] || fail "the screenshot is only $size bytes"
if [ -n "${FC_KEEP_SCREENSHOT:-}" ]; then cp "$TMP/report.png" "$FC_KEEP_SCREENSHOT"; fi

# A PNG of the window size, decoded here (zlib and the five PNG filters): more than 1 % of the
# pixels not white, some dark (text), and each series colour as solid fill (bars, legend keys).
python3 - "$TMP/report.png" 1400 3000 << 'EOF'
import struct, sys, zlib
path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("FAIL: not a PNG file")
if data[12:16] != b"IHDR":
    sys.exit("FAIL: the first chunk is not IHDR")
w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
if (w, h) != (want_w, want_h):
    sys.exit(f"FAIL: the PNG is {w}x{h}, not {want_w}x{want_h}")
if depth != 8 or ctype not in (2, 6) or interlace != 0:
    sys.exit(f"FAIL: unexpected PNG layout: depth {depth}, colour type {ctype}, interlace {interlace}")
bpp = 3 if ctype == 2 else 4
pos, idat = 8, []
while pos < len(data):
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    if data[pos + 4:pos + 8] == b"IDAT":
        idat.append(data[pos + 8:pos + 8 + n])
    pos += 12 + n
raw = zlib.decompress(b"".join(idat))
stride = w * bpp
if len(raw) != h * (stride + 1):
    sys.exit("FAIL: IDAT does not hold the whole image")
prev = bytearray(stride)
nonwhite = dark = 0
colours = {(0, 114, 178): 0, (230, 159, 0): 0, (0, 158, 115): 0}
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for x in range(bpp, stride):
            line[x] = (line[x] + line[x - bpp]) & 255
    elif f == 2:
        for x in range(stride):
            line[x] = (line[x] + prev[x]) & 255
    elif f == 3:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
    elif f == 4:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    elif f != 0:
        sys.exit(f"FAIL: bad PNG filter {f} on row {y}")
    for x in range(0, stride, bpp):
        px = (line[x], line[x + 1], line[x + 2])
        if min(px) < 245:
            nonwhite += 1
            if max(px) < 90:
                dark += 1
            if px in colours:
                colours[px] += 1
    prev = line
total = w * h
print(f"screenshot {w}x{h}: {100 * nonwhite / total:.1f} % non-white, "
      f"{100 * dark / total:.2f} % dark, series colours {list(colours.values())}")
if nonwhite <= total // 100:
    sys.exit("FAIL: the page renders (nearly) blank")
if dark <= total // 1000:
    sys.exit("FAIL: no text on the page")
for rgb, k in colours.items():
    if k < 200:
        sys.exit(f"FAIL: the series colour {rgb} covers only {k} pixels")
EOF
echo "eval --report: OK"
