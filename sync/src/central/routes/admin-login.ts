// Operator login for browsers: POST /admin/login takes an operator's name and password (operators.ts), or the
// admin token (break-glass), as form fields or JSON, and sets an HttpOnly, SameSite=Strict session cookie holding
// a random session id; POST /admin/logout ends the session. Every login and failed login is in the operator audit.
// GET /admin/login shows the form. Login is rate-limited like the other unauthenticated endpoints.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponses } from '../../contract/schemas.js';
import {
  ADMIN_SESSION_COOKIE,
  ADMIN_SESSION_TTL_MS,
  ADMIN_TOKEN_ACTOR,
  tokenMatches,
} from '../admin-auth.js';
import { CentralError } from '../errors.js';
import { renderLoginPage } from '../pages/login-page.js';

const FORM = 'application/x-www-form-urlencoded';
const LoginBody = Type.Union([
  Type.Object({ token: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
  Type.Object(
    {
      operator: Type.String({ minLength: 1, maxLength: 64 }),
      password: Type.String({ minLength: 1, maxLength: 1024 }),
    },
    { additionalProperties: false },
  ),
]);
type LoginBodyT = { token: string } | { operator: string; password: string };

const fromForm = (req: FastifyRequest) => (req.headers['content-type'] ?? '').startsWith(FORM);

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

export async function registerAdminLogin(app: FastifyInstance): Promise<void> {
  const ctx = app.central;
  const rateLimit = ctx.publicRateLimit;

  // HTML forms post urlencoded; only these routes (this plugin) read that content type.
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(
    '/admin/login',
    { schema: { summary: 'Operator login form (HTML)', tags: ['pages'] }, config: { rateLimit } },
    async (_req, reply) => html(reply, 200, renderLoginPage()),
  );

  app.post<{ Body: LoginBodyT }>(
    '/admin/login',
    {
      schema: {
        summary:
          'Log in as an operator (`operator` and `password`; OPERATOR_LOGIN_FAILED, OPERATOR_LOCKED after 5 wrong) or with the admin token (`token`), as form fields or JSON: sets the HttpOnly, SameSite=Strict session cookie',
        tags: ['admin'],
        consumes: ['application/json', FORM],
        body: LoginBody,
        response: {
          200: Type.Object({ expiresAt: Type.String({ format: 'date-time' }) }),
          303: Type.Null(),
          ...errorResponses(400, 401, 429),
        },
      },
      config: { rateLimit },
    },
    async (req, reply) => {
      let actor: string;
      if ('token' in req.body) {
        if (!tokenMatches(req.body.token, ctx.adminToken)) {
          await ctx.operators.audit(ADMIN_TOKEN_ACTOR, 'login.failed', ADMIN_TOKEN_ACTOR, {});
          if (fromForm(req)) return html(reply, 401, renderLoginPage({ error: 'Wrong admin token.' }));
          throw new CentralError('ADMIN_UNAUTHORISED', 'Wrong admin token.');
        }
        await ctx.operators.audit(ADMIN_TOKEN_ACTOR, 'login', ADMIN_TOKEN_ACTOR, {});
        actor = ADMIN_TOKEN_ACTOR;
      } else {
        try {
          await ctx.operators.login(req.body.operator, req.body.password);
        } catch (err) {
          if (fromForm(req) && err instanceof CentralError)
            return html(reply, err.statusCode, renderLoginPage({ error: err.message }));
          throw err;
        }
        actor = req.body.operator;
      }
      const session = await ctx.sessions.create(actor);
      reply.setCookie(ADMIN_SESSION_COOKIE, session.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https' || ctx.publicBaseUrl().startsWith('https:'),
        maxAge: ADMIN_SESSION_TTL_MS / 1000,
      });
      reply.header('cache-control', 'no-store');
      if (fromForm(req)) return reply.redirect('/fleet', 303);
      return { expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  app.post(
    '/admin/logout',
    {
      schema: {
        summary: 'End the login session (its cookie is cleared); a form post is sent back to /fleet',
        tags: ['admin'],
        response: { 204: Type.Null(), 303: Type.Null() },
      },
    },
    async (req, reply) => {
      await ctx.sessions.end(req.cookies[ADMIN_SESSION_COOKIE]);
      reply.clearCookie(ADMIN_SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
      if (fromForm(req)) return reply.redirect('/fleet', 303);
      return reply.code(204).send();
    },
  );
}
