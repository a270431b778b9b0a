// The one configuration schema of the appliance. Every program that takes --config parses through here.

import { z } from 'zod';
import { LOG_LEVELS } from './logging.js';

/** True for a time zone this Node knows (IANA names such as "Asia/Shanghai", or "UTC"). */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const hex16 = z
  .string()
  .regex(/^(0x)?[0-9a-fA-F]{1,4}$/, 'expected a USB id as 4 hex digits, e.g. "0x0483"')
  .transform((s) => Number.parseInt(s.replace(/^0x/, ''), 16));

const serialPort = z.strictObject({
  transport: z.literal('serial'),
  port: z.string().min(1, 'expected a serial device path, e.g. "/dev/ttyACM0"'),
  baudRate: z.number().int().positive().default(115200),
});

const usbDevice = z.strictObject({
  transport: z.literal('usb'),
  vendorId: hex16,
  productId: hex16,
});

const hidDevice = z.strictObject({
  transport: z.literal('hid'),
  vendorId: hex16,
  productId: hex16,
  mode: z.enum(['keyboard', 'hid-pos']).default('keyboard'),
});

export const tokenDeviceSchema = z.strictObject({
  transport: z.literal('pkcs11'),
  module: z.string().min(1, 'expected the path of a PKCS#11 module (.so)'),
  /** Label prefix of blank keys the kiosk may initialise. */
  blankLabelPrefix: z.string().default(''),
  /** Label of the token that holds the appliance's own request-signing key. */
  applianceKeyTokenLabel: z.string().min(1).default('certkiosk-appliance'),
  /**
   * The appliance token, pinned: its serial (found by serial, never by label) and the SHA-256 of its key's
   * SubjectPublicKeyInfo, checked before the appliance PIN is sent to it. Required outside the sim.
   */
  applianceKeyTokenSerial: z.string().min(1).max(32).optional(),
  applianceKeySpkiSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the appliance key (64 lower-case hex digits)')
    .optional(),
  /**
   * The USB-key models (CK_TOKEN_INFO manufacturerID and model) that may be personalised; any other key is
   * refused before anything, the vendor SO-PIN included, is sent to it. Required (non-empty) outside the sim.
   */
  allowedModels: z
    .array(z.strictObject({ manufacturer: z.string().min(1).max(32), model: z.string().min(1).max(16) }))
    .max(50)
    .default([]),
  pollIntervalMs: z.number().int().min(50).max(60_000).default(500),
});

export const devicesSchema = z.strictObject({
  token: tokenDeviceSchema,
  idReader: z.discriminatedUnion('transport', [serialPort], {
    error: 'expected transport "serial" for the ID-card reader',
  }),
  printer: z.discriminatedUnion('transport', [serialPort, usbDevice], {
    error: 'expected transport "serial" or "usb" for the receipt printer',
  }),
  scanner: z.discriminatedUnion('transport', [serialPort, hidDevice], {
    error: 'expected transport "serial" or "hid" for the QR scanner',
  }),
});

export const pinPolicySchema = z
  .strictObject({
    minLength: z.number().int().min(4).max(16).default(6),
    maxLength: z.number().int().min(4).max(32).default(8),
    digitsOnly: z.boolean().default(true),
    /** Refuse 123456, 654321 and similar runs. */
    forbidSequences: z.boolean().default(true),
    /** Refuse 111111 and similar. */
    forbidRepeated: z.boolean().default(true),
  })
  .refine((p) => p.minLength <= p.maxLength, {
    message: 'minLength must not exceed maxLength',
    path: ['minLength'],
  });

const secretSource = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected { "env": "VAR_NAME" } or { "file": "/path" } — secrets never go in the JSON itself' },
);

/** A staff id: 1–3 capital letters then 3–8 digits ("S001", "SZ0123"). The appliance's staff store agrees. */
export const STAFF_ID_PATTERN = /^[A-Z]{1,3}[0-9]{3,8}$/;
/** A scrypt hash of a staff PIN (`hashStaffPin` in appliance/src/staff): never the PIN itself. */
export const STAFF_PIN_HASH_PATTERN =
  /^\$scrypt\$N=[0-9]{1,8},r=[0-9]{1,3},p=[0-9]{1,3}\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/;
export const STAFF_ROLES = ['operator', 'administrator'] as const;

const PIN_HASH_EXPECTED =
  'pinHash: expected a scrypt PIN hash "$scrypt$N=32768,r=8,p=1$<salt>$<key>" (made by hashStaffPin) — never a PIN';

export const staffAccountSchema = z
  .strictObject({
    id: z
      .string()
      .regex(STAFF_ID_PATTERN, 'expected a staff id like "S001" (1–3 capital letters, 3–8 digits)'),
    name: z.string().trim().min(1, "expected the staff member's name").max(64),
    role: z.enum(STAFF_ROLES, { error: 'expected role "operator" or "administrator"' }),
    // Checked on the account, not the field: the loader quotes a refused field's value, and a PIN typed
    // here by mistake must not be printed back.
    pinHash: z.unknown(),
  })
  .superRefine((a, ctx) => {
    if (typeof a.pinHash !== 'string' || !STAFF_PIN_HASH_PATTERN.test(a.pinHash)) {
      ctx.addIssue({ code: 'custom', path: [], message: PIN_HASH_EXPECTED });
    }
  })
  .transform((a) => ({ id: a.id, name: a.name, role: a.role, pinHash: a.pinHash as string }));

export const staffSchema = z
  .strictObject({
    /** Seed the staff store on first start only; later changes are made on the maintenance screen. */
    accounts: z.array(staffAccountSchema).max(200).default([]),
    /** A staff session ends after this long without a request. */
    idleLogoutMs: z.number().int().min(30_000).max(3_600_000).default(300_000),
    /** A staff session ends this long after sign-in, however active. */
    maxSessionMs: z.number().int().min(60_000).max(86_400_000).default(28_800_000),
  })
  .superRefine((staff, ctx) => {
    const seen = new Set<string>();
    staff.accounts.forEach((a, i) => {
      if (seen.has(a.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', i, 'id'],
          message: `duplicate staff id "${a.id}"`,
        });
      }
      seen.add(a.id);
    });
    if (staff.accounts.length > 0 && !staff.accounts.some((a) => a.role === 'administrator')) {
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message: 'expected at least one account with role "administrator"',
      });
    }
    if (staff.idleLogoutMs > staff.maxSessionMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['idleLogoutMs'],
        message: 'idleLogoutMs must not exceed maxSessionMs',
      });
    }
  });

export const configSchema = z.strictObject({
  appliance: z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, 'expected an appliance id like "KIOSK-SZ-001"'),
    hall: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, 'expected a hall code like "SZ-FUTIAN"'),
  }),
  central: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL of the central service' }),
    /** PEM of the CA central's TLS certificate must chain to (pinned; required outside the sim). */
    caCertificate: z
      .string()
      .includes('BEGIN CERTIFICATE', { message: 'expected a PEM certificate' })
      .optional(),
    /** Public key that signs pickup codes (PEM, SPKI). */
    publicKey: z.string().includes('BEGIN PUBLIC KEY', { message: 'expected a PEM public key (SPKI)' }),
  }),
  devices: devicesSchema,
  pinPolicy: pinPolicySchema.default({
    minLength: 6,
    maxLength: 8,
    digitsOnly: true,
    forbidSequences: true,
    forbidRepeated: true,
  }),
  timeouts: z
    .strictObject({
      deviceMs: z.number().int().min(100).max(120_000).default(5000),
      centralMs: z.number().int().min(100).max(120_000).default(10_000),
      idleWarningMs: z.number().int().min(20_000).default(60_000),
      idleWipeMs: z.number().int().min(20_000).default(30_000),
    })
    .default({ deviceMs: 5000, centralMs: 10_000, idleWarningMs: 60_000, idleWipeMs: 30_000 }),
  store: z.strictObject({ dir: z.string().min(1, 'expected a directory for the local store') }),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).default({ level: 'info' }),
  kiosk: z
    .strictObject({
      /** Elderly-friendly mode multiplies the idle times by this. */
      elderlyTimeoutFactor: z.number().min(1).max(5).default(2),
      serviceHotline: z.string().min(1).default('400-000-0000 (8:30–17:30)'),
      maxIdAttempts: z.number().int().min(1).max(10).default(3),
      /** The appliance API listens here; loopback only. */
      listenPort: z.number().int().min(0).max(65535).default(7420),
      /** The hall's name as printed on receipts (e.g. "深圳市福田区政务服务中心"); default: the hall code. */
      hallName: z.string().trim().min(1).max(40).optional(),
      /** IANA time zone of the receipt's times and dates (local time of the hall). */
      timeZone: z
        .string()
        .refine(isTimeZone, 'expected an IANA time zone, e.g. "Asia/Shanghai"')
        .default('Asia/Shanghai'),
      /** Fewer blank keys in stock than this: the maintenance screen and the heartbeat warn (blank-keys-low). */
      blankKeysLowThreshold: z.number().int().min(0).max(1000).default(20),
    })
    .default({
      elderlyTimeoutFactor: 2,
      serviceHotline: '400-000-0000 (8:30–17:30)',
      maxIdAttempts: 3,
      listenPort: 7420,
      timeZone: 'Asia/Shanghai',
      blankKeysLowThreshold: 20,
    }),
  /** Per-person staff accounts for the maintenance screen (seed) and staff session times. */
  staff: staffSchema.default({ accounts: [], idleLogoutMs: 300_000, maxSessionMs: 28_800_000 }),
  /** Sim profile only: run the device emulators, a private SoftHSM2 and a tray of blank keys in-process. */
  simulation: z
    .strictObject({
      enabled: z.boolean(),
      /** Folder for the SoftHSM home and the key tray (relative paths resolve against the config file). */
      dir: z.string().min(1),
      blankKeys: z.number().int().min(1).max(1000).default(5),
    })
    .optional(),
  secrets: z.strictObject({
    /** HKDF master for per-key SO-PINs and transport PINs. */
    soPinMasterSecret: secretSource,
    /** User PIN of the token that holds the appliance's own request-signing key. */
    applianceTokenPin: secretSource,
    /**
     * The one-time enrolment code operations got when they registered this appliance at central (used once, at
     * the first enrolment; not needed by a loopback central that approves appliances itself).
     */
    enrolmentCode: secretSource.optional(),
    /** SO-PIN blank keys arrive with from the vendor; omit when blank keys come uninitialised. */
    blankKeySoPin: secretSource.optional(),
    /**
     * No longer used: hall staff sign in with their own accounts (`staff.accounts`, the staff store). Still
     * accepted so an older profile loads; nothing reads it.
     */
    staffPin: secretSource.optional(),
  }),
});

export type CertkioskConfig = z.output<typeof configSchema>;
export type PinPolicy = z.output<typeof pinPolicySchema>;
export type TokenDeviceConfig = z.output<typeof tokenDeviceSchema>;
export type SecretSource = z.output<typeof secretSource>;
export type StaffConfig = z.output<typeof staffSchema>;
export type StaffAccountConfig = z.output<typeof staffAccountSchema>;
