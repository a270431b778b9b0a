// Print the scrypt hash of a staff PIN for `staff.accounts[].pinHash` in the config:
//   node appliance/dist/staff/hash-pin-cli.js          (type the PIN, then Enter; it is not echoed)
//   printf '%s' "$PIN" | node appliance/dist/staff/hash-pin-cli.js
// The PIN is read from standard input only (never an argument: those show in `ps` and shell history) and is
// refused when it is too easy to guess.
import { hashStaffPin } from './pin-hash.js';
import { checkStaffPin } from './pin-rules.js';

async function readPin(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('staff PIN (6–12 digits): ');
    stdin.setRawMode(true);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    const buf = chunk as Buffer;
    if (stdin.isTTY) {
      if (buf.includes(3)) process.exit(130); // Ctrl-C
      const end = buf.findIndex((b) => b === 13 || b === 10);
      if (end >= 0) {
        chunks.push(buf.subarray(0, end));
        break;
      }
    }
    chunks.push(buf);
  }
  if (stdin.isTTY) {
    stdin.setRawMode(false);
    process.stderr.write('\n');
  }
  stdin.pause();
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/[\r\n]+$/, '');
}

const pin = await readPin();
const problems = checkStaffPin(pin);
if (problems.length) {
  process.stderr.write(`refused: ${problems.join(', ')} (6–12 digits, no repeats, runs or common PINs)\n`);
  process.exit(1);
}
process.stdout.write(`${await hashStaffPin(pin)}\n`);
