// A journey's reference number: short enough to read out and type on the maintenance screen. Pure (the UI's
// fake appliance takes it as it is).

/** 'K' + the first 6 letters or digits of the journey id, upper case: a UUID 3f9a2c71-… gives K3F9A2C. */
export function journeyRef(journeyId: string): string {
  return `K${journeyId
    .replace(/[^0-9A-Za-z]/g, '')
    .slice(0, 6)
    .toUpperCase()}`;
}

/** A reference as staff typed it (spaces, lower case, with or without the K): the form journeyRef gives, or
 *  null when it cannot be one. */
export function normaliseJourneyRef(typed: string): string | null {
  const compact = typed.replace(/[\s-]/g, '').toUpperCase();
  const ref = compact.startsWith('K') && compact.length === 7 ? compact : `K${compact}`;
  return /^K[0-9A-Z]{6}$/.test(ref) ? ref : null;
}
