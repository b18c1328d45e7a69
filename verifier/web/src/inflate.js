// Decompression with a hard output bound (passport/inflate.py): a small input never becomes a
// large allocation. pako is zlib's inflate, ported: it refuses every stream Python's zlib
// refuses (a stored block whose length check fails, an incomplete Huffman code...), so the
// page and Python read the same QR texts and status lists.
import ZStream from "pako/lib/zlib/zstream.js";
import * as zlib from "pako/lib/zlib/inflate.js";

export const Z_STREAM_END = 1;

/** Inflate at most `limit` + 1 bytes of `data` (windowBits as zlib's: -15 raw deflate, 31
 * GZIP), with an optional preset dictionary: zlib's status (negative: corrupt), the output,
 * the input left unread and zlib's message. */
export function inflateBounded(data, { windowBits, limit, zdict = null }) {
  const strm = new ZStream();
  zlib.inflateInit2(strm, windowBits);
  if (zdict) zlib.inflateSetDictionary(strm, zdict);
  Object.assign(strm, { input: data, next_in: 0, avail_in: data.length,
    output: new Uint8Array(limit + 1), next_out: 0, avail_out: limit + 1 });
  const status = zlib.inflate(strm, 0);  // Z_NO_FLUSH, as Python's decompress
  return { status, out: strm.output.subarray(0, strm.next_out), left: strm.avail_in, msg: strm.msg };
}
