// A receipt printer from the device's side of a ByteTransport: it decodes the ESC/POS stream into documents,
// answers DLE EOT like the real mechanism would, and can be told to run out of paper, open its cover, etc.
import type { ByteTransport } from '../transport/serial.js';
import { DocumentAssembler, EscPosDecoder, type EscPosEvent, type PrintedDocument } from './decoder.js';
import { encodeStatusAnswer, type PrinterCondition } from './status.js';

export interface ReceiptPrinterEmulatorOptions {
  /** Initial mechanism condition; default healthy. */
  condition?: Partial<PrinterCondition>;
}

export class ReceiptPrinterEmulator {
  private readonly decoder = new EscPosDecoder();
  private readonly assembler = new DocumentAssembler();
  private readonly finished: PrintedDocument[] = [];
  private readonly documentListeners = new Set<(doc: PrintedDocument) => void>();
  private condition: PrinterCondition;
  private silent = false;
  private linesUntilPaperOut: number | null = null;
  private detach: (() => void) | null = null;
  private statusRequests = 0;

  constructor(opts: ReceiptPrinterEmulatorOptions = {}) {
    this.condition = { paper: 'ok', coverOpen: false, fault: 'none', ...opts.condition };
  }

  /** Plug the emulator into the device end of a transport (replacing any earlier one). */
  attach(transport: ByteTransport): void {
    this.detach?.();
    const offData = transport.onData((chunk) => {
      const answer = this.receive(chunk);
      // A peer that vanished mid-answer is the driver's problem to notice, not a crash here.
      if (answer.length > 0 && transport.isOpen) transport.write(answer, 1000).catch(() => {});
    });
    const offClose = transport.onClose(() => this.detach?.());
    this.detach = () => {
      offData();
      offClose();
      this.detach = null;
    };
  }

  /** Process bytes from the host; returns the bytes the printer answers (status bytes). */
  receive(bytes: Uint8Array): Uint8Array {
    const answers: number[] = [];
    for (const event of this.decoder.push(bytes)) {
      if (event.type === 'status-request') {
        // Offline = powered off or hung: nothing comes back, not even status.
        if (!this.silent) answers.push(encodeStatusAnswer(event.n, this.condition));
        this.statusRequests++;
      } else if (this.canPrint()) {
        this.print(event);
      }
    }
    return Uint8Array.from(answers);
  }

  private canPrint(): boolean {
    const c = this.condition;
    return !this.silent && c.paper !== 'out' && !c.coverOpen && c.fault === 'none';
  }

  private print(event: EscPosEvent): void {
    this.assembler.apply(event);
    if (event.type === 'line' && this.linesUntilPaperOut !== null) {
      this.linesUntilPaperOut--;
      if (this.linesUntilPaperOut <= 0) {
        this.linesUntilPaperOut = null;
        this.condition = { ...this.condition, paper: 'out' };
      }
    }
    if (event.type === 'cut') {
      const doc = this.assembler.take();
      this.finished.push(doc);
      for (const l of this.documentListeners) l(doc);
    }
  }

  /** Documents finished by a cut, oldest first. */
  documents(): PrintedDocument[] {
    return [...this.finished];
  }

  /** What is on the paper since the last cut (e.g. the part printed before the paper ran out). */
  current(): PrintedDocument {
    return structuredClone(this.assembler.current);
  }

  /** Called with each document as it is cut off. Returns an unsubscribe function. */
  onDocument(listener: (doc: PrintedDocument) => void): () => void {
    this.documentListeners.add(listener);
    return () => this.documentListeners.delete(listener);
  }

  get status(): Readonly<PrinterCondition> {
    return this.condition;
  }

  /** How many DLE EOT requests arrived (answered or not). */
  get statusRequestCount(): number {
    return this.statusRequests;
  }

  setPaper(paper: PrinterCondition['paper']): void {
    this.condition = { ...this.condition, paper };
    if (paper === 'out') this.linesUntilPaperOut = null;
  }

  setCoverOpen(open: boolean): void {
    this.condition = { ...this.condition, coverOpen: open };
  }

  setFault(fault: PrinterCondition['fault']): void {
    this.condition = { ...this.condition, fault };
  }

  /** Offline: the printer ignores everything and answers nothing. */
  setOffline(offline: boolean): void {
    this.silent = offline;
  }

  /** The paper ends after `lines` more printed lines (a job that runs out mid-way). */
  runOutOfPaperAfter(lines: number): void {
    if (lines <= 0) this.setPaper('out');
    else this.linesUntilPaperOut = lines;
  }

  /** Forget all printed documents (the paper basket is emptied). */
  clearDocuments(): void {
    this.finished.length = 0;
    this.assembler.take();
  }
}
