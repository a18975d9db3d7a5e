// SPDX-License-Identifier: GPL-3.0-or-later
//
// The reference for bench-ws-rr.sh: a minimal WebSocket server on the `ws`
// package doing what kantord does for a heartbeat (parse the request, check
// it, answer with an envelope built by JSON.stringify), so that the ratio
// compares two servers doing the same work.
//
// node peer.js [PORT]   (0 or nothing: any free port; prints "listening PORT")

'use strict';

const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 0);
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate: false,
  maxPayload: 1024 * 1024,
});

function envelope(type, id, fields) {
  const msg = { version: '1.0', timestamp: new Date().toISOString(), type };
  if (id !== undefined && id !== null) msg.id = id;
  return JSON.stringify(Object.assign(msg, fields));
}

function error(id, code, message) {
  return envelope('error', id, { error_code: code, error_message: message });
}

wss.on('connection', (ws) => {
  ws.send(envelope('status', null, {
    status: 'connected',
    client_id: crypto.randomUUID(),
    server_version: 'peer',
    authenticated: false,
    features: ['heartbeat'],
  }));

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'Binary messages are not supported');
      return;
    }
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      ws.send(error(null, 'invalid_json', 'The message is not a JSON object.'));
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      ws.send(error(null, 'invalid_json', 'The message must be a JSON object.'));
      return;
    }
    const id = msg.id;
    if (id !== undefined && id !== null && typeof id !== 'string' && !Number.isInteger(id)) {
      ws.send(error(null, 'validation_error', 'The id must be a string or an integer.'));
      return;
    }
    if (msg.type === 'heartbeat') {
      ws.send(envelope('status', id, { status: 'pong' }));
    } else {
      ws.send(error(id, 'unknown_message_type', 'The message type is not known.'));
    }
  });
});

wss.on('listening', () => {
  console.log(`listening ${wss.address().port}`);
});
