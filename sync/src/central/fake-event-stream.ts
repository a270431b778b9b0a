// Test support: a stand-in for the HTTP response a Server-Sent Events stream writes to (fleet-feed.ts), keeping
// what was written and reading it back as events.

export interface StreamEvent {
  event: string;
  data: unknown;
}

export function fakeEventStream() {
  const written: string[] = [];
  const events = (): StreamEvent[] =>
    written
      .join('')
      .split('\n\n')
      .filter((b) => b.startsWith('event: '))
      .map((b) => ({
        event: b.slice(7, b.indexOf('\n')),
        data: JSON.parse(b.slice(b.indexOf('data: ') + 6)),
      }));
  return {
    written,
    events,
    /** The `row` events' payloads. */
    rows: () => events().flatMap((e) => (e.event === 'row' ? [e.data as { id: string; html: string }] : [])),
    /** The `alarms` events' payloads. */
    alarms: () => events().flatMap((e) => (e.event === 'alarms' ? [e.data] : [])),
    res: {
      writableLength: 0,
      writeHead() {},
      on() {},
      write(chunk: string) {
        written.push(chunk);
        return true;
      },
      destroy() {},
      end() {},
    },
  };
}
