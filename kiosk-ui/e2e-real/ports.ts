// Where the real-appliance suite's demo listens. The config and the specs both read it from here, and it is
// fixed (not picked at random) because Playwright loads the config again in each worker process.
const port = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`${name} must be a port number 1–65535, not "${process.env[name]}".`);
  return value;
};

export const CENTRAL_PORT = port('KIOSK_E2E_REAL_CENTRAL_PORT', 17410);
export const KIOSK_PORT = port('KIOSK_E2E_REAL_KIOSK_PORT', 17420);
export const CENTRAL_URL = `http://127.0.0.1:${CENTRAL_PORT}`;
export const KIOSK_URL = `http://127.0.0.1:${KIOSK_PORT}`;
/**
 * How long a kiosk payment's QR code can be paid in this suite (central's --wechatpay-payment-seconds through the
 * demo's --payment-seconds): short enough for the timeout test, long enough to pay on the phone page.
 */
export const PAYMENT_SECONDS = 20;
/** The central admin token `make demo` uses (DEMO_ADMIN_TOKEN in appliance/src/cli/demo.ts). */
export const ADMIN_TOKEN = 'dev';
