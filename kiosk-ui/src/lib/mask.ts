// Defence in depth: the appliance already masks personal data, the UI masks again before showing it — with
// the kiosk's one mask (config/src/masks.ts, pure, taken into the bundle as it is).
export { maskIdNumber, maskName } from '../../../config/src/masks.ts';
