// The staff accounts the sim profile seeds (config/profiles/sim.json `staff.accounts`, PIN hashes only) with
// their PINs, for the demo banner and the tests that sign in. Public development values, like the demo
// secrets of config/src/demo-secrets.ts: a production store never has them (it is seeded from its own config).

export interface DemoStaffAccount {
  staffId: string;
  name: string;
  role: 'operator' | 'administrator';
  pin: string;
}

export const DEMO_STAFF = {
  administrator: { staffId: 'S001', name: '陈静', role: 'administrator', pin: '864213' },
  operator: { staffId: 'S002', name: '王强', role: 'operator', pin: '975310' },
} as const satisfies Record<string, DemoStaffAccount>;

/** `{ staffId, pin }` of a demo account: the body of POST /api/staff/login. */
export const demoStaffLogin = (role: keyof typeof DEMO_STAFF = 'administrator') => ({
  staffId: DEMO_STAFF[role].staffId,
  pin: DEMO_STAFF[role].pin,
});
