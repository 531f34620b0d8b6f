import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { JsonObject } from '../../core/json';

export interface AnswerFile {
  readonly path: string;
  /** A plain basename; the client writes the part to `<its tmpdir>/<name>`. */
  readonly name: string;
}

/**
 * The infer answer exactly as MONAI Label's MultipartEncoder frames it: a `params` JSON part first (no filename),
 * then the label file part, CRLF-joined, with an explicit Content-Length. The Python client parses this with
 * `cgi.FieldStorage` on the raw socket, which breaks on chunked transfer encoding, so the length is computed up
 * front and the file is streamed after it.
 */
export async function sendMultipartAnswer(res: Response, params: JsonObject, file: AnswerFile): Promise<void> {
  const boundary = randomBytes(16).toString('hex');
  const head = Buffer.from(
    `--${boundary}\r\n` +
      'Content-Disposition: form-data; name="params"\r\n' +
      'Content-Type: application/json\r\n\r\n' +
      `${JSON.stringify(params)}\r\n` +
      `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="image"; filename="${file.name}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const size = (await fs.promises.stat(file.path)).size;
  res.status(200);
  res.setHeader('Content-Type', `multipart/form-data; boundary=${boundary}`);
  res.setHeader('Content-Length', String(head.length + size + tail.length));
  res.write(head);
  await pipeline(fs.createReadStream(file.path), res, { end: false });
  res.end(tail);
}
