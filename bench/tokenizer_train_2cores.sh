#!/bin/bash
# Timing of `curate tokenizer train` (65,536 entries, ~100 MB) on exactly 2 CPU cores of an idle machine:
# each run is pinned to 2 cores (sched_setaffinity) with 2 tokenizers threads, and the two configs run at
# the same time on disjoint core pairs: plain (the CLI default) and with the word-frequency priors.
# Made for the GPU machine lent through the `device` tool (16 idle cores; the GPU is not used), which has
# pyarrow, xxhash and msgpack but cannot reach the network, so the repo's root must hold an ignored
# folder .devcarry/ (carried with the call) with:
#   .devcarry/corpora/<the TRAIN files of bench/tokenizer_bench.py>   (copies from ../shared/corpora)
#   .devcarry/whl/tokenizers-0.23.3-*.whl                              (pip download --python-version 3.12 ...)
#   .devcarry/fakepkgs/jieba/{__init__.py,dict.txt}                    (jieba's word list, empty __init__)
#   .devcarry/fakepkgs/wordfreq/{__init__.py,data/large_en.msgpack.gz} (wordfreq's English list)
# Run: device run `bash bench/tokenizer_train_2cores.sh` with carry [".devcarry"]; results in $OUT.
# Last result: bench/results/tokenizer_train_2cores.json.
set -o pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .devcarry/whl/*.whl || exit 3
export PYTHONPATH=/tmp/site:$PWD/.devcarry/fakepkgs:$PWD QINGLIU_CORPORA=$PWD/.devcarry/corpora PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}; mkdir -p $OUT
MB=${MB:-100}; VOCAB=${VOCAB:-65536}
nproc; python3 -c "import tokenizers, pyarrow, xxhash; print(tokenizers.__version__, pyarrow.__version__)"
pin() { python3 -c "import os,sys; os.sched_setaffinity(0,{int(c) for c in sys.argv[1].split(',')}); os.execvp(sys.argv[2], sys.argv[2:])" "$@"; }
pin 0,1 python3 bench/tokenizer_bench.py --work /tmp/tb_plain --max-mb $MB --vocab-size $VOCAB --threads 2 --skip-eval --skip-encode > $OUT/plain.json 2> $OUT/plain.err &
pin 2,3 python3 bench/tokenizer_bench.py --work /tmp/tb_lex --max-mb $MB --vocab-size $VOCAB --threads 2 --skip-eval --skip-encode --lexicon jieba=0.3 --lexicon wordfreq_en=0.2 > $OUT/lex.json 2> $OUT/lex.err &
wait
tail -n 3 $OUT/plain.err $OUT/lex.err
python3 - <<'PY'
import json, os
for n in ("plain", "lex"):
    try:
        r = json.load(open(os.path.join(os.environ.get("OUT", "/tmp/out"), n + ".json")))
        t = r["train"]; print(n, {k: t[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "affinity_cpus")},
                              {k: t["report"][k] for k in ("docs", "bytes", "seconds", "vocab_size")})
    except Exception as exc:
        print(n, "failed:", exc)
PY
