// Applicants' calls for staff ("呼叫工作人员" in the kiosk's header): kept in memory until a member of staff
// acknowledges them on the maintenance screen. One open call per session (the journey on screen, or none): a
// repeated press answers the same call instead of raising another. The heartbeat carries each open call to
// central as a 'staff-call' alarm (staffCallAlarms).
import { randomBytes } from 'node:crypto';
import type { ApplianceErrorCode, JourneyNeed, JourneyStatus, PickupStep } from '../api/contract.js';
import { ApplianceError } from '../errors.js';

/** What the kiosk showed when the applicant pressed: masked data only (no name, ID number or order detail). */
export interface StaffCallContext {
  /** The journey on screen (the session the call belongs to); none on the start screen. */
  journeyId?: string;
  journeyRef?: string;
  step?: PickupStep;
  status?: JourneyStatus;
  need?: JourneyNeed;
  error?: ApplianceErrorCode;
}

/** A call as staff (and the API) see it: the journey's id stays inside the appliance. */
export interface StaffCallView {
  id: string;
  at: string;
  presses: number;
  journeyRef?: string;
  step?: PickupStep;
  status?: JourneyStatus;
  need?: JourneyNeed;
  error?: ApplianceErrorCode;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
}

interface StaffCall extends StaffCallView {
  /** The session: the journey's id, or '' without a journey. */
  session: string;
}

export interface StaffCallsOptions {
  now?: () => Date;
  /** At most this many open calls (a press beyond it counts on the newest open call); default 50. */
  maxOpen?: number;
}

/** The heartbeat's alarms: one per open call (at most `max`), subject = the journey's reference or 'no journey'. */
export function staffCallAlarms(
  calls: readonly StaffCallView[],
  max = 10,
): Array<{ kind: 'staff-call'; subject: string; since: string }> {
  return calls
    .filter((c) => !c.acknowledgedAt)
    .slice(0, max)
    .map((c) => ({ kind: 'staff-call', subject: c.journeyRef ?? 'no journey', since: c.at }));
}

export class StaffCalls {
  private readonly calls: StaffCall[] = [];
  private readonly now: () => Date;
  private readonly maxOpen: number;

  constructor(opts: StaffCallsOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.maxOpen = opts.maxOpen ?? 50;
  }

  /** A press of "call staff": the session's open call (`raised: false`), or a new one. */
  raise(context: StaffCallContext): { call: StaffCallView; raised: boolean } {
    const session = context.journeyId ?? '';
    const open =
      this.calls.find((c) => c.session === session) ?? (this.full() ? this.calls.at(-1) : undefined);
    if (open) {
      open.presses += 1;
      return { call: viewOf(open), raised: false };
    }
    const call: StaffCall = {
      id: this.newId(),
      at: this.now().toISOString(),
      presses: 1,
      session,
      ...(context.journeyRef ? { journeyRef: context.journeyRef } : {}),
      ...(context.step ? { step: context.step } : {}),
      ...(context.status ? { status: context.status } : {}),
      ...(context.need ? { need: context.need } : {}),
      ...(context.error ? { error: context.error } : {}),
    };
    this.calls.push(call);
    return { call: viewOf(call), raised: true };
  }

  /** The open calls, oldest first. */
  open(): StaffCallView[] {
    return this.calls.map(viewOf);
  }

  /** An open call by its id (STAFF_CALL_UNKNOWN when there is none: unknown, or acknowledged already). */
  get(id: string): StaffCallView {
    const call = this.calls.find((c) => c.id === id.trim().toUpperCase());
    if (!call) throw new ApplianceError('STAFF_CALL_UNKNOWN');
    return viewOf(call);
  }

  /** A member of staff handled the call: it is closed (and no longer in the overview or the heartbeat). */
  acknowledge(id: string, staffId: string): StaffCallView {
    const i = this.calls.findIndex((c) => c.id === id.trim().toUpperCase());
    if (i < 0) throw new ApplianceError('STAFF_CALL_UNKNOWN');
    const [call] = this.calls.splice(i, 1);
    return { ...viewOf(call!), acknowledgedAt: this.now().toISOString(), acknowledgedBy: staffId };
  }

  private full(): boolean {
    return this.calls.length >= this.maxOpen;
  }

  private newId(): string {
    for (;;) {
      const id = `H${randomBytes(3).toString('hex').toUpperCase()}`;
      if (!this.calls.some((c) => c.id === id)) return id;
    }
  }
}

function viewOf(call: StaffCall): StaffCallView {
  const { session: _session, ...view } = call;
  return { ...view };
}
