// `certkiosk-devices id-read --port PATH [--json]`: reads the card on an ID-card reader once and prints it.
// Exit 0 with the card; exit 1 with the error code when there is no card or the reader fails; 2 for bad usage.
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isDeviceError } from '../../errors.js';
import type { IdCard } from '../../id-reader/card.js';
import { type CardProblem, validateCard } from '../../id-reader/card-validation.js';
import { IdCardReaderDriver } from '../../id-reader/driver.js';
import { ID_READER_ERRORS } from '../../id-reader/errors.js';
import { maskIdNumber } from '../../id-reader/id-number.js';

const USAGE = `usage: certkiosk-devices id-read --port PATH [--json] [--baud N] [--timeout MS] [--wait MS]
  Reads the ID card on the reader once and prints it.
  --port PATH   serial port of the reader (e.g. /dev/ttyACM0)
  --json        print the whole card as JSON (ID number in full); default is a summary with it masked
  --baud N      baud rate (default 115200; some readers use 9600)
  --timeout MS  time allowed for one find → select → read, retries included (default 6000)
  --wait MS     keep trying up to MS milliseconds for a card to be placed (default 0: one try)
`;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

interface Options {
  port: string;
  json: boolean;
  baudRate: number;
  timeoutMs: number;
  waitMs: number;
  help: boolean;
}

/** `argv` holds the arguments after `id-read`. Resolves with the exit code. */
export async function run(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if (argv[0] === 'id-read') argv = argv.slice(1);
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    io.stderr.write(`ID_READER_BAD_ARGUMENTS: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    io.stdout.write(USAGE);
    return 0;
  }

  let reader: IdCardReaderDriver | undefined;
  try {
    reader = await IdCardReaderDriver.open(opts.port, {
      baudRate: opts.baudRate,
      readTimeoutMs: opts.timeoutMs,
    });
    const card = await readWithin(reader, opts.waitMs);
    if (!card) {
      return fail(io, opts.json, 'ID_READER_NO_CARD', ID_READER_ERRORS.ID_READER_NO_CARD);
    }
    const problems = validateCard(card);
    io.stdout.write(
      opts.json ? `${JSON.stringify(cardJson(card, problems), null, 2)}\n` : summary(card, problems),
    );
    return 0;
  } catch (err) {
    if (isDeviceError(err)) return fail(io, opts.json, err.code, err.message);
    return fail(io, opts.json, 'ID_READER_UNEXPECTED_RESPONSE', String(err));
  } finally {
    await reader?.close().catch(() => {});
  }
}

async function readWithin(reader: IdCardReaderDriver, waitMs: number): Promise<IdCard | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const result = await reader.read();
    if (result.state === 'card') return result.card;
    if (Date.now() >= until) return undefined;
    await new Promise((r) => setTimeout(r, 300));
  }
}

function fail(io: CliIo, json: boolean, code: string, message: string): number {
  if (json) io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  io.stderr.write(`${code}: ${message}\n`);
  return 1;
}

/** The fields the issue names, plus the layout's own fields; photo and fingerprint are never printed. */
function cardJson(card: IdCard, problems: CardProblem[]): Record<string, unknown> {
  const base = {
    cardType: card.cardType,
    name: card.name,
    sex: card.sex,
    nation: card.nation,
    birthDate: card.birthDate,
    address: card.address,
    idNumber: card.idNumber,
    authority: card.authority,
    validFrom: card.validFrom,
    validTo: card.validTo,
  };
  const extra =
    card.cardType === 'foreign-permanent'
      ? {
          englishName: card.englishName,
          chineseName: card.chineseName,
          nationality: card.nationality,
          cardVersion: card.cardVersion,
          layoutMark: card.layoutMark,
        }
      : card.cardType === 'hmt-residence'
        ? { passNumber: card.passNumber, issueCount: card.issueCount }
        : {};
  return {
    ...base,
    ...extra,
    photoBytes: card.photo.length,
    hasFingerprint: card.fingerprint !== undefined,
    problems: problems.map((p) => p.kind),
  };
}

const SEX_LABEL = { male: '男 male', female: '女 female', unknown: 'unknown', unstated: 'unstated' } as const;
const TYPE_LABEL = {
  resident: 'resident ID card (居民身份证)',
  'foreign-permanent': 'foreigner permanent residence card (外国人永久居留身份证)',
  'hmt-residence': 'HK/Macao/Taiwan residence permit (港澳台居民居住证)',
} as const;

function summary(card: IdCard, problems: CardProblem[]): string {
  const rows: Array<[string, string]> = [
    ['card', TYPE_LABEL[card.cardType]],
    ['name', card.name],
  ];
  if (card.cardType === 'foreign-permanent')
    rows.push(['english name', card.englishName], ['nationality', card.nationality]);
  rows.push(['sex', SEX_LABEL[card.sex]]);
  if (card.nation) rows.push(['nation', card.nation]);
  rows.push(['birth date', card.birthDate]);
  if (card.address) rows.push(['address', card.address]);
  rows.push(
    ['id number', maskIdNumber(card.idNumber)],
    ['authority', card.authority],
    ['valid', `${card.validFrom} – ${card.validTo ?? '长期 (no expiry)'}`],
  );
  if (card.cardType === 'hmt-residence') rows.push(['pass number', maskIdNumber(card.passNumber)]);
  for (const p of problems) rows.push(['warning', `${p.code}: ${p.message}`]);
  return `${rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n')}\n`;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
      baud: { type: 'string', default: '115200' },
      timeout: { type: 'string', default: '6000' },
      wait: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const help = values.help === true;
  if (!help && !values.port) throw new Error('--port PATH is required');
  const baudRate = Number(values.baud);
  if (!Number.isInteger(baudRate) || baudRate <= 0)
    throw new Error(`--baud must be a positive integer, got "${values.baud}"`);
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`--timeout must be a positive number of milliseconds, got "${values.timeout}"`);
  }
  const waitMs = Number(values.wait);
  if (!Number.isInteger(waitMs) || waitMs < 0)
    throw new Error(`--wait must be a whole number of milliseconds, got "${values.wait}"`);
  return { port: values.port ?? '', json: values.json === true, baudRate, timeoutMs, waitMs, help };
}
