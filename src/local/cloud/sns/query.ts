import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * The awsQuery protocol as SNS speaks it: form-encoded parameters in (`Attributes.entry.1.key`,
 * `MessageAttributes.entry.1.Value.DataType`, `Tags.member.1.Key`), XML out.
 */

export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * An XML element tree: a string or number is text; an array repeats `<member>` elements; an object's keys are
 * child elements (undefined ones left out); `xmlMap(...)` is an awsQuery string map.
 */
export type Xml = string | number | boolean | undefined | RawXml | Xml[] | { [element: string]: Xml };
interface RawXml {
  __raw: string;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const isRaw = (v: unknown): v is RawXml => typeof v === 'object' && v !== null && typeof (v as RawXml).__raw === 'string';

export function toXml(value: Xml): string {
  if (value === undefined) return '';
  if (isRaw(value)) return value.__raw;
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** An awsQuery string map (`<entry><key>..</key><value>..</value></entry>`). */
export function xmlMap(map: Record<string, string>): Xml {
  return {
    __raw: Object.entries(map)
      .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></entry>`)
      .join(''),
  };
}

export function sendQueryResult(res: ServerResponse, action: string, result: Xml): void {
  const requestId = randomUUID();
  const body =
    `<${action}Response xmlns="${SNS_XMLNS}">` +
    (result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
  res.end(body);
}

export function sendQueryError(res: ServerResponse, status: number, code: string, message: string): void {
  const requestId = randomUUID();
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
  res.end(body);
}

/** `Prefix.entry.N.<keyName>` entries as a map from the key to the entry's other fields, in N order. */
export function readEntries(params: URLSearchParams, prefix: string, keyName = 'key'): Map<string, Record<string, string>> {
  const byIndex = new Map<number, { key?: string; fields: Record<string, string> }>();
  const head = `${prefix}.entry.`;
  for (const [k, v] of params) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    const dot = rest.indexOf('.');
    const n = Number(rest.slice(0, dot));
    const field = rest.slice(dot + 1);
    const e = byIndex.get(n) ?? { fields: {} };
    if (field === keyName) e.key = v;
    else e.fields[field] = v;
    byIndex.set(n, e);
  }
  const out = new Map<string, Record<string, string>>();
  for (const [, e] of [...byIndex].sort(([a], [b]) => a - b)) if (e.key !== undefined) out.set(e.key, e.fields);
  return out;
}

/** A plain string map such as `Attributes.entry.N.key/value`. */
export function readStringMap(params: URLSearchParams, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, fields] of readEntries(params, prefix)) out[k] = fields.value ?? '';
  return out;
}

/** `Prefix.member.N.Field` structures as a list, in N order. */
export function readMembers(params: URLSearchParams, prefix: string): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  const head = `${prefix}.member.`;
  for (const [k, v] of params) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    const dot = rest.indexOf('.');
    const n = Number(rest.slice(0, dot));
    const m = byIndex.get(n) ?? {};
    m[rest.slice(dot + 1)] = v;
    byIndex.set(n, m);
  }
  return [...byIndex].sort(([a], [b]) => a - b).map(([, m]) => m);
}
