// SPDX-License-Identifier: GPL-3.0-or-later
//
// Writes the reference values the candle indicators are tested against:
// a deterministic candle series (seeded random walk) and TA-Lib's outputs
// for it. TA-Lib is only needed to regenerate the file:
//
//   cp package.json SCRATCH/ && cd SCRATCH && npm install --nodedir=/usr
//   npm install-scripts approve talib && npm rebuild talib --nodedir=/usr
//   NODE_PATH=SCRATCH/node_modules node make-talib-fixtures.js ../data/talib/talib.json
//
// (TA-Lib's C sources are built by the package's node-gyp install step,
// which recent npm versions only run once approved; node's own headers live
// under /usr/include/node on Debian. Keep SCRATCH outside the tree.)
//
// Numbers are written with JavaScript's shortest round-trip form, so the
// C test reads back exactly the doubles TA-Lib produced.

'use strict';

const fs = require('fs');
const talib = require('talib');

// mulberry32: small, seedable, the same on every platform.
function rng(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Prices on a 0.01 tick, as an exchange would print them; a few flat
// candles (open = high = low = close) and flat stretches exercise the
// zero-gain and zero-range branches.
function makeCandles(n, seed) {
  const r = rng(seed);
  const round = (x) => Math.round(x * 100) / 100;
  const candles = { open: [], high: [], low: [], close: [] };
  let price = 100;
  for (let i = 0; i < n; i++) {
    const flat = (i % 37) === 5 || (i >= 150 && i < 154);
    const open = round(price);
    const close = flat ? open : round(open * (1 + (r() - 0.5) * 0.02));
    const high = flat ? open : round(Math.max(open, close) * (1 + r() * 0.005));
    const low = flat ? open : round(Math.min(open, close) * (1 - r() * 0.005));
    candles.open.push(open);
    candles.high.push(high);
    candles.low.push(low);
    candles.close.push(close);
    price = close;
  }
  return candles;
}

function run(name, candles, options, outputs) {
  const n = candles.close.length;
  const args = Object.assign({ name, startIdx: 0, endIdx: n - 1 }, options);
  if (name === 'ATR') {
    args.high = candles.high;
    args.low = candles.low;
    args.close = candles.close;
  } else {
    args.inReal = candles.close;
  }
  const res = talib.execute(args);
  if (res.error)
    throw new Error(name + ': ' + res.error);
  const out = {};
  for (const [key, talibName] of Object.entries(outputs))
    out[key] = res.result[talibName];
  return { begIndex: res.begIndex, outputs: out };
}

const cases = [];
function add(type, params, options, outputs) {
  cases.push(Object.assign({ type, params }, run(type, candles, options, outputs)));
}

const candles = makeCandles(200, 20240611);
const single = { value: 'outReal' };

for (const p of [2, 10, 30])
  add('SMA', { period: p }, { optInTimePeriod: p }, single);
for (const p of [2, 10, 30])
  add('EMA', { period: p }, { optInTimePeriod: p }, single);
for (const p of [2, 14, 50])
  add('RSI', { period: p }, { optInTimePeriod: p }, single);
for (const [f, s, g] of [[12, 26, 9], [5, 13, 4], [3, 10, 3], [2, 3, 2]])
  add('MACD', { fast: f, slow: s, signal: g },
      { optInFastPeriod: f, optInSlowPeriod: s, optInSignalPeriod: g },
      { macd: 'outMACD', signal: 'outMACDSignal', hist: 'outMACDHist' });
for (const [p, d] of [[5, 2], [20, 1.5], [2, 1]])
  add('BBANDS', { period: p, stddev: d },
      { optInTimePeriod: p, optInNbDevUp: d, optInNbDevDn: d, optInMAType: 0 },
      { upper: 'outRealUpperBand', middle: 'outRealMiddleBand', lower: 'outRealLowerBand' });
for (const p of [1, 2, 14])
  add('ATR', { period: p }, { optInTimePeriod: p }, single);

const doc = {
  generator: 'tests/tools/make-talib-fixtures.js',
  talib: talib.version,
  candles,
  cases,
};

const path = process.argv[2] || 'talib.json';
// One line per case keeps the file small and its diffs readable.
const lines = [
  '{',
  ` "generator": ${JSON.stringify(doc.generator)},`,
  ` "talib": ${JSON.stringify(doc.talib)},`,
  ` "candles": ${JSON.stringify(doc.candles)},`,
  ' "cases": [',
  cases.map((c) => '  ' + JSON.stringify(c)).join(',\n'),
  ' ]',
  '}',
];
fs.writeFileSync(path, lines.join('\n') + '\n');
console.log(`wrote ${cases.length} cases over ${candles.close.length} candles to ${path}`);
