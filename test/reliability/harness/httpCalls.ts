import * as http from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json<T = unknown>(): T | undefined;
}

export interface CallOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Send the body in pieces of this size with `pauseMs` between them (default: all at once). */
  readonly chunkBytes?: number;
  readonly pauseMs?: number;
  /** After each piece is handed to the socket: bytes sent so far and the total. */
  readonly onSent?: (sent: number, total: number) => void;
  /** Once the whole body has been handed to the socket. */
  readonly onBodySent?: () => void;
  /** As soon as the status line arrives, before the body of the answer. */
  readonly onStatus?: (status: number) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One HTTP request on its own connection (no keep-alive, so a killed server never leaves a pooled socket behind).
 * Rejects when the connection fails or breaks before a complete answer: the outcome of such a write is unknown.
 */
export function call(url: string, options: CallOptions = {}): Promise<HttpAnswer> {
  const body = options.body ?? Buffer.alloc(0);
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: { ...options.headers, 'content-length': String(body.length), connection: 'close' },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      options.onStatus?.(res.statusCode ?? 0);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`${url}: answer cut off`)));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          body: all,
          json: <T>() => {
            try {
              return JSON.parse(all.toString('utf8')) as T;
            } catch {
              return undefined;
            }
          },
        });
      });
    });
    req.on('error', reject);
    void (async () => {
      const piece = options.chunkBytes ?? Math.max(body.length, 1);
      for (let sent = 0; sent < body.length && !answered && !req.destroyed; ) {
        const end = Math.min(body.length, sent + piece);
        if (!req.write(body.subarray(sent, end))) {
          await new Promise<void>((done) => {
            const finish = () => {
              req.off('drain', finish);
              req.off('close', finish);
              done();
            };
            req.on('drain', finish);
            req.on('close', finish);
          });
        }
        sent = end;
        options.onSent?.(sent, body.length);
        if (sent < body.length && options.pauseMs) await sleep(options.pauseMs);
      }
      if (!req.destroyed) req.end(() => options.onBodySent?.());
    })().catch(reject);
  });
}

/** A multipart/form-data body: text fields, then file parts, in order. */
export function multipartBody(fields: Readonly<Record<string, string>>, files: ReadonlyArray<{ field: string; fileName: string; bytes: Buffer }>): { contentType: string; body: Buffer } {
  const boundary = `----wbct${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${f.field}"; filename="${f.fileName}"\r\ncontent-type: application/octet-stream\r\n\r\n`), f.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}

/** `PUT` a multipart upload of one file part (`file` for images, `label` for labels) with `params` `{}`. */
export function putFile(url: string, field: 'file' | 'label', fileName: string, bytes: Buffer, options: Omit<CallOptions, 'method' | 'body' | 'headers'> = {}): Promise<HttpAnswer> {
  const { contentType, body } = multipartBody({ params: '{}' }, [{ field, fileName, bytes }]);
  return call(url, { ...options, method: 'PUT', headers: { 'content-type': contentType }, body });
}

export function postJson(url: string, value: unknown): Promise<HttpAnswer> {
  return call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) });
}
