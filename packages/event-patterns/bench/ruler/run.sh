#!/usr/bin/env bash
# Runs bench/ruler/RulerBench.java: aws/event-ruler on the engine's benchmark workload.
#
#   bash bench/ruler/run.sh                          # event-ruler's jar from ~/.m2, if there
#   EVENT_RULER_SRC=<event-ruler checkout> bash bench/ruler/run.sh   # or built from its source
#
# Needs java and javac, jackson-core/databind/annotations in ~/.m2, and fastdoubleparser (event-ruler's
# ComparableNumber) — absent, shim/ stands in for it with the copy jackson-core shades.
set -euo pipefail
command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || { echo "bench:ruler needs a JDK (java and javac)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
m2="${M2_REPO:-$HOME/.m2/repository}"

newest() { find "$m2" -path "$1" -name "$2" 2>/dev/null | sort -V | tail -1; }
core="$(newest '*/jackson/core/jackson-core/*' 'jackson-core-2*.jar')"
databind="$(newest '*/jackson/core/jackson-databind/*' 'jackson-databind-2*.jar')"
annotations="$(newest '*/jackson/core/jackson-annotations/*' 'jackson-annotations-2*.jar')"
jsr305="$(newest '*/findbugs/jsr305/*' 'jsr305-*.jar')"
fdp="$(newest '*/randelshofer/fastdoubleparser/*' 'fastdoubleparser-*.jar')"
[[ -n "$core" && -n "$databind" && -n "$annotations" ]] || { echo "bench:ruler needs jackson-core, -databind and -annotations 2.x in $m2" >&2; exit 2; }
cp="$core:$databind:$annotations"

mkdir -p "$work/classes"
# javac, quiet about event-ruler's deprecation notes but not about errors.
compile() { javac -nowarn -d "$work/classes" "$@" > "$work/javac.log" 2>&1 || { cat "$work/javac.log" >&2; exit 1; }; }
if [[ -z "$fdp" ]]; then
  # The shim delegates to the fastdoubleparser that jackson-core shades under a versioned package.
  version="$(basename "$core" .jar)"; version="v${version#jackson-core-}"; version="${version//./_}"
  sed "s/v2_22_3/$version/" "$here/shim/ch/randelshofer/fastdoubleparser/JavaBigDecimalParser.java" > "$work/JavaBigDecimalParser.java"
  compile -cp "$cp" "$work/JavaBigDecimalParser.java"
else
  cp="$cp:$fdp"
fi

if [[ -n "${EVENT_RULER_SRC:-}" ]]; then
  compile -cp "$cp:$jsr305:$work/classes" $(find "$EVENT_RULER_SRC/src/main" -name '*.java')
  echo "event-ruler built from $EVENT_RULER_SRC ($(git -C "$EVENT_RULER_SRC" describe --tags --always 2>/dev/null || echo 'source'))"
else
  ruler="$(newest '*/event/ruler/event-ruler/*' 'event-ruler-*.jar')"
  [[ -n "$ruler" ]] || { echo "event-ruler is not in $m2: set EVENT_RULER_SRC to a checkout of aws/event-ruler" >&2; exit 2; }
  cp="$cp:$ruler"
  echo "event-ruler: $ruler"
fi
echo "jackson: $(basename "$core")"

compile -cp "$cp:$work/classes" "$here/RulerBench.java"
(cd "$here/../.." && node --import tsx bench/export-workload.ts "$work/data")
java -cp "$cp:$work/classes" RulerBench "$work/data"
