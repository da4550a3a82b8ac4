// A campaign's lead table: filter by status, search by phone or name, each lead's attempt
// history, Skip. Refreshed with the dashboard unless a history is open.
import { api } from './api.js';
import { h, badge, fmt, label, showError, announce } from './ui.js';

const STATUSES = ['pending', 'scheduled', 'calling', 'completed', 'failed', 'skipped'];
const PAGE = 50;

export function leadTable(campaignId) {
  const status = h('select', { id: 'lead-status' }, h('option', { value: '' }, 'All'),
    STATUSES.map((s) => h('option', { value: s }, label(s))));
  const search = h('input', { type: 'search', id: 'lead-search', placeholder: 'Phone or name', autocomplete: 'off' });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', className: 'secondary', hidden: true }, 'Next page');
  const element = h('section', { 'aria-label': 'Leads' },
    h('form', { className: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); load(null); } },
      h('div', {}, h('label', { htmlFor: status.id }, 'Status'), status),
      h('div', {}, h('label', { htmlFor: search.id }, 'Search'), search),
      h('button', { type: 'submit', className: 'secondary' }, 'Search')),
    h('table', { id: 'leads' },
      h('thead', {}, h('tr', {}, ['Phone', 'Name', 'Status', 'Attempts', 'Last outcome', 'Next call', 'History', ''].map((t) => h('th', {}, t)))),
      body),
    more);
  let cursor = null;
  let next = null;

  async function load(from) {
    cursor = from;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (status.value) q.set('status', status.value);
    if (search.value.trim()) q.set('q', search.value.trim());
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `/v1/campaigns/${campaignId}/leads?${q}`);
    next = page.next_cursor;
    more.hidden = !next;
    body.replaceChildren(...page.items.map((lead) => row(lead)));
    if (!page.items.length) body.append(h('tr', {}, h('td', { colSpan: 8 }, search.value || status.value ? 'No leads match.' : 'No leads yet.')));
  }

  function row(lead) {
    const skippable = lead.status === 'pending' || lead.status === 'scheduled';
    return h('tr', { dataset: { lead: lead.id, status: lead.status } },
      h('td', {}, lead.phone), h('td', {}, lead.name || '—'), h('td', {}, badge(lead.status), lead.skip_reason ? h('div', { className: 'hint' }, label(lead.skip_reason)) : null),
      h('td', { className: 'num' }, lead.attempts), h('td', {}, label(lead.last_outcome) || '—'),
      h('td', {}, lead.next_call_at ? fmt.when(lead.next_call_at) : '—'),
      h('td', {}, lead.calls.length ? history(lead) : '—'),
      h('td', {}, skippable ? h('button', { type: 'button', className: 'secondary', onclick: () => skip(lead) }, 'Skip') : null));
  }

  async function skip(lead) {
    try {
      await api('POST', `/v1/campaigns/${campaignId}/leads/${lead.id}/skip`);
      announce(`Skipped ${lead.phone}`);
      await load(cursor);
    } catch (error) {
      showError(element, error);
    }
  }

  status.addEventListener('change', () => load(null));
  more.addEventListener('click', () => load(next));
  return {
    element,
    refresh: () => (element.querySelector('details[open]') || element.contains(document.activeElement) ? null : load(cursor)),
  };
}

function history(lead) {
  return h('details', {}, h('summary', {}, `${lead.calls.length} call${lead.calls.length === 1 ? '' : 's'}`),
    h('ol', { className: 'history' }, lead.calls.map((c) => h('li', {},
      `${fmt.when(c.started_at)}: ${label(c.outcome)}, ${fmt.seconds(c.duration_seconds)}`,
      c.disposition ? ` — ${label(c.disposition)}` : '',
      c.opted_out ? ' — opted out' : '',
      Object.keys(c.results || {}).length ? ` — ${Object.entries(c.results).map(([k, v]) => `${k}: ${v}`).join(', ')}` : '',
      c.clearance ? h('div', { className: 'hint clearance' }, allowedBy(c.clearance)) : null))));
}

/** Why the call was allowed, in a line: each zone's local time in its ranges, DNC, caps, caller. */
function allowedBy(c) {
  const zones = c.zones.map((z) => `${z.zone} ${z.local.slice(11)} (window ${z.window}, legal ${z.legal})`).join('; ');
  const cap = c.cap_per_24h ? ` of ${c.cap_per_24h}` : '';
  const consent = c.consent_rule === 'none' ? '' : `; consent ${c.consent_rule}${c.consent_type ? `, ${c.consent_type} held` : ''}${c.consent_source ? ` (${c.consent_source}${c.consent_reference ? `, ${c.consent_reference}` : ''})` : ''}`;
  const t = c.tenant_calls;
  const tenant = t ? `; ${t.local_day} of ${t.per_local_day} calls that day and ${t.last_7_days} of ${t.per_7_days} in 7 days across campaigns` : '';
  return `Allowed: ${zones}; not on the DNC list at ${fmt.when(c.dnc_checked_at)}; ${c.calls_in_24h}${cap} calls in the 24 h before${tenant}${consent}; from ${c.caller_number}${c.caller_reason ? ` (${c.caller_reason})` : ''}; rules ${c.rules}`;
}
