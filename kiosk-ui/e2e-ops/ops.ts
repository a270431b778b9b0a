// Where the ops-console suite's central listens and who logs in; the config and the spec both read it here.
const port = Number(process.env.KIOSK_E2E_OPS_CENTRAL_PORT ?? 17430);
if (!Number.isInteger(port) || port < 1 || port > 65535)
  throw new Error(
    `KIOSK_E2E_OPS_CENTRAL_PORT must be a port number, not "${process.env.KIOSK_E2E_OPS_CENTRAL_PORT}".`,
  );

export const CENTRAL_PORT = port;
export const CENTRAL_URL = `http://127.0.0.1:${CENTRAL_PORT}`;
/** Loopback only, so a short fixed token is accepted. */
export const ADMIN_TOKEN = 'ops-e2e-token';
export const OPERATOR = 'ops-e2e';
export const OPERATOR_PASSWORD = 'a long enough operator password';
/** Central's --stale-heartbeat-seconds here: a kiosk that stops turns stale within seconds. */
export const STALE_SECONDS = 4;
