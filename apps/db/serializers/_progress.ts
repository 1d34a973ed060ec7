/**
 * Progress of a long load on stderr: a bar redrawn in place on a terminal, or a plain line
 * every few seconds otherwise (CI logs), so that nothing is drawn for loads that end quickly.
 *
 * @module
 */

/** Options of {@linkcode Progress}. */
export interface ProgressOptions {
  /** Where the text goes (stderr); lines end with `\n`, a redrawn bar starts with `\r`. */
  write: (text: string) => void;
  /** Redraw a bar in place (stderr is a terminal) instead of printing lines. */
  terminal: boolean;
  /** The total bytes of all fixtures, when every size is known (for a percentage). */
  totalBytes?: number;
  /** Milliseconds between plain lines; 5000 when left out. */
  lineInterval?: number;
  /** Milliseconds between redraws of the bar; 100 when left out. */
  drawInterval?: number;
  /** The bar's width in columns; 20 when left out. */
  barWidth?: number;
  /** The clock, in milliseconds (for tests). */
  now?: () => number;
}

/** A load's progress: call {@linkcode Progress.update} often, it draws only now and then. */
export class Progress {
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #interval: number;
  #last: number;
  #drawn = false;
  #calls = 0;
  /** Objects read so far. */
  objects = 0;
  /** Bytes read so far. */
  bytes = 0;
  /** The fixture being read. */
  file = "";

  /** Starts the clock. */
  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#interval = options.terminal ? options.drawInterval ?? 100 : options.lineInterval ?? 5000;
    this.#last = this.#now();
  }

  /** Notes that one more object was read; draws when it is time. */
  tick(): void {
    this.objects++;
    // Reading the clock costs more than counting: look at it every 256 objects.
    if ((++this.#calls & 255) === 0) this.#maybeDraw();
  }

  #maybeDraw(): void {
    const now = this.#now();
    if (now - this.#last < this.#interval) return;
    this.#last = now;
    this.#draw();
  }

  /** The state in words: `12,000 objects, 45% (shop.json)`. */
  describe(): string {
    const total = this.#options.totalBytes;
    const percent = total ? `, ${Math.min(100, Math.floor((this.bytes / total) * 100))}%` : "";
    return `${this.objects.toLocaleString("en-US")} objects${percent}` +
      (this.file ? ` (${this.file})` : "");
  }

  #draw(): void {
    if (!this.#options.terminal) {
      this.#options.write(`Loading fixtures: ${this.describe()}\n`);
      return;
    }
    const total = this.#options.totalBytes;
    const width = this.#options.barWidth ?? 20;
    const filled = total ? Math.min(width, Math.floor((this.bytes / total) * width)) : 0;
    const bar = total ? `[${"#".repeat(filled)}${".".repeat(width - filled)}] ` : "";
    this.#options.write(`\r\x1b[2KLoading fixtures ${bar}${this.describe()}`);
    this.#drawn = true;
  }

  /** Clears the bar from the terminal (plain lines stay). */
  done(): void {
    if (this.#drawn) this.#options.write("\r\x1b[2K");
    this.#drawn = false;
  }
}
