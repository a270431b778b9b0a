// Array helpers for async callbacks, one element at a time (in order: side effects and clocks stay sequential).

export async function mapSeq<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  let i = 0;
  for (const item of items) out.push(await fn(item, i++));
  return out;
}

export async function filterSeq<T>(items: Iterable<T>, keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (const item of items) if (await keep(item)) out.push(item);
  return out;
}
