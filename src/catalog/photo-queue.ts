/**
 * How long a seller turned away by a full queue is asked to wait (Retry-After): a full queue of
 * large photos is worked through in a few seconds.
 */
export const PHOTO_RETRY_AFTER_SECONDS = 5;

/** What the seller is told, beside the photo field of the form shown again with what they typed. */
export const PHOTOS_BUSY_MESSAGE =
  'Too many photos are being processed right now, so nothing was saved: choose your photo again and send the form in a few seconds.';

/** Every place of the queue is taken: the upload is answered 503, and the seller sends it again later. */
export class PhotosBusyError extends Error {
  readonly retryAfterSeconds = PHOTO_RETRY_AFTER_SECONDS;

  constructor() {
    super('Too many photos are being processed right now');
    this.name = 'PhotosBusyError';
  }
}

export interface PhotoQueueOptions {
  /** Photos worked on at once. */
  concurrency: number;
  /** Photos waiting their turn, at most; one more is refused. */
  queue: number;
}

/**
 * The bound on what product photos cost one process. Decoding a 50-megapixel upload takes tens of
 * megabytes for as long as its work lasts, and nothing bounds how many sellers upload at once:
 * unbounded, 140 uploads of one flat 7,070 × 7,070 PNG took a process from 144 MB to 1.15 GB.
 * Here at most `concurrency` photos are worked on, `queue` more wait, and any further one is
 * refused at once (PhotosBusyError).
 *
 * The files themselves are bounded too: a form's file is read into memory only once it holds a
 * place (`hold`), at most `concurrency + queue` of them until their responses end; a file that finds
 * none is not kept (http/middleware/multipart-form.ts), so a flood of uploads is not buffered only
 * to be refused.
 */
export class PhotoQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private held = 0;

  constructor(readonly options: PhotoQueueOptions) {}

  /** Runs `work` in its turn; throws PhotosBusyError, without running it, when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.options.concurrency) this.running++;
    else if (this.waiting.length < this.options.queue) {
      // The photo finishing before it hands its place over: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else throw new PhotosBusyError();
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /**
   * A place for one uploaded file about to be read into memory, as many as the queue can work on
   * and hold; the returned function gives it back (once, however often it is called). Undefined
   * when every place is held.
   */
  hold(): (() => void) | undefined {
    if (this.held >= this.options.concurrency + this.options.queue) return undefined;
    this.held++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.held--;
    };
  }
}
