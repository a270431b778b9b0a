// The operations console's pages open only to an operator (Bearer admin token or login session); anyone else
// gets 401 with the login form, before the request body is read, so a page's forms do nothing for them.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { isAdminRequest, tokenInUrl } from '../admin-auth.js';
import type { CentralContext } from '../context.js';
import { renderLoginPage } from './login-page.js';

/** An onRequest hook: operators pass, everyone else gets the login form (401). */
export function operatorPagesOnly(ctx: CentralContext): onRequestAsyncHookHandler {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (await isAdminRequest(req, ctx)) return;
    const notice = tokenInUrl(req)
      ? 'A token in the address is not accepted (it would stay in browser history and server logs); log in here.'
      : undefined;
    return reply
      .code(401)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderLoginPage(notice ? { notice } : {}));
  };
}
