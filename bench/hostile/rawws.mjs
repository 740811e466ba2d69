// A WebSocket client on a bare TCP socket, for what a well-behaved library will not send: frames of our
// choosing (masked, fragmented, control frames, invalid UTF-8), in our order, with reading paused at will.
// Only what the attacks need: the upgrade, masked frames out, and a reader that finds the server's answers
// (text frames, the close code) in what arrives.
import net from 'node:net';
import crypto from 'node:crypto';

export const OP = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa };

/** One client frame, masked (RFC 6455 5.3): build once, write to as many sockets as wanted. */
export function frame(opcode, payload = Buffer.alloc(0), fin = true) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = data.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) { out[1] = 0x80 | 126; out.writeUInt16BE(len, 2); }
  else { out[1] = 0x80 | 127; out.writeBigUInt64BE(BigInt(len), 2); }
  const mask = crypto.randomBytes(4);
  mask.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = data[i] ^ mask[i & 3];
  return out;
}

export const text = (s) => frame(OP.TEXT, Buffer.from(s));

/**
 * Connects and upgrades. Resolves {socket, status, reader} once the response head has arrived: status 101
 * means a WebSocket; anything else is the HTTP status the server answered. Rejects on a connect error or
 * when nothing complete arrives within timeoutMs.
 */
export function connect({ host = '127.0.0.1', port, path = '/eventbus/websocket', localAddress, timeoutMs = 10000 }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress });
    let head = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => fail(new Error('timeout')), timeoutMs);
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.setNoDelay(true);
    socket.once('error', fail);
    socket.once('close', () => fail(new Error(head.length ? 'closed during upgrade' : 'closed before answering')));
    socket.once('connect', () => {
      const key = crypto.randomBytes(16).toString('base64');
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      const reader = new FrameReader(socket);
      reader.push(head.subarray(end + 4));
      resolve({ socket, status, reader });
    };
    socket.on('data', onData);
  });
}

/**
 * Reads server frames from a socket: calls onText(string) for text frames and records how the connection
 * ended (`outcome`: 'close <code>', 'reset', 'eof without close', 'error <code>'). Pause the socket to stop
 * reading; whatever queues meanwhile is parsed once it resumes.
 */
export class FrameReader {
  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.outcome = null;
    this.onText = null;
    this.onEnd = null;
    this.pongs = 0;
    socket.on('data', (c) => this.push(c));
    socket.on('error', (e) => this.end(e.code === 'ECONNRESET' ? 'reset' : e.code === 'EPIPE' ? 'reset' : `error ${e.code ?? e.message}`));
    socket.on('close', () => this.end('eof without close'));
  }

  push(chunk) {
    if (chunk.length === 0) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const opcode = b[0] & 0x0f;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b[1] & 0x80) off += 4; // servers do not mask; tolerate it all the same
      if (b.length < off + len) return;
      const payload = b.subarray(off, off + len);
      this.buf = b.subarray(off + len);
      if (opcode === OP.TEXT && this.onText) this.onText(payload.toString('utf8'));
      else if (opcode === OP.PONG) this.pongs++;
      else if (opcode === OP.CLOSE) this.end(`close ${len >= 2 ? payload.readUInt16BE(0) : 'without code'}`);
    }
  }

  end(outcome) {
    if (this.outcome) return;
    this.outcome = outcome;
    if (this.onEnd) this.onEnd(outcome);
  }
}
