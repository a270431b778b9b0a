// The bank statement pages of the operations console (operators only, see operator-gate.ts): the page, the
// statement upload (a file input, multipart; imported by the same StatementImporter as POST
// /admin/v1/statements) and the queue decisions (assign, dismiss). A refusal is shown on the page with its code;
// a decision sends the browser back to the page (303), so a reload repeats nothing.
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type AssignStatementLineRequest,
  AssignStatementLineRequestSchema,
  type DismissStatementLineRequest,
  DismissStatementLineRequestSchema,
} from '../../contract/schemas.js';
import { CentralError } from '../errors.js';
import { decodeStatementFile, STATEMENT_MAX_BYTES } from '../statement.js';
import { operatorPagesOnly } from './operator-gate.js';
import { renderStatementPage, STATEMENTS_PAGE, type StatementPageInput } from './statement-page.js';

const FORM = 'application/x-www-form-urlencoded';
const QueueParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
type QueueRoute = { Params: { id: number } };

export async function registerStatementPages(app: FastifyInstance): Promise<void> {
  const ctx = app.central;
  app.addHook('onRequest', operatorPagesOnly(ctx));
  await app.register(multipart, { limits: { fileSize: STATEMENT_MAX_BYTES, files: 1 } });
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const page = async (reply: FastifyReply, status: number, extra: Partial<StatementPageInput> = {}) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        renderStatementPage({
          open: await ctx.statementQueue.list('open'),
          resolved: await ctx.statementQueue.list('resolved', 20),
          transfers: await ctx.orders.list('transfer-pending'),
          ...extra,
        }),
      );
  /** A refusal on the page (typed errors only; anything else is a fault, answered as such). */
  const refused = async (reply: FastifyReply, err: unknown) => {
    if (!(err instanceof CentralError)) throw err;
    return page(reply, err.statusCode, { error: { code: err.code, message: err.message } });
  };

  /** The uploaded file as text, or a typed refusal. */
  const readUpload = async (req: FastifyRequest): Promise<{ fileName: string; csv: string }> => {
    try {
      const file = await req.file();
      const bytes = file ? await file.toBuffer() : undefined;
      // A form sent without choosing a file still has the part, with no name and no content.
      if (!file || !bytes || (!file.filename && bytes.length === 0))
        throw new CentralError('STATEMENT_FILE_MISSING');
      return { fileName: file.filename || 'statement.csv', csv: decodeStatementFile(bytes) };
    } catch (err) {
      if (err instanceof app.multipartErrors.RequestFileTooLargeError)
        throw new CentralError(
          'STATEMENT_TOO_LARGE',
          `The bank statement file is larger than ${STATEMENT_MAX_BYTES / 1_000_000} MB; import it in parts.`,
        );
      if (err instanceof app.multipartErrors.InvalidMultipartContentTypeError)
        throw new CentralError(
          'STATEMENT_FILE_MISSING',
          'Send the statement as a file (multipart/form-data).',
        );
      throw err;
    }
  };

  app.get(
    STATEMENTS_PAGE,
    {
      schema: {
        summary:
          'Bank statements (HTML, operators): upload, the queue of lines left to an operator, orders awaiting a transfer',
        tags: ['pages'],
      },
    },
    async (_req, reply) => page(reply, 200),
  );

  app.post(
    STATEMENTS_PAGE,
    {
      schema: {
        summary:
          'Upload a bank statement CSV (multipart field `statement`, UTF-8 or GBK) and show what the import did; refused whole, nothing stored, when a line cannot be read',
        tags: ['pages'],
        consumes: ['multipart/form-data'],
      },
    },
    async (req, reply) => {
      try {
        const { fileName, csv } = await readUpload(req);
        return page(reply, 200, { imported: { fileName, result: await ctx.statements.import(csv) } });
      } catch (err) {
        return refused(reply, err);
      }
    },
  );

  app.post<QueueRoute & { Body: AssignStatementLineRequest }>(
    `${STATEMENTS_PAGE}/queue/:id/assign`,
    {
      schema: {
        summary: 'Assign a queued line to an order (form: orderId, operator, note): the order is paid',
        tags: ['pages'],
        consumes: [FORM],
        params: QueueParams,
        body: AssignStatementLineRequestSchema,
      },
    },
    async (req, reply) => {
      try {
        await ctx.statementQueue.assign(req.params.id, req.body);
      } catch (err) {
        return refused(reply, err);
      }
      return reply.redirect(STATEMENTS_PAGE, 303);
    },
  );

  app.post<QueueRoute & { Body: DismissStatementLineRequest }>(
    `${STATEMENTS_PAGE}/queue/:id/dismiss`,
    {
      schema: {
        summary: 'Dismiss a queued line with the reason (form: operator, reason)',
        tags: ['pages'],
        consumes: [FORM],
        params: QueueParams,
        body: DismissStatementLineRequestSchema,
      },
    },
    async (req, reply) => {
      try {
        await ctx.statementQueue.dismiss(req.params.id, req.body);
      } catch (err) {
        return refused(reply, err);
      }
      return reply.redirect(STATEMENTS_PAGE, 303);
    },
  );
}
