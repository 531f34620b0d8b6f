import * as net from 'node:net';

export interface RawResponse {
  readonly statusLine: string;
  readonly status: number;
  /** Header names lower-cased, in arrival order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  header(name: string): string | undefined;
  readonly body: Buffer;
}

/**
 * One request on a fresh socket, the way Python's http.client sends it (Host, Accept-Encoding: identity, lowercase
 * content-type/content-length), reading the raw answer bytes until the server closes or Content-Length is reached.
 */
export function rawRequest(port: number, method: string, target: string, body?: { contentType: string; bytes: Buffer }, extraHeaders: string[] = []): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return;
      const head = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = head.slice(1).map((line) => {
        const i = line.indexOf(':');
        return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()] as const;
      });
      const header = (name: string) => headers.find(([k]) => k === name.toLowerCase())?.[1];
      const length = header('content-length');
      const body = all.subarray(split + 4);
      if (length !== undefined && body.length < Number(length)) return;
      settled = true;
      socket.destroy();
      resolve({ statusLine: head[0], status: Number(head[0].split(' ')[1]), headers, header, body: length !== undefined ? body.subarray(0, Number(length)) : body });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      finish();
    });
    socket.on('end', () => {
      finish();
      if (!settled) reject(new Error(`connection closed before a full answer (${Buffer.concat(chunks).length} bytes)`));
    });
    socket.on('error', reject);
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Accept-Encoding: identity', ...extraHeaders];
    if (body) lines.push(`content-type: ${body.contentType}`, `content-length: ${body.bytes.length}`);
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body?.bytes ?? Buffer.alloc(0)]));
  });
}

export interface MultipartPart {
  readonly name: string;
  readonly filename?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: Buffer;
}

/**
 * Splits a multipart body as Python's `cgi.FieldStorage` does: the boundary from the Content-Type, parts delimited by
 * CRLF `--boundary` lines, part headers up to the first blank line, the CRLF before the next delimiter not part of
 * the value. Throws on anything cgi would mis-parse (missing final delimiter, header-less part).
 */
export function parseMultipartLikeCgi(contentType: string, body: Buffer): MultipartPart[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${match[1]}`, 'latin1');
  if (body.indexOf(delimiter) !== 0) throw new Error('body does not start with the boundary line');
  const parts: MultipartPart[] = [];
  let pos = delimiter.length;
  for (;;) {
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') break;
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') throw new Error(`boundary line not ended by CRLF at ${pos}`);
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos + 2, headerEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('part not closed by a boundary line');
    const disposition = headers['content-disposition'] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) throw new Error(`part without a name: ${disposition}`);
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    parts.push({ name, filename, headers, value: body.subarray(headerEnd + 4, next) });
    pos = next + 2 + delimiter.length;
  }
  if (body.subarray(pos).toString('latin1') !== '--\r\n') throw new Error('final boundary not followed by exactly --CRLF');
  return parts;
}

/** The Slicer client's request body: its literal boundary, `params` first, optional file parts with full local paths. */
export const SLICER_BOUNDARY = '----------lImIt_of_THE_fIle_eW_$';

export function slicerMultipartBody(params: object, files: ReadonlyArray<{ field: string; filename: string; bytes: Buffer }> = []): { contentType: string; bytes: Buffer } {
  const parts: Buffer[] = [Buffer.from(`--${SLICER_BOUNDARY}\r\nContent-Disposition: form-data; name="params"\r\n\r\n${JSON.stringify(params)}\r\n`)];
  for (const f of files) {
    parts.push(Buffer.from(`--${SLICER_BOUNDARY}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), f.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${SLICER_BOUNDARY}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${SLICER_BOUNDARY}`, bytes: Buffer.concat(parts) };
}
