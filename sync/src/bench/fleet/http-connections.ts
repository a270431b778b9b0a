// The load generator's HTTP/1.1 client: keep-alive sockets to one origin, one request at a time on each, a
// new socket when every open one is busy (as undici's Pool does with pipelining 1). Requests go out as bytes
// the caller built (`encodeRequest`), so a step can build and authenticate its heartbeats before its measured window;
// answers are read by their Content-Length. Built for the generator's CPU: at 1,700 requests/s beside central
// and PostgreSQL on two cores, undici's request() and its body stream cost more per request than this whole
// client, and that CPU is taken from the processes being measured. Not a general client: no chunked answers,
// no redirects, no TLS (the fleet load runs on loopback).
import { connect, type Socket } from 'node:net';

export interface HttpAnswer {
  status: number;
  /** From the request's write to the answer's last byte. */
  ms: number;
  body: string;
}

/** One HTTP/1.1 POST with a JSON body, as bytes ready to write. */
export function encodeRequest(
  host: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Buffer {
  const payload = Buffer.from(body, 'utf8');
  let head = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\naccept: application/json\r\ncontent-length: ${payload.length}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);
}

interface Pending {
  startedAt: number;
  resolve: (a: HttpAnswer) => void;
  reject: (e: Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

class Connection {
  readonly socket: Socket;
  pending: Pending | undefined;
  closed = false;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(
    port: number,
    host: string,
    private readonly onIdle: (c: Connection) => void,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.socket = connect({ port, host, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (e) => this.close(e));
    this.socket.on('close', () =>
      this.close(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' })),
    );
  }

  send(bytes: Buffer, p: Pending): void {
    this.pending = p;
    this.socket.write(bytes);
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffered.toString('latin1', 0, end);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.close(new Error(`answer without content-length: ${head.split('\r\n')[0]}`));
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffered.length < total) return;
    const body = this.buffered.toString('utf8', end + 4, total);
    if (this.buffered.length > total) {
      this.close(new Error('bytes after an answer to the one request in flight'));
      return;
    }
    this.buffered = Buffer.alloc(0);
    const p = this.pending;
    this.pending = undefined;
    if (p) p.resolve({ status: Number(head.slice(9, 12)), ms: performance.now() - p.startedAt, body });
    this.onIdle(this);
  }

  close(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
    this.onClose(this);
  }
}

/** Keep-alive connections to one origin (`http://host:port`); requests beyond the open sockets open more. */
export class HttpConnections {
  private readonly host: string;
  private readonly port: number;
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    origin: string,
    private readonly timeoutMs = 10_000,
  ) {
    const url = new URL(origin);
    if (url.protocol !== 'http:')
      throw new Error(`HttpConnections speaks plain HTTP only, not ${url.protocol}`);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    // One timer for every request's timeout, rather than one per request.
    this.sweep = setInterval(() => this.expire(), Math.min(500, timeoutMs)).unref();
  }

  /** The Host header's value. */
  get authority(): string {
    return `${this.host}:${this.port}`;
  }

  /** Write `bytes` (from encodeRequest) and await the answer; rejects when none came (refused, reset, timeout). */
  request(bytes: Buffer): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      let c = this.idle.pop();
      while (c?.closed) c = this.idle.pop();
      if (!c) {
        c = new Connection(
          this.port,
          this.host,
          (idle) => this.idle.push(idle),
          (gone) => this.open.delete(gone),
        );
        this.open.add(c);
      }
      c.send(bytes, { startedAt: performance.now(), resolve, reject });
    });
  }

  private expire(): void {
    const now = performance.now();
    for (const c of this.open) {
      if (c.pending && now - c.pending.startedAt > this.timeoutMs)
        c.close(Object.assign(new Error(`no answer in ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }
  }

  close(): void {
    clearInterval(this.sweep);
    for (const c of this.open) c.close(new Error('closed'));
  }
}
