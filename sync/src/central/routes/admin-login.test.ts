// The admin token travels only as a Bearer header or a login session cookie: never in a URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_TTL_MS } from '../admin-auth.js';
import { type Harness, startHarness, TEST_ADMIN_TOKEN } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const FLEET_HEADING = /<h1>Fleet · /;

function setCookies(r: { headers: Record<string, unknown> }): string[] {
  const v = r.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [String(v)];
}

/** The session cookie a login answer sets, as `name=value` for a Cookie header. */
function sessionCookie(r: { headers: Record<string, unknown> }): string {
  const c = setCookies(r).find((s) => s.startsWith(`${ADMIN_SESSION_COOKIE}=`));
  if (!c) throw new Error('no session cookie set');
  return c.split(';')[0]!;
}

const loginJson = (token: string) =>
  h.app.inject({ method: 'POST', url: '/admin/login', payload: { token } });
const loginForm = (token: string) =>
  h.app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token }).toString(),
  });

describe('admin token in the URL', () => {
  it('?token= with the right admin token is refused (401) on an admin route', async () => {
    for (const url of [
      `/admin/v1/orders?token=${TEST_ADMIN_TOKEN}`,
      `/admin/v1/appliances?token=${encodeURIComponent(TEST_ADMIN_TOKEN)}`,
    ]) {
      const r = await h.app.inject({ url });
      expect(r.statusCode, url).toBe(401);
      expect(r.json()).toMatchObject({ statusCode: 401, code: 'ADMIN_UNAUTHORISED' });
      expect(r.json().message).toContain('not accepted in the URL');
    }
    const post = await h.app.inject({
      method: 'POST',
      url: `/admin/v1/orders?token=${TEST_ADMIN_TOKEN}`,
      payload: {},
    });
    expect(post.statusCode).toBe(401);
  });

  it('?token= with the right admin token is refused (401) on the fleet page: the login form, no fleet', async () => {
    const r = await h.app.inject({ url: `/fleet?token=${TEST_ADMIN_TOKEN}` });
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('data-login-form');
    expect(r.body).toContain('data-notice');
    expect(r.body).not.toMatch(FLEET_HEADING);
    expect(r.body).not.toContain('KIOSK-T-001');
    expect(setCookies(r)).toEqual([]);
  });

  it('the fleet page without a session offers the login form (401), which posts the token, not in a URL', async () => {
    const r = await h.app.inject({ url: '/fleet' });
    expect(r.statusCode).toBe(401);
    expect(r.body).toMatch(/<form method="post" action="\/admin\/login"/);
    expect(r.body).toMatch(/<input[^>]*name="token"[^>]*type="password"/);
    expect(r.body).not.toMatch(FLEET_HEADING);
    const page = await h.app.inject({ url: '/admin/login' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-login-form');
  });
});

describe('operator login session', () => {
  it('login with the token sets an HttpOnly SameSite=Strict random session cookie that opens the fleet page and the admin API; logout ends it', async () => {
    const login = await loginJson(TEST_ADMIN_TOKEN);
    expect(login.statusCode, login.body).toBe(200);
    expect(Date.parse(login.json().expiresAt)).toBe(h.clock.ms + ADMIN_SESSION_TTL_MS);
    const [set] = setCookies(login);
    expect(set).toMatch(new RegExp(`^${ADMIN_SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(set).toMatch(/; HttpOnly/i);
    expect(set).toMatch(/; SameSite=Strict/i);
    expect(set).toMatch(/; Path=\//);
    expect(set).not.toContain(TEST_ADMIN_TOKEN); // the cookie holds a session id, never the token
    const cookie = sessionCookie(login);

    const fleet = await h.app.inject({ url: '/fleet', headers: { cookie } });
    expect(fleet.statusCode).toBe(200);
    expect(fleet.body).toMatch(FLEET_HEADING);
    expect(fleet.body).toContain('data-logout-form');
    expect(fleet.headers['cache-control']).toBe('no-store');
    expect((await h.app.inject({ url: '/admin/v1/appliances', headers: { cookie } })).statusCode).toBe(200);

    const logout = await h.app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie } });
    expect(logout.statusCode).toBe(204);
    expect(setCookies(logout).join()).toMatch(
      new RegExp(`${ADMIN_SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`),
    );
    // The old cookie value is dead on the server, even if a browser kept it.
    const after = await h.app.inject({ url: '/fleet', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.body).toContain('data-login-form');
    expect((await h.app.inject({ url: '/admin/v1/appliances', headers: { cookie } })).statusCode).toBe(401);
  });

  it('the login form posts urlencoded: 303 to /fleet with the cookie; the fleet page’s logout form sends back to /fleet', async () => {
    const login = await loginForm(TEST_ADMIN_TOKEN);
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/fleet');
    const cookie = sessionCookie(login);
    expect((await h.app.inject({ url: '/fleet', headers: { cookie } })).body).toMatch(FLEET_HEADING);
    const logout = await h.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(logout.statusCode).toBe(303);
    expect(logout.headers.location).toBe('/fleet');
    expect((await h.app.inject({ url: '/fleet', headers: { cookie } })).statusCode).toBe(401);
  });

  it('a wrong token gets 401 and no cookie (JSON and form)', async () => {
    for (const token of ['wrong', `${TEST_ADMIN_TOKEN}x`, TEST_ADMIN_TOKEN.slice(0, -1)]) {
      const j = await loginJson(token);
      expect(j.statusCode).toBe(401);
      expect(j.json()).toMatchObject({ statusCode: 401, code: 'ADMIN_UNAUTHORISED' });
      expect(setCookies(j)).toEqual([]);
      const f = await loginForm(token);
      expect(f.statusCode).toBe(401);
      expect(f.body).toContain('data-error');
      expect(setCookies(f)).toEqual([]);
    }
    expect((await h.app.inject({ method: 'POST', url: '/admin/login', payload: {} })).statusCode).toBe(400);
  });

  it('a made-up session cookie opens nothing', async () => {
    const cookie = `${ADMIN_SESSION_COOKIE}=${'A'.repeat(43)}`;
    expect((await h.app.inject({ url: '/fleet', headers: { cookie } })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/admin/v1/orders', headers: { cookie } })).statusCode).toBe(401);
    // nor does the admin token itself as the cookie value
    const tokenCookie = `${ADMIN_SESSION_COOKIE}=${TEST_ADMIN_TOKEN}`;
    expect((await h.app.inject({ url: '/fleet', headers: { cookie: tokenCookie } })).statusCode).toBe(401);
  });

  it('a session ends after 8 hours', async () => {
    const cookie = sessionCookie(await loginJson(TEST_ADMIN_TOKEN));
    h.clock.ms += ADMIN_SESSION_TTL_MS - 1000;
    expect((await h.app.inject({ url: '/fleet', headers: { cookie } })).statusCode).toBe(200);
    h.clock.ms += 1000;
    expect((await h.app.inject({ url: '/fleet', headers: { cookie } })).statusCode).toBe(401);
  });
});
