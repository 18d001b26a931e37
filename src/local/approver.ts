/**
 * An approver's browser, as plain HTTP: open the link from the message (GET: the confirmation page, which
 * decides nothing), then submit the form (POST). Used by the demo's automatic approver and by tests.
 */

export interface LinkDecision {
  decision: string;
  name: string;
  comment?: string;
  quiesced?: boolean;
  acceptMissing?: string[];
  terminateInstances?: boolean;
  /** The change id, where the plan requires one. */
  changeRef?: string;
}

export interface LinkOutcome {
  get: { status: number; body: string };
  post?: { status: number; body: string };
}

/** The approval links in a message's text. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/\S+\/approvals\/[A-Za-z0-9_-]+\?sig=[A-Za-z0-9_-]+/g)].map((m) => m[0]);
}

export function formBody(sig: string, d: LinkDecision): string {
  const f = new URLSearchParams({ sig, decision: d.decision, name: d.name });
  if (d.comment) f.set('comment', d.comment);
  if (d.quiesced) f.set('quiesced', 'true');
  if (d.terminateInstances) f.set('terminateInstances', 'true');
  if (d.changeRef) f.set('changeRef', d.changeRef);
  for (const s of d.acceptMissing ?? []) f.append('acceptMissing', s);
  return f.toString();
}

/** What the approver's browser needs of fetch (the global fetch, or the local cloud's in-process one). */
export type ApproverFetch = (url: URL, init: { method?: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; text(): Promise<string> }>;

/** GET the page; if it offers the decision, POST it. */
export async function openAndDecide(url: string, d: LinkDecision, userAgent = 'mgn-flow-demo-approver', fetchFn: ApproverFetch = fetch): Promise<LinkOutcome> {
  const u = new URL(url);
  const page = await fetchFn(u, { headers: { 'user-agent': userAgent } });
  const get = { status: page.status, body: await page.text() };
  if (page.status !== 200) return { get };
  const sig = u.searchParams.get('sig') ?? '';
  const res = await fetchFn(new URL(u.pathname, u.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': userAgent },
    body: formBody(sig, d),
  });
  return { get, post: { status: res.status, body: await res.text() } };
}
