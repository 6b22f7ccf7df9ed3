#!/bin/bash -eu
# Builds the libFuzzer targets into $OUT, as ClusterFuzzLite and OSS-Fuzz run them:
#   raftcheck-fuzzer   walks of the cluster model over the real RaftCore (spec beside it:
#                      raftcheck-fuzzer.yaml; seed corpus and options beside it too)
#   decoders-fuzzer    the spec and trace decoders
# In their image $SRC, $OUT and $SWIFTFLAGS (with -sanitize=fuzzer,...) are set. Outside Docker
# it runs as is: OUT defaults to .build-fuzz/out, SWIFTFLAGS to the fuzzer sanitizer alone.
# Either way libFuzzer links with lld (gold fails on the fuzzer runtime).
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
OUT=${OUT:-$root/.build-fuzz/out}
SWIFTFLAGS=${SWIFTFLAGS:--Xswiftc -sanitize=fuzzer}
SPEC=${RAFTCHECK_FUZZ_SPEC:-specs/production-5.yaml}
flags="-c release --scratch-path $root/.build-fuzz $SWIFTFLAGS -Xswiftc -DRAFTCHECK_FUZZER -Xswiftc -use-ld=lld"
flags="$flags $(make -s swift-flags)"
mkdir -p "$OUT"
for product in raftcheck-fuzzer decoders-fuzzer; do
    # shellcheck disable=SC2086
    swift build $flags --product "$product"
    cp "$(swift build $flags --show-bin-path)/$product" "$OUT/"
done
cp "$SPEC" "$OUT/raftcheck-fuzzer.yaml"
printf '[libfuzzer]\nmax_len = 4096\n' > "$OUT/raftcheck-fuzzer.options"
printf '[libfuzzer]\nmax_len = 65536\n' > "$OUT/decoders-fuzzer.options"
# The decoders start from the shipped specs and regression traces (where zip is at hand).
if command -v zip >/dev/null; then
    rm -f "$OUT/decoders-fuzzer_seed_corpus.zip"
    find specs corpus/regressions -type f \( -name '*.yaml' -o -name '*.json' \) | sort | zip -q -j -@ "$OUT/decoders-fuzzer_seed_corpus.zip"
fi
echo "built into $OUT: raftcheck-fuzzer (spec $SPEC), decoders-fuzzer"
