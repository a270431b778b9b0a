// A maintenance panel's calls to staff routes (staffCall): one at a time — `busy` while one runs, for the panel's
// buttons — and the refusal of the last one kept in `error` for the panel to say in words.
import type { ApiResult } from './api.ts';
import type { ErrorBody } from './contract.ts';
import { staffCall } from './staff-call.ts';

export class PanelCalls {
  busy = $state(false);
  error = $state<ErrorBody | null>(null);

  /** Runs `call` with the staff token unless one is running; `done` gets the answer. Answers the refusal, if any. */
  async run<T>(
    call: (token: string) => Promise<ApiResult<T>>,
    done: (d: T) => void,
  ): Promise<ErrorBody | null> {
    if (this.busy) return null;
    this.busy = true;
    this.error = null;
    const r = await staffCall(call);
    this.busy = false;
    if (r.ok) {
      done(r.data);
      return null;
    }
    this.error = r.error;
    return r.error;
  }
}
