#!/usr/bin/env bash
# Installs the package as a user would and runs it: `npm pack`, then a fresh project installs the
# tarball with the README's command (no network but the npm registry), and its `mat` and a library
# call must work. A second project installs with every dependency install script blocked (what
# npm 12 does to scripts not listed in allowScripts): no native addon, and the library must still
# work on the portable path.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
# Run a command, keep its output in $tmp/out; on a nonzero exit, show the output and fail.
run() {
  local code=0
  "$@" >"$tmp/out" 2>&1 || code=$?
  [ "$code" = 0 ] || { cat "$tmp/out" >&2; fail "exit $code from: $*"; }
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# prepack empties dist/src and prepare recompiles it, so the tarball holds no stale modules.
run npm pack --pack-destination "$tmp"
tgz=$(ls "$tmp"/memorization-aware-training-*.tgz)
tar tzf "$tgz" >"$tmp/files"
for f in package/bin/mat.js package/dist/src/index.js package/dist/src/index.d.ts package/native/build.cjs package/binding.gyp; do
  grep -qx "$f" "$tmp/files" || fail "the tarball lacks $f"
done
echo "test-package: packed $(basename "$tgz") ($(du -k "$tgz" | cut -f1) kB, $(wc -l <"$tmp/files") files)"

# The library check: trains a linear model on a small Figure 1 set for a few steps through the
# public API and prints the test accuracy; a bad request must throw the exported InputError.
cat >"$tmp/check.mjs" <<'EOF'
import { makeFigure1, linear, train, evaluate, getAlgorithm, InputError, isUserError } from 'memorization-aware-training';
const ds = makeFigure1({ noise: 0, seed: 0, n: 200, dim: 100 });
const settings = { model: linear(ds.dim, ds.numClasses), optimizer: { kind: 'sgd', momentum: 0.9 }, lr: 0.05, steps: 100, batchSize: 32, evalEvery: 0, seed: 0, threads: 1 };
const { classifier } = await train(ds, settings);
const test = await evaluate(classifier.predictor, ds, 'test');
await classifier.dispose();
let bad;
try { getAlgorithm('nope'); } catch (e) { bad = e; }
if (!(bad instanceof InputError && isUserError(bad))) throw new Error(`getAlgorithm('nope') threw ${bad}, expected an InputError`);
console.log(JSON.stringify({ testAverage: test.avgAcc }));
EOF
check_library() {
  run node check.mjs
  node -e '
    const acc = JSON.parse(process.argv[1].trim().split("\n").at(-1)).testAverage;
    if (!(acc >= 0.9 && acc <= 1)) { console.error(`test accuracy ${acc}, expected ≥ 0.9`); process.exit(1); }
    console.log(`test-package: library: test accuracy ${acc.toFixed(3)} after 100 steps`);
  ' "$(cat "$tmp/out")" || fail "the library check"
}
new_project() {
  mkdir "$1"
  printf '{ "name": "%s", "version": "1.0.0", "private": true, "type": "module" }\n' "$(basename "$1")" >"$1/package.json"
  cp "$tmp/check.mjs" "$1/"
}

# 1. The documented install, scripts allowed (npm 11): the addon is built when a C++ toolchain is there.
app="$tmp/app"
new_project "$app"
cd "$app"
t=$(now)
run env ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund "$tgz"
echo "test-package: installed in $(since "$t") s"
addon=node_modules/memorization-aware-training/build/Release/mat_kernels.node
if [ -f "$addon" ]; then echo "test-package: native addon built"; else echo "test-package: native addon not built (no C++ toolchain?); portable path"; fi

run npx --no -- mat --help
grep -q '^Usage: mat' "$tmp/out" || { cat "$tmp/out" >&2; fail "mat --help printed no usage"; }
t=$(now)
run npx --no -- mat train --data fig1 --noise 0 --algorithm erm --seed 0 --steps 200 --json --no-cache --quiet
node -e '
  const s = JSON.parse(process.argv[1].trim().split("\n").at(-1));
  if (s.algorithm !== "erm" || s.steps !== 200 || !(s.test.average >= 0.9 && s.test.average <= 1)) { console.error(JSON.stringify(s)); process.exit(1); }
  console.log(`test-package: mat train: test average ${s.test.average.toFixed(3)}`);
' "$(cat "$tmp/out")" || fail "mat train printed an unexpected summary"
echo "test-package: mat train took $(since "$t") s"
set +e
npx --no -- mat train --data no-such-dataset --quiet >"$tmp/out" 2>&1
code=$?
set -e
[ "$code" = 2 ] && grep -q 'no such file, and not a built-in dataset' "$tmp/out" || { cat "$tmp/out" >&2; fail "mat train --data no-such-dataset exited $code, expected 2 and a message"; }
check_library

# 2. Every dependency install script blocked (npm 12's default for scripts not in allowScripts):
# no addon, no CUDA download; the library runs on the portable path.
blocked="$tmp/blocked"
new_project "$blocked"
cd "$blocked"
t=$(now)
run npm install --no-audit --no-fund --ignore-scripts "$tgz"
echo "test-package: installed with scripts blocked in $(since "$t") s"
[ ! -e node_modules/memorization-aware-training/build ] || fail "the addon was built with scripts blocked"
check_library

cd "$repo"
echo "test-package: ok"
