import { describe, expect, it } from 'vitest';
import { toErrorBody } from './api.ts';

describe('toErrorBody', () => {
  it('keeps a well-formed appliance error', () => {
    const body = {
      code: 'ID_MISMATCH_PERSON',
      message: 'x',
      action: 'retry',
      retryable: true,
      params: { n: 2 },
    };
    expect(toErrorBody(body, 409)).toEqual(body);
  });

  it('turns anything else into INTERNAL with call-staff', () => {
    expect(toErrorBody('<html>', 502)).toMatchObject({
      code: 'INTERNAL',
      action: 'call-staff',
      retryable: false,
    });
    expect(toErrorBody({ code: 'SOMETHING_NEW' }, 500).code).toBe('INTERNAL');
  });

  it('asks for staff when the action is missing or unknown', () => {
    expect(toErrorBody({ code: 'TOKEN_FAILED', action: 'dance' }, 500)).toMatchObject({
      code: 'TOKEN_FAILED',
      action: 'call-staff',
    });
  });
});
