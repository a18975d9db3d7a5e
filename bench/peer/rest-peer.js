// SPDX-License-Identifier: GPL-3.0-or-later
//
// The reference for bench-rest-rr.sh: Node's own HTTP server doing what
// kantord does for GET /api/v1/sessions with no session running: route the
// path, check the method and the Bearer header, and answer the envelope
// (JSON.stringify) with its status, Content-Type and Cache-Control, so that
// the ratio compares two servers doing the same work.
//
// node rest-peer.js [PORT]   (0 or nothing: any free port; prints "listening PORT")

'use strict';

const crypto = require('crypto');
const http = require('http');

const port = Number(process.argv[2] || 0);

function send(res, status, body) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function envelope(type, id, fields) {
  const msg = { version: '1.0', timestamp: new Date().toISOString(), type };
  if (id !== undefined && id !== null) msg.id = id;
  return JSON.stringify(Object.assign(msg, fields));
}

const server = http.createServer((req, res) => {
  const id = req.headers['x-request-id'] || crypto.randomUUID();

  if (req.url.split('?')[0] !== '/api/v1/sessions') {
    send(res, 404, envelope('error', null, { error_code: 'not_found',
                                             error_message: 'Nothing is served at this path.' }));
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET, POST');
    send(res, 405, envelope('error', null, { error_code: 'method_not_allowed',
                                             error_message: 'This path does not accept that method.' }));
    return;
  }
  const auth = req.headers.authorization;
  if (!auth || !auth.startsWith('Bearer ') || auth.length <= 7) {
    send(res, 401, envelope('error', id, { error_code: 'authentication_required',
                                           error_message: 'Authenticate first.' }));
    return;
  }
  send(res, 200, envelope('response', id, { status: 'no_active_session',
                                            data: { sessions: [], count: 0 } }));
});

server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
