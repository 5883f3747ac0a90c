import type { Request, Response } from 'restify';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The JSON body of a request, whether or not a body parser already read it. */
export async function readJson(req: Request): Promise<unknown> {
  const parsed: unknown = (req as Request & { body?: unknown }).body;
  if (parsed !== undefined && parsed !== null) {
    if (Buffer.isBuffer(parsed)) return parseOrUndefined(parsed.toString('utf8'));
    if (typeof parsed === 'string') return parseOrUndefined(parsed);
    return parsed;
  }
  if (req.readableEnded) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buf);
  }
  return chunks.length === 0 ? undefined : parseOrUndefined(Buffer.concat(chunks).toString('utf8'));
}

function parseOrUndefined(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Bot Framework / Direct Line style error body. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.send(status, { error: { code, message } });
}

export function param(req: Request, name: string): string {
  const params = req.params as Record<string, string | undefined> | undefined;
  return params?.[name] ?? '';
}

export function query(req: Request, name: string): string | undefined {
  const q = req.query as Record<string, unknown> | string | undefined;
  if (q && typeof q === 'object') {
    const v = q[name];
    return typeof v === 'string' ? v : undefined;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get(name) ?? undefined;
}
