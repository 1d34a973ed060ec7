// Where a fixture stops being UTF-8: the reader decodes with a fatal decoder, which says only
// that a chunk is broken; these find the offset of the first byte that is not UTF-8, counting the
// end of a character the decoder held back from the chunk before, so that the error can name it.

/** `a` then `b`, in one array. */
export function concat(a: Uint8Array, b: Uint8Array | undefined): Uint8Array {
  const bytes = new Uint8Array(a.length + (b?.length ?? 0));
  bytes.set(a);
  if (b) bytes.set(b, a.length);
  return bytes;
}

/**
 * The end of `chunk` (the last bytes read) that a streaming decoder keeps for the next chunk:
 * the start of a character cut off by the chunk's end (up to 3 bytes).
 */
export function heldBack(chunk: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const byte = chunk[chunk.length - back];
    if (byte < 0x80) break;
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return length > back ? chunk.subarray(chunk.length - back) : new Uint8Array(0);
    }
  }
  return new Uint8Array(0);
}

/**
 * The offset of the first byte in `bytes` that starts no valid UTF-8 sequence (as the Encoding
 * standard decodes: no overlong forms, surrogates or code points past U+10FFFF), or of a
 * sequence the end cuts off; `bytes.length` when all is valid.
 */
export function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    if (byte < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) need = 1;
    else if (byte >= 0xe0 && byte <= 0xef) {
      need = 2;
      if (byte === 0xe0) low = 0xa0;
      if (byte === 0xed) high = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      need = 3;
      if (byte === 0xf0) low = 0x90;
      if (byte === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < low || next > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += need + 1;
  }
  return i;
}
