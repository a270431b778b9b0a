// What the maintenance screen shows of the kiosk beside its devices, in-doubt journeys and staff alarms (the
// API adds those): which kiosk and hall, central reachable or not, the last successful sync, consumables,
// the sync queue, the reprint queue (masked names only) and spoiled keys; and the staff reprint, which answers
// a printer that needs a hand with its own error code (PRINTER_OUT_OF_PAPER, PRINTER_COVER_OPEN).
import { maskName, type PaperLevel } from '@certkiosk/config';
import type { Receipt } from '@certkiosk/firmware-bridge';
import type { CentralContact, SyncAgentStatus } from '@certkiosk/sync';
import type { RouteTypes } from '../api/client.js';
import type {
  ApplianceErrorCode,
  CentralLinkView,
  ConsumableView,
  DeviceStatusView,
  ReprintView,
  StaffKioskFacts,
} from '../api/contract.js';
import { ApplianceError } from '../errors.js';
import { invoiceSlipDocument } from '../invoices/invoice-slip.js';
import { DEFAULT_RECEIPT_TIME_ZONE, receiptDocument } from '../journey/receipt.js';
import type { ApplianceState, ReprintItem } from '../journey/record.js';
import { asApplianceError } from '../journey/translate-error.js';

/** What the staff services add to the overview (the API adds devices, in-doubt items, alarms and calls). */
export type StaffOverviewFacts = Omit<
  RouteTypes['staffOverview']['ok'],
  'devices' | 'inDoubt' | 'staffAlarms' | 'staffCalls'
>;

/** The paper as the printer's status says it (also what the heartbeat reports to central). */
export function paperLevel(printer: DeviceStatusView | undefined): PaperLevel {
  if (!printer || printer.state === 'offline' || printer.state === 'hardware-error') return 'unknown';
  if (printer.detail === 'paper-out') return 'out';
  if (printer.detail === 'paper-near-end') return 'low';
  return 'ok';
}

/** The sync client's codes as the appliance's (the UI has a sentence for each of those). */
const CENTRAL_ERROR: Record<NonNullable<CentralContact['lastErrorCode']>, ApplianceErrorCode> = {
  CENTRAL_UNAVAILABLE: 'CENTRAL_UNAVAILABLE',
  CENTRAL_BAD_RESPONSE: 'CENTRAL_UNAVAILABLE',
  CENTRAL_REFUSED: 'CENTRAL_REFUSED',
};

export function centralLink(contact: CentralContact | undefined): CentralLinkView {
  if (!contact || contact.reachable === null) return { state: 'unknown' };
  return {
    state: contact.reachable ? 'reachable' : 'unreachable',
    ...(contact.since ? { since: contact.since } : {}),
    ...(contact.lastErrorCode ? { lastError: CENTRAL_ERROR[contact.lastErrorCode] } : {}),
    ...(contact.lastFailureAt ? { lastErrorAt: contact.lastFailureAt } : {}),
  };
}

/**
 * The queued receipts with their order, when they were queued and the holder's name, masked again here
 * (config/src/masks.ts leaves a masked name as it is): the journey's order holder, else the person whose ID
 * card matched, else the receipt's masked certificate subject.
 */
export function reprintViews(state: Pick<ApplianceState, 'reprints' | 'journeys'>): ReprintView[] {
  return state.reprints
    .filter((r) => r.state === 'queued')
    .sort((a, b) => a.queuedAt.localeCompare(b.queuedAt))
    .map((r) => {
      const j = state.journeys[r.journeyId];
      const subject = r.kind === 'invoice-slip' ? undefined : r.receipt.subject;
      const name = j?.order?.holder?.nameMasked ?? j?.identity?.nameMasked ?? subject;
      const masked = name ? maskName(name) : '';
      return {
        id: r.id,
        orderId: r.kind === 'invoice-slip' ? r.slip.orderIdMasked : r.receipt.orderId,
        queuedAt: r.queuedAt,
        ...(masked ? { holderNameMasked: masked } : {}),
      };
    });
}

export interface StaffOverviewSources {
  softwareVersion: string;
  kiosk: { applianceId: string; hall: string; hallName?: string; timeZone?: string };
  /** The journey store's data (reprints, spoiled keys, journeys). */
  state(): Pick<ApplianceState, 'reprints' | 'spoiledKeys' | 'journeys'>;
  /** The sync agent: its queue and its contact with central. */
  sync: { status(): SyncAgentStatus; pendingCount(): number };
  printer(): DeviceStatusView | undefined;
  /** Blank keys left in the tray, when the kiosk can count them. */
  blankKeysLeft?: () => number;
}

export function staffOverviewFacts(src: StaffOverviewSources): StaffOverviewFacts {
  const sync = src.sync.status();
  const state = src.state();
  const kiosk: StaffKioskFacts = {
    applianceId: src.kiosk.applianceId,
    hall: src.kiosk.hall,
    hallName: src.kiosk.hallName ?? src.kiosk.hall,
    timeZone: src.kiosk.timeZone ?? DEFAULT_RECEIPT_TIME_ZONE,
    central: centralLink(sync.central),
    lastSyncAt: sync.central?.lastOkAt ?? null,
  };
  const consumables: ConsumableView[] = [
    { kind: 'blankKeys', count: src.blankKeysLeft ? src.blankKeysLeft() : null },
    { kind: 'paper', level: paperLevel(src.printer()) },
  ];
  return {
    kiosk,
    version: src.softwareVersion,
    queue: { depth: src.sync.pendingCount(), ...sync },
    consumables,
    reprints: reprintViews(state),
    parkedEvents: sync.outbox.parked ?? 0,
    spoiledKeys: state.spoiledKeys,
    recentJourneys: Object.values(state.journeys)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
      .slice(0, 20)
      .map((j) => ({
        id: j.id,
        step: j.step,
        status: j.status,
        orderId: j.order?.orderId,
        note: j.note,
        updatedAt: j.updatedAt,
      })),
  };
}

/**
 * Print a queued receipt again (marked 补打 REPRINT). A printer without paper or with its cover open answers
 * PRINTER_OUT_OF_PAPER / PRINTER_COVER_OPEN (staff see what to do), one that is not there DEVICE_UNAVAILABLE;
 * the receipt then stays queued. A receipt no longer queued: REPRINT_UNKNOWN.
 */
export async function reprintQueued(
  reprints: ReprintItem[],
  id: string,
  print: (receipt: Receipt) => Promise<void>,
  persist: () => Promise<void>,
): Promise<{ state: 'printed' }> {
  const item = reprints.find((r) => r.id === id && r.state === 'queued');
  if (!item) throw new ApplianceError('REPRINT_UNKNOWN');
  try {
    await print(
      item.kind === 'invoice-slip'
        ? invoiceSlipDocument(item.slip, { reprint: true })
        : receiptDocument(item.receipt, { reprint: true }),
    );
  } catch (err) {
    throw asApplianceError(err);
  }
  item.state = 'printed';
  await persist();
  return { state: 'printed' };
}
