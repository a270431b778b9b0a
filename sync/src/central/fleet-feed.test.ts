// The live stream's scheduling (fleet-feed.ts) against a scripted source: what each comparison is asked to
// render after pokes and ticks, which rows it sends, and that a poke during a comparison is not lost.
import { describe, expect, it } from 'vitest';
import { fakeEventStream } from './fake-event-stream.js';
import { FleetFeed, type FleetSource, type FleetView, type RowScope } from './fleet-feed.js';

/** Rows K1…Kn (their HTML from `html`); each comparison is recorded and may be held until released. */
function scriptedSource(n: number) {
  const html = new Map(Array.from({ length: n }, (_, i) => [`K${i + 1}`, `<tr>K${i + 1}</tr>`]));
  const calls: { scope: 'all' | string[]; periodic: boolean }[] = [];
  let hold: Promise<void> | null = null;
  let rendered = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const view = (ids: Iterable<string>): FleetView => ({
    rows: new Map([...ids].map((id) => [id, html.get(id)!])),
    alarms: { html: '', count: 0 },
    empty: '',
  });
  const source: FleetSource = {
    snapshot: async () => view(html.keys()),
    compare: async (scope: RowScope, periodic: boolean) => {
      calls.push({ scope: scope === 'all' ? 'all' : [...scope].sort(), periodic });
      if (hold) await hold;
      const v = view(scope === 'all' ? html.keys() : scope);
      rendered += 1;
      for (const w of waiting.filter((x) => x.n <= rendered)) setImmediate(w.resolve);
      return v;
    },
  };
  return {
    source,
    html,
    calls,
    /** Resolves once the n-th comparison has rendered and the feed has sent what changed. */
    compared: (n: number) => new Promise<void>((resolve) => waiting.push({ n, resolve })),
    holdCompares() {
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

/** One stream on `feed`, counting how often its session is asked about. */
async function watching(feed: FleetFeed) {
  const r = fakeEventStream();
  let asked = 0;
  await feed.attach(r.res as never, async () => {
    asked += 1;
    return true;
  });
  return { r, asked: () => asked };
}

describe('FleetFeed', () => {
  it('compares only the rows of the appliances poked in one turn, without asking the sessions', async () => {
    const s = scriptedSource(200);
    const feed = new FleetFeed(s.source, { tickMs: 3_600_000 });
    const { r, asked } = await watching(feed);
    expect(r.events().map((e) => e.event)).toEqual(['snapshot']);
    s.html.set('K7', '<tr>K7 changed</tr>');
    const done = s.compared(1);
    feed.poke('K7');
    feed.poke('K9');
    feed.poke('K7');
    await done;
    expect(s.calls).toEqual([{ scope: ['K7', 'K9'], periodic: false }]);
    expect(r.events().slice(1)).toEqual([{ event: 'row', data: { id: 'K7', html: '<tr>K7 changed</tr>' } }]);
    expect(asked()).toBe(0);
    feed.closeAll();
  });

  it('compares every row and asks the sessions after a poke without an appliance', async () => {
    const s = scriptedSource(3);
    const feed = new FleetFeed(s.source, { tickMs: 3_600_000 });
    const { asked } = await watching(feed);
    const done = s.compared(1);
    feed.poke('K1');
    feed.poke();
    await done;
    expect(s.calls).toEqual([{ scope: 'all', periodic: false }]);
    expect(asked()).toBe(1);
    feed.closeAll();
  });

  it('asks a tick for what changed unpoked, and for every row every fullCompareTicks ticks', async () => {
    const s = scriptedSource(3);
    const feed = new FleetFeed(s.source, { tickMs: 3_600_000, fullCompareTicks: 3 });
    const { asked } = await watching(feed);
    for (let i = 0; i < 6; i++) await feed.tick();
    expect(s.calls.map((c) => c.scope)).toEqual([[], [], 'all', [], [], 'all']);
    expect(s.calls.every((c) => c.periodic)).toBe(true);
    expect(asked()).toBe(6);
    feed.closeAll();
  });

  it('compares again after the comparison under way what was poked meanwhile', async () => {
    const s = scriptedSource(5);
    const feed = new FleetFeed(s.source, { tickMs: 3_600_000 });
    const r = fakeEventStream();
    await feed.attach(r.res as never, async () => true);
    const release = s.holdCompares();
    feed.poke('K1');
    // The first comparison has started (and waits); K2 and K3 change and are poked meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.calls).toHaveLength(1);
    s.html.set('K2', '<tr>K2 changed</tr>');
    s.html.set('K3', '<tr>K3 changed</tr>');
    feed.poke('K2');
    feed.poke('K3');
    const second = s.compared(2);
    release();
    await second;
    expect(s.calls.map((c) => c.scope)).toEqual([['K1'], ['K2', 'K3']]);
    expect(
      r
        .events()
        .filter((e) => e.event === 'row')
        .map((e) => (e.data as { id: string }).id),
    ).toEqual(['K2', 'K3']);
    feed.closeAll();
  });
});
