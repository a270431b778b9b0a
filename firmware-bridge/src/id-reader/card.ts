// The 256-byte card text block (UCS-2 little endian, space-padded fields) in its three layouts:
// resident ID card, foreigner's permanent residence card (I / Y), and the HK/Macao/Taiwan residence permit (J).
import { idReaderError } from './errors.js';
import { nationCode as codeForNation, NATIONS } from './nations.js';

export const CARD_TEXT_SIZE = 256;
/** Byte offset of the one-character layout mark (`I`, `J`, `Y`; space or zero = resident card). */
export const CARD_TYPE_OFFSET = 248;

export type CardType = 'resident' | 'foreign-permanent' | 'hmt-residence';
export type Sex = 'male' | 'female' | 'unknown' | 'unstated';

interface IdCardFields {
  cardType: CardType;
  /** Chinese name; for a foreigner without one, the English name. */
  name: string;
  sex: Sex;
  /** Nation name from GB 3304 (汉, 蒙古 …); the raw code if it is not in the table; '' when the layout has none. */
  nation: string;
  /** Two-digit GB 3304 code; '' when the layout has none. */
  nationCode: string;
  /** YYYY-MM-DD */
  birthDate: string;
  address: string;
  /** Citizen ID number, permit ID number, or the foreigner's card number. */
  idNumber: string;
  /** Issuing authority (for foreigner cards: the authority code printed in the chip). */
  authority: string;
  /** YYYY-MM-DD */
  validFrom: string;
  /** YYYY-MM-DD, or null for 长期 (no expiry). */
  validTo: string | null;
  /** WLT-compressed photo, opaque (decoding needs the vendor library). Never log it. */
  photo: Uint8Array;
  /** Two 512-byte fingerprint templates, opaque. Never log them. */
  fingerprint?: Uint8Array;
}

export interface ResidentIdCard extends IdCardFields {
  cardType: 'resident';
}

export interface ForeignPermanentCard extends IdCardFields {
  cardType: 'foreign-permanent';
  /** `I` = 2017 layout, `Y` = 2023 layout (read with the `I` offsets; see rawFields). */
  layoutMark: 'I' | 'Y';
  englishName: string;
  chineseName: string;
  /** ISO 3166 alpha-3 */
  nationality: string;
  cardVersion: string;
  /** For `Y` cards: every field as read with the `I` offsets, since the 2023 layout differs from `I`. */
  rawFields?: Record<string, string>;
}

export interface HmtResidenceCard extends IdCardFields {
  cardType: 'hmt-residence';
  /** Number of the 港澳居民来往内地通行证 / 台湾居民来往大陆通行证. */
  passNumber: string;
  issueCount: string;
}

export type IdCard = ResidentIdCard | ForeignPermanentCard | HmtResidenceCard;

type Layout = ReadonlyArray<readonly [field: string, bytes: number]>;

const RESIDENT_LAYOUT: Layout = [
  ['name', 30],
  ['sex', 2],
  ['nation', 4],
  ['birthDate', 16],
  ['address', 70],
  ['idNumber', 36],
  ['authority', 30],
  ['validFrom', 16],
  ['validTo', 16],
  ['reserved', 36],
];

const FOREIGN_LAYOUT: Layout = [
  ['englishName', 120],
  ['sex', 2],
  ['idNumber', 30],
  ['nationality', 6],
  ['chineseName', 30],
  ['validFrom', 16],
  ['validTo', 16],
  ['birthDate', 16],
  ['cardVersion', 4],
  ['authority', 8],
  ['cardType', 2],
  ['reserved', 6],
];

const HMT_LAYOUT: Layout = [
  ['name', 30],
  ['sex', 2],
  ['reserved1', 4],
  ['birthDate', 16],
  ['address', 70],
  ['idNumber', 36],
  ['authority', 30],
  ['validFrom', 16],
  ['validTo', 16],
  ['passNumber', 18],
  ['issueCount', 4],
  ['reserved2', 6],
  ['cardType', 2],
  ['reserved3', 6],
];

const SEX_BY_CODE: Readonly<Record<string, Sex>> = {
  '1': 'male',
  '2': 'female',
  '0': 'unknown',
  '9': 'unstated',
};
const CODE_BY_SEX: Readonly<Record<Sex, string>> = { male: '1', female: '2', unknown: '0', unstated: '9' };
const NO_EXPIRY = '长期';

function readFields(text: Uint8Array, layout: Layout): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  for (const [field, bytes] of layout) {
    out[field] = Buffer.from(text.subarray(at, at + bytes)).toString('utf16le');
    at += bytes;
  }
  return out;
}

const trimField = (s: string) => s.replace(/[\s\0]+$/u, '').replace(/^[\s\0]+/u, '');

function parseDate(raw: string, field: string): string {
  const s = trimField(raw);
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw idReaderError(
      'ID_READER_BAD_CARD_DATA',
      { field },
      `The card's ${field} is not a date (YYYYMMDD); the card may be damaged.`,
    );
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function parseValidTo(raw: string): string | null {
  return trimField(raw) === NO_EXPIRY ? null : parseDate(raw, 'validTo');
}

export function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function parseSex(raw: string): Sex {
  const sex = SEX_BY_CODE[trimField(raw)];
  if (!sex) {
    throw idReaderError(
      'ID_READER_BAD_CARD_DATA',
      { field: 'sex' },
      `The card's sex code is not 0, 1, 2 or 9.`,
    );
  }
  return sex;
}

/** The layout mark at offset 248: `I`, `J`, `Y`, or '' for a resident card. */
export function cardLayoutMark(text: Uint8Array): string {
  const ch = Buffer.from(text.subarray(CARD_TYPE_OFFSET, CARD_TYPE_OFFSET + 2)).toString('utf16le');
  return ch === ' ' || ch === '\0' ? '' : ch;
}

export interface CardBinaries {
  photo?: Uint8Array;
  fingerprint?: Uint8Array;
}

/**
 * Parse a 256-byte text block. Throws a DeviceError: ID_READER_UNKNOWN_LAYOUT for a layout mark this code
 * does not know, ID_READER_BAD_CARD_DATA for a malformed field. Expiry and check character are not judged
 * here: see validateCard.
 */
export function parseCardText(text: Uint8Array, binaries: CardBinaries = {}): IdCard {
  if (text.length !== CARD_TEXT_SIZE) {
    throw idReaderError(
      'ID_READER_BAD_CARD_DATA',
      { length: text.length },
      `The card text block is ${text.length} bytes, not ${CARD_TEXT_SIZE}.`,
    );
  }
  const photo = binaries.photo ?? new Uint8Array(0);
  const extra = binaries.fingerprint ? { fingerprint: binaries.fingerprint } : {};
  const mark = cardLayoutMark(text);
  if (mark === '') {
    const f = readFields(text, RESIDENT_LAYOUT);
    const code = trimField(f.nation!);
    return {
      cardType: 'resident',
      name: trimField(f.name!),
      sex: parseSex(f.sex!),
      nation: NATIONS[code] ?? code,
      nationCode: code,
      birthDate: parseDate(f.birthDate!, 'birthDate'),
      address: trimField(f.address!),
      idNumber: trimField(f.idNumber!),
      authority: trimField(f.authority!),
      validFrom: parseDate(f.validFrom!, 'validFrom'),
      validTo: parseValidTo(f.validTo!),
      photo,
      ...extra,
    };
  }
  if (mark === 'J') {
    const f = readFields(text, HMT_LAYOUT);
    return {
      cardType: 'hmt-residence',
      name: trimField(f.name!),
      sex: parseSex(f.sex!),
      nation: '',
      nationCode: '',
      birthDate: parseDate(f.birthDate!, 'birthDate'),
      address: trimField(f.address!),
      idNumber: trimField(f.idNumber!),
      authority: trimField(f.authority!),
      validFrom: parseDate(f.validFrom!, 'validFrom'),
      validTo: parseValidTo(f.validTo!),
      passNumber: trimField(f.passNumber!),
      issueCount: trimField(f.issueCount!),
      photo,
      ...extra,
    };
  }
  if (mark === 'I' || mark === 'Y') {
    const f = readFields(text, FOREIGN_LAYOUT);
    const englishName = trimField(f.englishName!);
    const chineseName = trimField(f.chineseName!);
    return {
      cardType: 'foreign-permanent',
      layoutMark: mark,
      name: chineseName || englishName,
      englishName,
      chineseName,
      sex: parseSex(f.sex!),
      nation: '',
      nationCode: '',
      nationality: trimField(f.nationality!),
      birthDate: parseDate(f.birthDate!, 'birthDate'),
      address: '',
      idNumber: trimField(f.idNumber!),
      authority: trimField(f.authority!),
      validFrom: parseDate(f.validFrom!, 'validFrom'),
      validTo: parseValidTo(f.validTo!),
      cardVersion: trimField(f.cardVersion!),
      ...(mark === 'Y'
        ? { rawFields: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, trimField(v)])) }
        : {}),
      photo,
      ...extra,
    };
  }
  throw idReaderError(
    'ID_READER_UNKNOWN_LAYOUT',
    { layoutMark: mark },
    `The card's layout mark is "${mark}", which is not a known card layout (resident, I, J, Y).`,
  );
}

function writeFields(values: Record<string, string>, layout: Layout): Uint8Array {
  const out = new Uint8Array(CARD_TEXT_SIZE);
  let at = 0;
  for (const [field, bytes] of layout) {
    const value = values[field] ?? '';
    const encoded = Buffer.from(value, 'utf16le');
    if (encoded.length > bytes) {
      throw idReaderError(
        'ID_READER_BAD_CARD_DATA',
        { field, maxCharacters: bytes / 2 },
        `The ${field} "${field === 'idNumber' ? '(hidden)' : value}" is longer than the ${bytes / 2} characters the card holds.`,
      );
    }
    out.set(encoded, at);
    out.set(Buffer.from(' '.repeat((bytes - encoded.length) / 2), 'utf16le'), at + encoded.length);
    at += bytes;
  }
  return out;
}

const cardDate = (iso: string) => iso.replaceAll('-', '');

/** The inverse of parseCardText: the 256-byte text block a card with these fields carries. */
export function encodeCardText(card: IdCard): Uint8Array {
  const common = {
    sex: CODE_BY_SEX[card.sex],
    birthDate: cardDate(card.birthDate),
    idNumber: card.idNumber,
    authority: card.authority,
    validFrom: cardDate(card.validFrom),
    validTo: card.validTo === null ? NO_EXPIRY : cardDate(card.validTo),
  };
  switch (card.cardType) {
    case 'resident':
      return writeFields(
        {
          ...common,
          name: card.name,
          nation: card.nationCode || (codeForNation(card.nation) ?? card.nation),
          address: card.address,
        },
        RESIDENT_LAYOUT,
      );
    case 'hmt-residence':
      return writeFields(
        {
          ...common,
          name: card.name,
          address: card.address,
          passNumber: card.passNumber,
          issueCount: card.issueCount,
          cardType: 'J',
        },
        HMT_LAYOUT,
      );
    case 'foreign-permanent':
      return writeFields(
        {
          ...common,
          englishName: card.englishName,
          chineseName: card.chineseName,
          nationality: card.nationality,
          cardVersion: card.cardVersion,
          cardType: card.layoutMark,
        },
        FOREIGN_LAYOUT,
      );
  }
}
