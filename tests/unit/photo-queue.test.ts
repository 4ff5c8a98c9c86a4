import { PHOTO_RETRY_AFTER_SECONDS, PhotoQueue, PhotosBusyError } from '../../src/catalog/photo-queue';

/*
 * The bound on product photos: so many worked on at once, so many waiting, the next one refused
 * at once; and as many files held in memory as the queue can take.
 */

/** Work that ends when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

test('two at once, one waiting, the next refused at once; a finished photo hands its place on', async () => {
  const queue = new PhotoQueue({ concurrency: 2, queue: 1 });
  const started: number[] = [];
  const gates = [gate(), gate(), gate()];
  const runs = gates.map((g, i) =>
    queue.run(async () => {
      started.push(i);
      await g.opened;
      return i;
    }),
  );
  await Promise.resolve();
  expect(started).toEqual([0, 1]);

  const refused = queue.run(async () => 'never');
  await expect(refused).rejects.toBeInstanceOf(PhotosBusyError);
  await expect(refused).rejects.toMatchObject({ retryAfterSeconds: PHOTO_RETRY_AFTER_SECONDS });

  gates[0].open();
  expect(await runs[0]).toBe(0);
  expect(started).toEqual([0, 1, 2]);
  gates[1].open();
  gates[2].open();
  expect(await Promise.all(runs)).toEqual([0, 1, 2]);

  // Empty again: two more run at once.
  const later = [gate(), gate()];
  const more = later.map((g) => queue.run(() => g.opened));
  for (const g of later) g.open();
  await Promise.all(more);
});

test('a photo whose work fails gives its place back', async () => {
  const queue = new PhotoQueue({ concurrency: 1, queue: 0 });
  await expect(queue.run(() => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
  await expect(queue.run(async () => 'next')).resolves.toBe('next');
});

test('files held: as many as the queue works on and holds, each given back once', () => {
  const queue = new PhotoQueue({ concurrency: 2, queue: 1 });
  const held = [queue.hold(), queue.hold(), queue.hold()];
  expect(held.every((release) => typeof release === 'function')).toBe(true);
  expect(queue.hold()).toBeUndefined();
  held[0]!();
  held[0]!();
  expect(queue.hold()).toBeDefined();
  expect(queue.hold()).toBeUndefined();
});
