import type { Request, RequestHandler, Response } from 'restify';

/** Largest accepted request body by default (decoded bytes). */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** Deepest JSON nesting any route accepts; the activity gate is stricter per field. */
export const MAX_JSON_DEPTH = 64;

/** A refusal of the decoder: restify answers it with its status; the routes' error listeners shape the JSON. */
export class InboundError extends Error {
  constructor(
    readonly statusCode: 400 | 413 | 415,
    readonly code: 'invalid_body' | 'payload_too_large' | 'unsupported_media_type',
  ) {
    super(code);
    this.name = statusCode === 413 ? 'PayloadTooLargeError' : statusCode === 415 ? 'UnsupportedMediaTypeError' : 'InvalidContentError';
  }
  toJSON(): { error: string } {
    return { error: this.code };
  }
}

export interface BodyDecoderOptions {
  /** Largest body in decoded bytes (the only encoding accepted is identity, so decoded = received). */
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * The one body decoder of every route (issue 16). restify's own body reader creates a gunzip stream without an error
 * handler (two bytes `1f 8b` with `Content-Encoding: gzip` killed the process) and counts compressed bytes against
 * the limit. This reader accepts no content coding at all (no client of this service compresses requests: the Bot
 * Connector, the Teams pages and ticketing systems send plain JSON), counts every byte it keeps, parses JSON
 * only, and bounds the nesting depth. Every failure is a clean 400, 413 or 415; a body is never half-read into a turn.
 */
export function bodyDecoder(options: BodyDecoderOptions = {}): RequestHandler {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  return function decodeBody(req: Request, res: Response, next: (err?: unknown) => void): void {
    let finished = false;
    const finish = (err?: InboundError): void => {
      if (finished) return;
      finished = true;
      if (err) {
        // The rest of an oversized or refused body is not read: close the connection after answering.
        res.setHeader('Connection', 'close');
        if (err.statusCode === 415) res.setHeader('Accept-Encoding', 'identity');
      }
      next(err);
    };
    const lengthHeader = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (!chunked && (lengthHeader === undefined || lengthHeader === '0')) {
      req.body = undefined;
      finish();
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') return finish(new InboundError(415, 'unsupported_media_type'));
    const declared = Number(lengthHeader ?? '0');
    if (!Number.isFinite(declared) || declared < 0) return finish(new InboundError(400, 'invalid_body'));
    if (declared > maxBytes) return finish(new InboundError(413, 'payload_too_large'));
    const type = parseContentType(req.headers['content-type']);
    if (type && (!JSON_TYPE.test(type.mediaType) || (type.charset !== undefined && type.charset !== 'utf-8' && type.charset !== 'utf8')))
      return finish(new InboundError(415, 'unsupported_media_type'));

    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      res.off('close', onAbort);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        finish(new InboundError(413, 'payload_too_large'));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => {
      cleanup();
      const raw = Buffer.concat(chunks, size);
      const parsed = parseJson(raw, maxDepth);
      if (!parsed.ok) return finish(new InboundError(400, 'invalid_body'));
      req.body = parsed.value;
      // The exact bytes, for routes that check a signature over them (the SIEM lockout webhook).
      (req as { rawBody?: Buffer }).rawBody = raw;
      finish();
    };
    const onAbort = (): void => {
      cleanup();
      // The client went away: nothing to answer; restify's chain must not continue into a route.
      finished = true;
    };
    req.on('data', onData);
    req.once('end', onEnd);
    res.once('close', onAbort);
    // A stream error (socket reset mid-body) must never become an unhandled 'error' event.
    req.on('error', () => {
      cleanup();
      if (!finished) finish(new InboundError(400, 'invalid_body'));
    });
    req.resume();
  };
}

function parseContentType(header: string | undefined): { mediaType: string; charset?: string } | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const [media, ...params] = header.split(';');
  const out: { mediaType: string; charset?: string } = { mediaType: (media ?? '').trim().toLowerCase() };
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v !== undefined) out.charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return out;
}

/** JSON.parse, then an iterative depth check (no recursion: a 100,000-deep array must not overflow the stack). */
export function parseJson(buf: Buffer, maxDepth: number): { ok: true; value: unknown } | { ok: false } {
  const text = buf.toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  // Cheap pre-check on the raw text: brackets bound the depth from above, so most bodies skip the walk.
  let open = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      open++;
      if (open > deepest) deepest = open;
      if (deepest > maxDepth) return { ok: false };
    } else if (c === 0x7d || c === 0x5d) open--;
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Depth of a value already in memory (iterative). Used by the gates on fields copied into replies. */
export function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return deepest;
}
