// The secret values the repository ships for the demo and the tests, defined once: the demo and the test
// harness take them from here, and a production profile that uses any of them is refused (they are public).

/** Env values `make demo` runs the sim daemon with. */
export const DEMO_SECRETS = {
  CERTKIOSK_SO_PIN_MASTER: 'certkiosk demo master secret - development only',
  CERTKIOSK_APPLIANCE_TOKEN_PIN: '624810',
  CERTKIOSK_BLANK_KEY_SO_PIN: 'demo-factory-so-pin',
} as const;

/** The user PIN of the demo's key due for renewal (张伟 set it when he collected it; renew asks for it). */
export const DEMO_RENEWAL_KEY_PIN = '246135';

/** The central operator the demo seeds (ops console at /fleet); a fixed development value, demo only. */
export const DEMO_OPERATOR = { name: 'ops', password: 'ops-demo-password' } as const;

/** Env values the sim daemon runs with in the tests. */
export const TEST_SECRETS = {
  CERTKIOSK_SO_PIN_MASTER: 'test master secret for so-pins 0123456789',
  CERTKIOSK_APPLIANCE_TOKEN_PIN: '551177',
  CERTKIOSK_BLANK_KEY_SO_PIN: 'factory-so-1234',
} as const;

/** Every shipped secret value (demo and tests). */
export const SHIPPED_SECRET_VALUES: readonly string[] = [
  ...new Set([...Object.values(DEMO_SECRETS), ...Object.values(TEST_SECRETS)]),
];

/** PIN hashes of the staff accounts the sim profile seeds (config/profiles/sim.json; their PINs are public). */
export const SHIPPED_STAFF_PIN_HASHES: readonly string[] = [
  '$scrypt$N=32768,r=8,p=1$rAzdnlIE8iOf7neBbMmPXw$TKexuklB1GFkjxJKJcvJv7JPS5s_VHtYazjqlJkuNcc',
  '$scrypt$N=32768,r=8,p=1$LQKFYBroSy29z-AU3aTx-g$FhD5gBrlywB_cX2gMtSHi09hFf34-DPm00zSvORUCm0',
];
