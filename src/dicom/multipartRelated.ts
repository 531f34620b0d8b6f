import { randomBytes } from 'node:crypto';

/** One body part of a multipart/related message. */
export interface MultipartPart {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** The boundary parameter of a multipart Content-Type header, or an error naming the header. */
export function boundaryOf(contentType: string): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (boundary === undefined || !/^multipart\//i.test(contentType.trim())) throw new Error(`expected a multipart response, got Content-Type "${contentType}"`);
  return boundary;
}

/** Splits a complete multipart body (RFC 2046) into its parts. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error(`multipart body has no boundary "${boundary}"`);
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing "--boundary--"
    const headerStart = body.indexOf('\r\n', pos) + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart - 2);
    if (headerStart < 2 || headerEnd < 0) throw new Error('multipart part without a header block');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) throw new Error('multipart body ends without a closing boundary');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(headerStart, headerEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

/** A multipart/related body of DICOM files, for STOW-RS; returns the Content-Type to send with it. */
export function buildMultipartDicom(files: readonly Uint8Array[]): { body: Buffer; contentType: string } {
  const boundary = `wbct-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const file of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\nContent-Length: ${file.byteLength}\r\n\r\n`));
    chunks.push(Buffer.from(file.buffer, file.byteOffset, file.byteLength));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}
