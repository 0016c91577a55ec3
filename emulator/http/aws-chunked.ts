/**
 * Decodes an `aws-chunked` body (SigV4 streaming uploads, with or without chunk signatures, with or
 * without trailing checksums): `<hex size>[;ext]\r\n<data>\r\n ... 0[;ext]\r\n[trailers]\r\n`.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('aws-chunked body ends inside a chunk header');
    const header = body.subarray(offset, lineEnd).toString('latin1');
    const size = Number.parseInt(header.split(';')[0]!, 16);
    if (!Number.isFinite(size) || size < 0)
      throw new Error(`aws-chunked body has a bad chunk size "${header}"`);
    offset = lineEnd + 2;
    if (size === 0) return Buffer.concat(parts);
    if (offset + size > body.length) throw new Error('aws-chunked body is shorter than its chunk sizes');
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
}

export function isAwsChunked(headers: Record<string, string | string[] | undefined>): boolean {
  const sha = headers['x-amz-content-sha256'];
  const encoding = headers['content-encoding'];
  return (
    (typeof sha === 'string' && sha.startsWith('STREAMING-')) ||
    (typeof encoding === 'string' && encoding.split(',').some((e) => e.trim() === 'aws-chunked'))
  );
}
