// SPDX-License-Identifier: GPL-3.0-or-later
//
// The reference for bench-ws-fanout.sh: a broadcasting WebSocket server on
// the `ws` package doing what `ws-fanout serve` does: the same market
// generator (trades round-robin over the symbols at a given rate, or flat
// out in bursts), the same subscribe request and reply, the same item shape
// and envelope, each item serialised once (JSON.stringify) and the same
// string sent to every subscriber of its symbol, and the same policy for a
// slow subscriber (items skipped while its buffered amount is over 256 KiB).
//
// node fanout-peer.js PORT SYMBOLS RATE   (PORT 0: any; prints "listening PORT")

'use strict';

const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 0);
const nSymbols = Number(process.argv[3] || 20);
const rate = Number(process.argv[4] || 1000);
const SOFT_BOUND = 256 * 1024;

const symbols = [];
const prices = [];
for (let i = 0; i < nSymbols; i++) {
  symbols.push('SYM' + String(i).padStart(3, '0') + 'USDT');
  prices.push(100 + i);
}

// symbol -> Set of sockets
const bySymbol = new Map(symbols.map((s) => [s, new Set()]));
let nSubscribers = 0;
let seq = 0;
let published = 0;

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });

function envelope(type, id, fields) {
  const msg = { version: '1.0', timestamp: new Date().toISOString(), type };
  if (id !== undefined && id !== null) msg.id = id;
  return JSON.stringify(Object.assign(msg, fields));
}

wss.on('connection', (ws) => {
  ws.subs = [];
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      return;
    }
    if (msg.type !== 'subscribe' || msg.stream !== 'market_data') return;
    const wanted = (msg.params && msg.params.symbols) || symbols;
    for (const s of wanted) {
      const set = bySymbol.get(s);
      if (set && !set.has(ws)) {
        set.add(ws);
        ws.subs.push(set);
      }
    }
    nSubscribers++;
    ws.send(envelope('response', msg.id, {
      status: 'subscribed', stream: 'market_data',
      data: { stream: 'market_data', params: msg.params || {}, last_seq: seq },
    }));
  });
  ws.on('close', () => {
    for (const set of ws.subs) set.delete(ws);
    if (ws.subs.length > 0) nSubscribers--;
  });
});

function publishOne(nowMs) {
  const i = published % nSymbols;
  prices[i] *= 1 + (Math.random() - 0.5) * 1e-4;
  const volume = 0.001 + Math.random();
  seq++;
  const text = envelope('data', undefined, {
    stream: 'market_data', seq, session_id: null,
    market_data: {
      symbol: symbols[i], price: prices[i], volume, quote_volume: prices[i] * volume,
      best_bid: null, best_ask: null, timestamp: nowMs,
    },
  });
  for (const ws of bySymbol.get(symbols[i])) {
    if (ws.bufferedAmount <= SOFT_BOUND) ws.send(text);
  }
  published++;
}

if (rate > 0) {
  let started = 0;
  setInterval(() => {
    const now = Date.now();
    if (started === 0) started = now;
    const due = Math.floor((now - started) * rate / 1000);
    while (published < due) publishOne(now);
  }, 1);
} else {
  const burst = () => {
    if (nSubscribers > 0) {
      const now = Date.now();
      for (let i = 0; i < 64; i++) publishOne(now);
    }
    setImmediate(burst);
  };
  setImmediate(burst);
}

wss.on('listening', () => {
  console.log('listening ' + wss.address().port);
});
