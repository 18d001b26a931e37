/* global document, window, fetch, CSS, URLSearchParams */
// The mgn-flow dashboard page: plain JS, no build step. It polls the dashboard server's JSON (the board
// and the simulated clock every 2 s, the open execution's states every second) and redraws in place; text
// goes in through textContent only. Its one control paces the local cloud's simulated clock.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'aborted'];

const state = { selected: null, graphArn: null, graphTimer: null, zoom: 1, layout: null, scrolled: false };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) e.setAttribute(k, String(v));
  return e;
}

async function getJson(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.message || r.statusText);
  return body;
}

// ------------------------------------------------------------------ board

/** The zone the page shows times in: the waves' own when they share one, else UTC. */
const view = { zone: 'UTC' };

/** "2026-12-05 02:00" in the page's zone (to the minute). */
function fmtMinute(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat('sv-SE', { timeZone: view.zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  } catch {
    return d.toISOString().slice(0, 16).replace('T', ' ');
  }
}

/** A server's chip: its name, where it is in words, and why and until when (from the wave's plan). */
function chip(s, p) {
  const lines = [el('span', { class: 'name', text: s.hostname || (p && p.hostname) || s.serverId })];
  const where = p ? p.where : s.state ? s.state : s.mgn && s.mgn.lifeCycle ? s.mgn.lifeCycle : '…';
  lines.push(el('span', { class: 'state', text: where }));
  // the wave's zone is in its heading: the card shows the wall time alone
  if (p && p.deadlineLocal) lines.push(el('span', { class: 'why until', text: `until ${p.deadlineLocal.replace('T', ' ').replace(/([+-]\d\d:\d\d|Z)$/, '')}${p.waitingFor ? ` · ${p.waitingFor}` : ''}` }));
  else if (p && p.result === 'notStarted') lines.push(el('span', { class: 'why', text: p.reason }));
  else if (s.gate) lines.push(el('span', { class: 'why', text: `gate ${s.gate.gate} · for ${s.gate.approvers.join(', ')}` }));
  else if (s.hold) lines.push(el('span', { class: 'why', text: `${s.hold.why} · ${s.hold.state}` }));
  if (s.error && !(p && p.reason)) lines.push(el('span', { class: 'why', text: `error ${s.error}` }));
  else if (p && p.result !== 'running' && p.result !== 'notStarted' && p.reason && p.result !== 'succeeded') lines.push(el('span', { class: 'why', text: p.reason }));
  const title = [
    `${s.serverId}${s.hostname ? ` (${s.hostname})` : ''}`,
    p ? `${p.outcome}: ${p.where}${p.sinceLocal ? ` since ${p.sinceLocal}` : ''}` : '',
    p && p.reason ? `why: ${p.reason}` : '',
    p && p.waitingFor ? `waiting for: ${p.waitingFor}` : '',
    p && p.deadlineLocal ? `until ${p.deadlineLocal}${p.atDeadline ? ` (then ${p.atDeadline})` : ''}` : '',
    s.executionName ? `execution ${s.executionName}: ${s.executionStatus}` : 'no execution yet',
    s.state ? `state ${s.state}${s.stateAgeS !== undefined ? ` (read ${s.stateAgeS}s ago)` : ''}` : '',
    s.mgn ? `MGN ${s.mgn.lifeCycle || '?'}, replication ${s.mgn.replication || '?'}${s.mgn.isArchived ? ', archived' : ''}` : '',
    s.cause ? `cause: ${s.cause}` : '',
  ].filter(Boolean).join('\n');
  return el(
    s.executionArn ? 'button' : 'div',
    {
      type: s.executionArn ? 'button' : undefined,
      class: `chip s-${s.status}${state.selected && state.selected === s.executionArn ? ' selected' : ''}`,
      title,
      'data-server': s.serverId,
      'data-status': s.status,
      'data-phase': s.phase,
      'data-arn': s.executionArn,
      onclick: s.executionArn ? () => openGraph(s.executionArn) : undefined,
    },
    ...lines,
  );
}

/**
 * The waves: those with executions (Step Functions) and those stored (the state table's plans), each
 * application of a plan in its row even before it starts; each server once (its latest execution).
 */
function renderBoard(b) {
  document.getElementById('title').textContent = b.title || 'dashboard';
  const plans = new Map((b.plans || []).map((p) => [p.wave, p]));
  const zones = [...new Set((b.plans || []).map((p) => p.timeZone))];
  // ?utc in the address shows every time in UTC
  view.zone = new URLSearchParams(window.location.search).has('utc') || zones.length !== 1 ? 'UTC' : zones[0];
  const shown = new Set(b.waves.flatMap((w) => w.applications.flatMap((a) => a.servers.map((s) => s.serverId))));
  const planned = new Map();
  for (const p of b.plans || []) for (const a of p.applications) for (const s of a.servers) planned.set(`${p.wave}\u0000${s.serverId}`, s);
  let notStarted = 0;
  const waves = [...new Set([...b.waves.map((w) => w.wave), ...plans.keys()])].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  const rows = waves.map((name) => {
    const exec = b.waves.find((w) => w.wave === name);
    const plan = plans.get(name);
    const apps = [...(plan ? plan.applications.map((a) => a.application) : []), ...(exec ? exec.applications.map((a) => a.application) : [])].filter((a, i, all) => all.indexOf(a) === i);
    return {
      wave: name,
      plan,
      apps: apps.map((application) => {
        const running = exec ? (exec.applications.find((a) => a.application === application) || { servers: [] }).servers : [];
        const planApp = plan ? plan.applications.find((a) => a.application === application) : undefined;
        const waiting = planApp ? planApp.servers.filter((s) => !shown.has(s.serverId)) : [];
        notStarted += waiting.length;
        const pseudo = waiting.map((s) => ({ serverId: s.serverId, hostname: s.hostname, status: 'notstarted', phase: b.phases[0] }));
        return { application, canary: planApp ? planApp.canary : false, account: planApp ? planApp.account : undefined, servers: [...running, ...pseudo] };
      }),
    };
  });
  const counts = document.getElementById('counts');
  counts.replaceChildren(
    el('span', { class: 'count', text: `${b.counts.total + notStarted} servers` }),
    ...STATUSES.filter((s) => b.counts[s]).map((s) => el('span', { class: `count s-${s}`, 'data-count': s, text: `${b.counts[s]} ${s}` })),
    notStarted ? el('span', { class: 'count s-notstarted', 'data-count': 'notstarted', text: `${notStarted} not started` }) : null,
  );
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()} · built in ${b.buildMs} ms · times in ${view.zone}`;
  const problems = document.getElementById('problems');
  problems.hidden = !b.problems.length;
  problems.textContent = b.problems.join('\n');
  const board = document.getElementById('board');
  if (!rows.length) {
    board.replaceChildren(el('p', { class: 'muted', text: 'No wave yet. Start one (mgn-flow wave start) and its applications appear here.' }));
    return;
  }
  board.replaceChildren(
    ...rows.map((w) =>
      el(
        'div',
        { class: 'wave', 'data-wave': w.wave },
        el('h3', { text: `Wave ${w.wave}${w.plan ? ` · ${w.plan.timeZone}` : ''}` }),
        el(
          'div',
          { class: 'board-scroll' },
          el(
            'table',
            { class: 'board' },
            el('thead', {}, el('tr', {}, el('th', { class: 'app', text: 'Application' }), ...b.phases.map((p) => el('th', { text: (b.phaseLabels && b.phaseLabels[p]) || p })))),
            el(
              'tbody',
              {},
              ...w.apps.map((a) =>
                el(
                  'tr',
                  { 'data-application': a.application },
                  // the account shows when it is not the one mgn-flow runs in (MGN's global view)
                  el('td', { class: 'app', title: a.account ? `${a.application} (account ${a.account})` : a.application, 'data-account': a.account || null, text: `${a.application}${a.canary ? ' (canary)' : ''}${a.account ? ` · account ${a.account}` : ''} · ${a.servers.length}` }),
                  ...b.phases.map((p) => el('td', { 'data-phase': p }, ...a.servers.filter((s) => s.phase === p).map((s) => chip(s, planned.get(`${w.wave}\u0000${s.serverId}`))))),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

async function pollBoard() {
  try {
    renderBoard(await getJson('/api/board'));
  } catch (err) {
    const problems = document.getElementById('problems');
    problems.hidden = false;
    problems.textContent = `board: ${err.message}`;
  }
  await refreshClock();
  setTimeout(pollBoard, 2000);
}

// ------------------------------------------------------------------ simulated clock

const MAX_SCALE = 1e6;
const clockState = { available: true, current: null };

function formatScale(scale) {
  return Number.isInteger(scale) ? String(scale) : String(Number(scale.toPrecision(3)));
}

/** "simulated 2026-01-05 09:12 Europe/Berlin · 600x" (or "· paused", "· discrete-event time", "· manual time"): the waves' zone, to the minute. */
function clockLabel(c) {
  const t = `simulated ${fmtMinute(new Date(c.nowMs).toISOString())} ${view.zone}`;
  if (c.mode === 'discrete') return `${t} · discrete-event time`;
  if (c.mode === 'manual') return `${t} · manual time`;
  return `${t} · ${c.paused ? 'paused' : `${formatScale(c.scale)}x`}`;
}

function renderClock(c) {
  clockState.current = c;
  const box = document.getElementById('clock');
  box.hidden = false;
  box.setAttribute('data-mode', c.mode);
  box.setAttribute('data-paused', String(c.paused));
  document.getElementById('sim-time').textContent = clockLabel(c);
  const scaled = c.mode === 'scaled';
  document.getElementById('clock-controls').hidden = !scaled;
  if (!scaled) return;
  const pause = document.getElementById('clock-pause');
  pause.textContent = c.paused ? 'resume' : 'pause';
  pause.title = c.paused ? 'resume simulated time' : 'pause simulated time';
  const slower = document.getElementById('clock-slower');
  slower.disabled = c.scale <= 1;
  slower.title = c.scale <= 1 ? 'already at real time (1x)' : `halve the pace of simulated time (to ${formatScale(Math.max(c.scale / 2, 1))}x)`;
  const faster = document.getElementById('clock-faster');
  faster.disabled = c.scale >= MAX_SCALE;
  faster.title = c.scale >= MAX_SCALE ? `already at the fastest pace (${formatScale(MAX_SCALE)}x)` : `double the pace of simulated time (to ${formatScale(Math.min(c.scale * 2, MAX_SCALE))}x)`;
}

async function refreshClock() {
  if (!clockState.available) return;
  try {
    const r = await fetch('/api/clock', { headers: { accept: 'application/json' } });
    if (r.status === 404) {
      // no simulated clock here (a dashboard on AWS): nothing to show
      clockState.available = false;
      document.getElementById('clock').hidden = true;
      return;
    }
    if (r.ok) renderClock(await r.json());
  } catch {
    // keep the last reading: the server may be restarting
  }
}

async function controlClock(action) {
  try {
    const r = await fetch('/api/clock', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-mgn-flow-control': 'clock' },
      body: JSON.stringify({ action }),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(body.message || r.statusText);
    renderClock(body);
  } catch (err) {
    const problems = document.getElementById('problems');
    problems.hidden = false;
    problems.textContent = `clock: ${err.message}`;
  }
}

// ------------------------------------------------------------------ execution graph

function drawGraph(layout) {
  const root = svg('svg', { xmlns: SVG, id: 'graph-svg', viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'img' });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8893a3' }));
  defs.append(marker);
  root.append(defs);
  const edges = svg('g', { class: 'edges' });
  for (const e of layout.edges) {
    const p = svg('path', { d: e.path, class: `edge e-${e.kind}${e.back ? ' back' : ''}`, 'marker-end': 'url(#arrow)' });
    const t = svg('title');
    t.textContent = `${e.from} → ${e.to} (${e.kind}${e.label ? `: ${e.label}` : ''})`;
    p.append(t);
    edges.append(p);
  }
  root.append(edges);
  const nodes = svg('g', { class: 'nodes' });
  for (const n of layout.nodes) {
    const g = svg('g', { class: `node k-${n.kind}`, 'data-state': n.id, 'data-w': n.w, 'data-status': 'none', transform: `translate(${n.x},${n.y})` });
    g.append(svg('rect', { width: n.w, height: n.h, rx: n.kind === 'choice' ? 14 : 5 }));
    const label = svg('text', { x: n.w / 2, y: n.h / 2 - (n.kind === 'task' || n.kind === 'pass' ? 0 : 5) });
    label.textContent = n.id.length > 28 ? `${n.id.slice(0, 27)}…` : n.id;
    g.append(label);
    if (!(n.kind === 'task' || n.kind === 'pass')) {
      const kind = svg('text', { class: 'kind', x: n.w / 2, y: n.h / 2 + 8 });
      kind.textContent = n.gate ? `gate ${n.gate}` : n.kind;
      g.append(kind);
    }
    const title = svg('title');
    title.textContent = `${n.id} (${n.type}${n.gate ? `, gate ${n.gate}` : ''}${n.why ? `, ${n.why}` : ''})`;
    g.append(title);
    nodes.append(g);
  }
  root.append(nodes);
  return root;
}

function applyZoom() {
  const s = document.getElementById('graph-svg');
  if (!s || !state.layout) return;
  s.setAttribute('width', String(Math.round(state.layout.width * state.zoom)));
  s.setAttribute('height', String(Math.round(state.layout.height * state.zoom)));
}

function paintStates(r) {
  const badge = document.getElementById('graph-status');
  badge.textContent = r.status;
  badge.className = `badge ${r.status}`;
  document.getElementById('graph-current').textContent = r.states.current ? `${r.status === 'RUNNING' ? 'in' : 'stopped in'} ${r.states.current}` : '';
  for (const g of document.querySelectorAll('#graph-svg .node')) {
    const run = r.states.states[g.getAttribute('data-state')];
    const status = run ? run.status : 'none';
    if (g.getAttribute('data-status') !== status) {
      g.setAttribute('data-status', status);
      g.setAttribute('class', `node k-${g.getAttribute('class').match(/k-(\w+)/)[1]} st-${status}`);
    }
    const old = g.querySelector('.visits-group');
    if (old) old.remove();
    if (run && run.visits > 1) {
      const vg = svg('g', { class: 'visits-group' });
      const x = Number(g.getAttribute('data-w')) - 4;
      vg.append(svg('circle', { class: 'visits-bg', cx: x, cy: 4, r: 8 }));
      const t = svg('text', { class: 'visits', x, y: 5 });
      t.textContent = `${run.visits}`;
      vg.append(t);
      g.append(vg);
    }
  }
  if (!state.scrolled && r.states.current) {
    const cur = document.querySelector(`#graph-svg .node[data-state="${CSS.escape(r.states.current)}"]`);
    if (cur) cur.scrollIntoView({ block: 'center', inline: 'center' });
    state.scrolled = true;
  }
}

async function pollStates(arn) {
  if (state.graphArn !== arn) return;
  let again = true;
  try {
    const r = await getJson(`/api/executions/${encodeURIComponent(arn)}/states`);
    if (state.graphArn !== arn) return;
    paintStates(r);
    again = r.status === 'RUNNING';
  } catch {
    // keep polling: the server may be restarting
  }
  if (again) state.graphTimer = setTimeout(() => pollStates(arn), 1000);
}

async function openGraph(arn) {
  state.selected = arn;
  state.graphArn = arn;
  state.scrolled = false;
  if (state.graphTimer) window.clearTimeout(state.graphTimer);
  for (const c of document.querySelectorAll('.chip')) c.classList.toggle('selected', c.getAttribute('data-arn') === arn);
  const panel = document.getElementById('graph-panel');
  panel.hidden = false;
  const box = document.getElementById('graph');
  box.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
  try {
    const g = await getJson(`/api/executions/${encodeURIComponent(arn)}/graph`);
    if (state.graphArn !== arn) return;
    document.getElementById('graph-name').textContent = g.name;
    state.layout = g.layout;
    box.replaceChildren(drawGraph(g.layout));
    applyZoom();
    paintStates(g);
    panel.scrollIntoView({ block: 'start' });
    if (g.status === 'RUNNING') state.graphTimer = setTimeout(() => pollStates(arn), 1000);
  } catch (err) {
    box.replaceChildren(el('p', { class: 'problems', text: `graph: ${err.message}` }));
  }
}

// ------------------------------------------------------------------ inbox and outbox

function feedItem(item) {
  if (item === null || typeof item !== 'object') return el('div', { class: 'item' }, el('div', { class: 'm', text: String(item) }));
  const title = item.subject || item.title || item.gateId || item.id || item.messageId || 'item';
  const when = item.at || item.openedAt || item.createdAt;
  const meta = [when && fmtMinute(when), item.endpoint || (item.approvers && item.approvers.join(', ')), item.deadline && `decide by ${fmtMinute(item.deadline)}`]
    .filter(Boolean)
    .join(' · ');
  const full = String(item.message || item.text || item.summary || '');
  // a long message (an approval request) opens in full on a click
  const body = !full
    ? null
    : full.length <= 400
      ? el('div', { class: 'm', text: full })
      : el('details', {}, el('summary', { class: 'm', text: `${full.slice(0, 300)}…` }), el('div', { class: 'm', text: full }));
  return el('div', { class: 'item' }, el('div', { class: 't', text: title }), meta ? el('div', { class: 'muted', text: meta }) : null, body);
}

async function pollFeed(name, empty) {
  const box = document.getElementById(name);
  try {
    const r = await getJson(`/api/${name}`);
    if (!r.available) box.replaceChildren(el('p', { class: 'muted', text: empty }));
    else if (!r.items.length) box.replaceChildren(el('p', { class: 'muted', text: 'Nothing yet.' }));
    else box.replaceChildren(el('p', { class: 'muted', text: r.total > r.items.length ? `${r.total} in all, the newest ${r.items.length} here, newest first` : `${r.total} in all, newest first` }), ...r.items.map(feedItem));
  } catch (err) {
    box.replaceChildren(el('p', { class: 'problems', text: err.message }));
  }
  setTimeout(() => pollFeed(name, empty), 3000);
}

document.getElementById('graph-close').addEventListener('click', () => {
  state.graphArn = null;
  state.selected = null;
  document.getElementById('graph-panel').hidden = true;
  for (const c of document.querySelectorAll('.chip.selected')) c.classList.remove('selected');
});
document.getElementById('zoom-in').addEventListener('click', () => {
  state.zoom = Math.min(2, state.zoom * 1.25);
  applyZoom();
});
document.getElementById('zoom-out').addEventListener('click', () => {
  state.zoom = Math.max(0.3, state.zoom / 1.25);
  applyZoom();
});

document.getElementById('clock-pause').addEventListener('click', () => controlClock(clockState.current && clockState.current.paused ? 'resume' : 'pause'));
document.getElementById('clock-slower').addEventListener('click', () => controlClock('slower'));
document.getElementById('clock-faster').addEventListener('click', () => controlClock('faster'));

pollBoard();
pollFeed('inbox', 'No approvals inbox is connected to this dashboard yet.');
pollFeed('outbox', 'No notification outbox here (on AWS, notifications go to the SNS topics’ subscribers).');
