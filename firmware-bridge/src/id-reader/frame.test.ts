import { describe, expect, it } from 'vitest';
import { DeviceError } from '../errors.js';
import { COMMANDS } from './commands.js';
import { encodeCommand, encodeResponse, type Frame, FrameDecoder, MAX_FRAME_LEN } from './frame.js';
import { encodeReadData } from './read-data.js';

const hex = (s: string) => Uint8Array.from(s.split(/\s+/).map((b) => Number.parseInt(b, 16)));
const bytes = (u: Uint8Array) => [...u];

function pushAll(decoder: FrameDecoder<'response'>, chunks: Uint8Array[]): Array<Frame | DeviceError> {
  return chunks.flatMap((c) => decoder.push(c));
}

describe('frame encoding', () => {
  it('produces the command frames the spec quotes', () => {
    const enc = (c: { cmd: number; para: number }) => bytes(encodeCommand(c.cmd, c.para));
    expect(enc(COMMANDS.findCard)).toEqual(bytes(hex('AA AA AA 96 69 00 03 20 01 22')));
    expect(enc(COMMANDS.selectCard)).toEqual(bytes(hex('AA AA AA 96 69 00 03 20 02 21')));
    expect(enc(COMMANDS.readBase)).toEqual(bytes(hex('AA AA AA 96 69 00 03 30 01 32')));
    expect(enc(COMMANDS.moduleStatus)).toEqual(bytes(hex('AA AA AA 96 69 00 03 11 FF ED')));
  });

  it('makes a full base-information answer 1295 bytes long with LEN 0x0508', () => {
    const data = encodeReadData({ text: new Uint8Array(256), photo: new Uint8Array(10) }, false);
    const frame = encodeResponse(0x90, data);
    expect(frame.length).toBe(1295);
    expect([frame[5], frame[6]]).toEqual([0x05, 0x08]);
  });
});

describe('FrameDecoder', () => {
  const noCard = hex('AA AA AA 96 69 00 04 00 00 80 84');
  const found = encodeResponse(0x9f, new Uint8Array(4));

  it('decodes a response frame', () => {
    const [frame] = new FrameDecoder('response').push(noCard);
    expect(frame).toMatchObject({ kind: 'response', sw1: 0, sw2: 0, sw3: 0x80 });
  });

  it('decodes a command frame on the emulator side', () => {
    const [frame] = new FrameDecoder('command').push(hex('AA AA AA 96 69 00 03 20 01 22'));
    expect(frame).toMatchObject({ kind: 'command', cmd: 0x20, para: 0x01 });
  });

  it('skips junk before a frame and copes with a run of AA before 96 69', () => {
    const d = new FrameDecoder('response');
    const out = d.push(Uint8Array.from([0x01, 0x96, 0x69, 0xaa, ...noCard]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ sw3: 0x80 });
    expect(d.discardedBytes).toBe(4);
  });

  it('reassembles a frame fed one byte at a time (preamble split across reads)', () => {
    const d = new FrameDecoder('response');
    const out = pushAll(
      d,
      [...found].map((b) => Uint8Array.of(b)),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ sw3: 0x9f, data: new Uint8Array(4) });
    expect(d.pendingBytes).toBe(0);
  });

  it('reports a bad checksum as ID_READER_CHECKSUM and still decodes the next frame', () => {
    const bad = Uint8Array.from(noCard);
    bad[bad.length - 1]! ^= 0x01;
    const out = new FrameDecoder('response').push(Uint8Array.from([...bad, ...found]));
    expect(out[0]).toBeInstanceOf(DeviceError);
    expect(out[0]).toMatchObject({ code: 'ID_READER_CHECKSUM' });
    expect(out.at(-1)).toMatchObject({ kind: 'response', sw3: 0x9f });
  });

  it('rejects impossible lengths and resynchronises', () => {
    const tooShort = hex('AA AA AA 96 69 00 01 00');
    const tooLong = hex(`AA AA AA 96 69 ${(MAX_FRAME_LEN + 1) >> 8} ${(MAX_FRAME_LEN + 1) & 0xff}`);
    const out = new FrameDecoder('response').push(Uint8Array.from([...tooShort, ...tooLong, ...found]));
    expect(out.filter((x) => x instanceof DeviceError).map((x) => (x as DeviceError).code)).toEqual([
      'ID_READER_BAD_LENGTH',
      'ID_READER_BAD_LENGTH',
    ]);
    expect(out.at(-1)).toMatchObject({ kind: 'response', sw3: 0x9f });
  });

  it('finds a good frame hidden behind a truncated one once the bytes are in', () => {
    const truncated = found.subarray(0, 9);
    const out = new FrameDecoder('response').push(Uint8Array.from([...truncated, ...found, ...noCard]));
    const frames = out.filter((x) => !(x instanceof DeviceError));
    expect(frames.map((f) => (f as { sw3: number }).sw3)).toContain(0x80);
  });

  it('forgets a half frame on reset()', () => {
    const d = new FrameDecoder('response');
    d.push(found.subarray(0, 8));
    expect(d.pendingBytes).toBe(8);
    d.reset();
    expect(d.push(noCard)).toMatchObject([{ sw3: 0x80 }]);
  });
});
