// The halls' local time (Beijing), in which central's pages show times and an invoice is dated and numbered:
// an invoice issued at 07:30 Beijing time on 1 January is of the new year, though UTC is still in the old one.

export const HALL_TIME_ZONE = 'Asia/Shanghai';

const FORMAT = new Intl.DateTimeFormat('en-CA', {
  timeZone: HALL_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function parts(iso: string): Record<string, string> {
  return Object.fromEntries(FORMAT.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
}

/** `YYYY-MM-DD HH:mm` in the halls' time. */
export function hallTime(iso: string): string {
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `YYYY-MM-DD` in the halls' time. */
export function hallDate(iso: string): string {
  return hallTime(iso).slice(0, 10);
}

/** The calendar year in the halls' time. */
export function hallYear(iso: string): number {
  return Number(parts(iso).year);
}
