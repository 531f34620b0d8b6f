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
 * Reads one raw answer from `socket` until the server closes or Content-Length is reached, then destroys the socket.
 * Rejects if the connection closes before a full answer.
 */
export function readRawResponse(socket: net.Socket): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return;
      const [statusLine = '', ...headerLines] = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = headerLines.map((line) => {
        const i = line.indexOf(':');
        return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()] as const;
      });
      const header = (name: string) => headers.find(([k]) => k === name.toLowerCase())?.[1];
      const length = header('content-length');
      const body = all.subarray(split + 4);
      if (length !== undefined && body.length < Number(length)) return;
      settled = true;
      socket.destroy();
      resolve({ statusLine, status: Number(statusLine.split(' ')[1]), headers, header, body: length !== undefined ? body.subarray(0, Number(length)) : body });
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
  });
}

/** The head of a request the way Python's http.client sends it (Host, Accept-Encoding: identity, then `headers`). */
export function rawRequestHead(port: number, method: string, target: string, headers: readonly string[] = []): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Accept-Encoding: identity', ...headers];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/**
 * One request on a fresh socket, the way Python's http.client sends it (Host, Accept-Encoding: identity, lowercase
 * content-type/content-length), reading the raw answer bytes until the server closes or Content-Length is reached.
 */
export function rawRequest(port: number, method: string, target: string, body?: { contentType: string; bytes: Buffer }, extraHeaders: string[] = []): Promise<RawResponse> {
  const socket = net.connect(port, '127.0.0.1');
  const answer = readRawResponse(socket);
  const headers = body ? [...extraHeaders, `content-type: ${body.contentType}`, `content-length: ${body.bytes.length}`] : extraHeaders;
  socket.write(Buffer.concat([rawRequestHead(port, method, target, headers), body?.bytes ?? Buffer.alloc(0)]));
  return answer;
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

/** A file part: one with a file name. */
export type FilePart = MultipartPart & { readonly filename: string };

/**
 * The answer of `POST /infer` with a label: exactly a `params` part (JSON, returned parsed) and then one file part,
 * split as cgi does; throws naming the parts found for any other layout.
 */
export function inferAnswerParts(contentType: string | undefined, body: Buffer): { params: Record<string, unknown>; file: FilePart } {
  if (contentType === undefined) throw new Error('the answer has no content-type');
  const parts = parseMultipartLikeCgi(contentType, body);
  const [params, file] = parts;
  if (parts.length !== 2 || params?.name !== 'params' || params.filename !== undefined || file?.filename === undefined) {
    throw new Error(`expected a params part and one file part, got ${JSON.stringify(parts.map((p) => ({ name: p.name, filename: p.filename })))}`);
  }
  return { params: JSON.parse(params.value.toString('utf8')) as Record<string, unknown>, file: { ...file, filename: file.filename } };
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
