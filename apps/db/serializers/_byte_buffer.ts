// The buffer the dumper writes fixture bytes into: it grows as needed, is handed on whenever it
// passes a size, and writes JSON string escapes and padded numbers as bytes.

const HEX = new TextEncoder().encode("0123456789abcdef");

/** A growing byte buffer handed to `flush` whenever it passes a size. */
export class ByteBuffer {
  #buffer: Uint8Array;
  /** Bytes written so far (before the next flush). */
  length = 0;
  readonly #flushAt: number;
  readonly #flush: (bytes: Uint8Array) => void;

  /**
   * `flush` gets a view of the buffer, valid until it returns (copy it to keep it). The buffer
   * is flushed when it holds `flushAt` bytes or more after a whole object.
   */
  constructor(flush: (bytes: Uint8Array) => void, flushAt = 256 * 1024) {
    this.#flushAt = flushAt;
    this.#buffer = new Uint8Array(Math.min(flushAt, 1 << 20) * 2);
    this.#flush = flush;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.#buffer.length) return;
    const bigger = new Uint8Array(Math.max(this.#buffer.length * 2, this.length + n));
    bigger.set(this.#buffer.subarray(0, this.length));
    this.#buffer = bigger;
  }

  /** Appends bytes. */
  bytes(bytes: Uint8Array): void {
    this.copy(bytes, 0, bytes.length);
  }

  /** Appends `source[start, end)`. */
  copy(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.reserve(n);
    const buffer = this.#buffer;
    if (n < 48) {
      // A loop beats TypedArray.set for the short pieces that most values are.
      let at = this.length;
      for (let i = start; i < end; i++) buffer[at++] = source[i];
    } else buffer.set(source.subarray(start, end), this.length);
    this.length += n;
  }

  /** Appends one byte (room must have been reserved). */
  byte(value: number): void {
    this.#buffer[this.length++] = value;
  }

  /** Appends ASCII text. */
  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.#buffer[this.length++] = text.charCodeAt(i);
  }

  /** Appends an integer's digits (room must have been reserved: 21 bytes). */
  integer(value: number): void {
    if (value < 0) {
      this.#buffer[this.length++] = 0x2d;
      value = -value;
    }
    if (value < 10) {
      this.#buffer[this.length++] = 0x30 + value;
      return;
    }
    let digits = 0;
    for (let v = value; v >= 1; v = Math.floor(v / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    while (value >= 1) {
      const next = Math.floor(value / 10);
      this.#buffer[--at] = 0x30 + (value - next * 10);
      value = next;
    }
  }

  /** Appends `value` as `width` digits with leading zeros (room reserved). */
  padded(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) {
      this.#buffer[this.length + i] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    }
    this.length += width;
  }

  /** Appends `source[start, end)` as the body of a JSON string, escaped. */
  escaped(source: Uint8Array, start: number, end: number): void {
    let from = start;
    for (let i = start; i < end; i++) {
      const c = source[i];
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
      this.copy(source, from, i);
      from = i + 1;
      this.reserve(6);
      this.#buffer[this.length++] = 0x5c;
      switch (c) {
        case 0x22:
        case 0x5c:
          this.#buffer[this.length++] = c;
          break;
        case 0x08:
          this.#buffer[this.length++] = 0x62; // b
          break;
        case 0x0c:
          this.#buffer[this.length++] = 0x66; // f
          break;
        case 0x0a:
          this.#buffer[this.length++] = 0x6e; // n
          break;
        case 0x0d:
          this.#buffer[this.length++] = 0x72; // r
          break;
        case 0x09:
          this.#buffer[this.length++] = 0x74; // t
          break;
        default:
          this.#buffer[this.length++] = 0x75; // u00XX, lower case as Python and JavaScript
          this.#buffer[this.length++] = 0x30;
          this.#buffer[this.length++] = 0x30;
          this.#buffer[this.length++] = HEX[c >> 4];
          this.#buffer[this.length++] = HEX[c & 15];
      }
    }
    this.copy(source, from, end);
  }

  /** Appends JSON text with the space after each `,` outside strings dropped. */
  compactJson(source: Uint8Array, start: number, end: number): void {
    let from = start;
    let inString = false;
    for (let i = start; i < end; i++) {
      const c = source[i];
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x2c && source[i + 1] === 0x20) {
        this.copy(source, from, i + 1);
        from = i + 2;
        i++;
      }
    }
    this.copy(source, from, end);
  }

  /** The bytes written since `start` (a view, valid until the next write). */
  since(start: number): Uint8Array {
    return this.#buffer.subarray(start, this.length);
  }

  /** Drops the bytes after `start`. */
  truncate(start: number): void {
    this.length = start;
  }

  /** Hands what is buffered to `flush` when it has reached the flush size (or `force`). */
  flush(force = false): void {
    if (this.length === 0 || (!force && this.length < this.#flushAt)) return;
    this.#flush(this.#buffer.subarray(0, this.length));
    this.length = 0;
  }
}
