// Card fixtures: one JSON file per person (the IdCard fields, photo/fingerprint as base64), used by tests,
// the emulator CLI and the demo.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { IdCard } from './card.js';
import { idReaderError } from './errors.js';
import { nationCode, nationName } from './nations.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');

const common = {
  description: z.string().optional(),
  name: z.string(),
  sex: z.enum(['male', 'female', 'unknown', 'unstated']),
  birthDate: isoDate,
  idNumber: z.string().min(1),
  authority: z.string(),
  validFrom: isoDate,
  validTo: isoDate.nullable(),
  photo: base64,
  fingerprint: base64.optional(),
};

const fixtureSchema = z.discriminatedUnion('cardType', [
  z.object({
    ...common,
    cardType: z.literal('resident'),
    /** Nation name (汉) or two-digit code (01). */
    nation: z.string().min(1),
    address: z.string(),
  }),
  z.object({
    ...common,
    cardType: z.literal('hmt-residence'),
    address: z.string(),
    passNumber: z.string(),
    issueCount: z.string(),
  }),
  z.object({
    ...common,
    cardType: z.literal('foreign-permanent'),
    layoutMark: z.enum(['I', 'Y']).default('I'),
    /** `name` is the Chinese name on these cards and may be empty. */
    englishName: z.string().min(1),
    nationality: z.string().length(3),
    cardVersion: z.string(),
  }),
]);

export type CardFixture = z.input<typeof fixtureSchema>;

/** Turn parsed fixture JSON into an IdCard; throws ID_READER_BAD_FIXTURE naming the bad field. */
export function cardFromFixture(json: unknown, source = 'fixture'): IdCard {
  const parsed = fixtureSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw idReaderError(
      'ID_READER_BAD_FIXTURE',
      { source, field: where },
      `The card fixture ${source} is not valid at "${where}": ${issue?.message ?? 'unknown problem'}.`,
    );
  }
  const { description: _description, photo, fingerprint, ...f } = parsed.data;
  const binaries = {
    photo: new Uint8Array(Buffer.from(photo, 'base64')),
    ...(fingerprint ? { fingerprint: new Uint8Array(Buffer.from(fingerprint, 'base64')) } : {}),
  };
  if (f.cardType === 'resident') {
    const code = /^\d{2}$/.test(f.nation) ? f.nation : nationCode(f.nation);
    if (code === undefined) {
      throw idReaderError(
        'ID_READER_BAD_FIXTURE',
        { source, field: 'nation' },
        `The card fixture ${source} names the nation "${f.nation}", which is not in the GB 3304 table.`,
      );
    }
    return { ...f, nation: nationName(code) ?? code, nationCode: code, ...binaries };
  }
  if (f.cardType === 'hmt-residence') return { ...f, nation: '', nationCode: '', ...binaries };
  return {
    ...f,
    name: f.name || f.englishName,
    chineseName: f.name,
    nation: '',
    nationCode: '',
    address: '',
    ...binaries,
  };
}

export async function loadCardFixture(path: string): Promise<IdCard> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw idReaderError('ID_READER_BAD_FIXTURE', { path }, `Cannot read the card fixture ${path}.`, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw idReaderError(
      'ID_READER_BAD_FIXTURE',
      { path },
      `The card fixture ${path} is not valid JSON.`,
      err,
    );
  }
  return cardFromFixture(json, path);
}

/** The bundled fixtures (`firmware-bridge/test/fixtures/cards`), for tests, the demo and `emulate --card`. */
export const CARD_FIXTURE_DIR = fileURLToPath(new URL('../../test/fixtures/cards/', import.meta.url));

/** Absolute paths of the bundled fixtures, sorted by name. */
export function cardFixturePaths(): string[] {
  return readdirSync(CARD_FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(CARD_FIXTURE_DIR, f));
}
