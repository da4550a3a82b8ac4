// One webhook endpoint's delivery log: its latest deliveries, newest first, each with its tries
// (time, status code or error, duration) and a Redeliver button.
import { api } from './api.js';
import { h, showError, announce, fmt, label, empty } from './ui.js';

const LIMIT = 50;

/** Shows `endpoint`'s delivery log in `box` (replacing what was there). */
export async function deliveryLog(box, endpoint) {
  const path = `/v1/webhook-endpoints/${endpoint.id}/deliveries`;
  const body = h('div', {}, h('p', {}, 'Loading the deliveries…'));
  const section = h('section', { className: 'card', id: 'deliveries', dataset: { endpoint: endpoint.id }, 'aria-labelledby': 'deliveries-heading' },
    h('div', { className: 'toolbar' },
      h('h2', { id: 'deliveries-heading' }, `Deliveries to ${endpoint.url}`),
      h('span', { className: 'spacer' }),
      h('button', { type: 'button', className: 'secondary', id: 'deliveries-refresh', onclick: () => load() }, 'Refresh'),
      h('button', { type: 'button', className: 'secondary', onclick: () => box.replaceChildren() }, 'Close')),
    body);
  box.replaceChildren(section);

  async function load() {
    try {
      const { items } = await api('GET', `${path}?limit=${LIMIT}`);
      body.replaceChildren(items.length ? table(items) : empty('Nothing delivered yet. Events this endpoint wants are listed here as they happen.'));
    } catch (error) {
      showError(section, error);
    }
  }

  function table(items) {
    return h('table', { id: 'delivery-table' },
      h('caption', { className: 'visually-hidden' }, `Deliveries to ${endpoint.url}`),
      h('thead', {}, h('tr', {}, ['Event', 'Happened', 'Status', 'Tries', 'Next try', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, items.map((d) => h('tr', { dataset: { event: d.event.id, status: d.status } },
        h('td', {}, d.event.type, h('div', { className: 'hint' }, d.event.id)),
        h('td', {}, fmt.when(d.event.created_at)),
        h('td', {}, h('span', { className: `badge ${d.status}` }, label(d.status))),
        h('td', {}, tries(d.attempts)),
        h('td', {}, d.next_attempt_at ? fmt.when(d.next_attempt_at) : '—'),
        h('td', {}, h('button', { type: 'button', className: 'secondary', dataset: { action: 'redeliver' }, onclick: () => redeliver(d),
          'aria-label': `Redeliver ${d.event.type} ${d.event.id}` }, 'Redeliver'))))));
  }

  async function redeliver(delivery) {
    try {
      await api('POST', `${path}/${delivery.event.id}/redeliver`);
      announce(`Redelivery of ${delivery.event.type} queued`);
      await load();
    } catch (error) {
      showError(section, error);
    }
  }

  await load();
  return { refresh: load };
}

/** A delivery's tries, oldest first: when, what answered, how long. */
function tries(attempts) {
  if (!attempts.length) return 'none yet';
  return h('ol', { className: 'history' }, attempts.map((a) => h('li', {},
    `${fmt.when(a.at)}: ${a.status_code ? `HTTP ${a.status_code}` : a.error || 'no answer'}, ${fmt.number(a.duration_ms)} ms`)));
}
