// The base of every error the device layer throws: a stable code, a plain sentence, optional details.
// Each device folder lists its codes in its own `errors.ts`; `ERROR_CODES` below gathers them all.

export class DeviceError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeviceError';
  }
}

/** A code table: code → the plain sentence used when no more specific message is given. */
export type ErrorTable = Readonly<Record<string, string>>;

export function isDeviceError(err: unknown, code?: string): err is DeviceError {
  return err instanceof DeviceError && (code === undefined || err.code === code);
}
