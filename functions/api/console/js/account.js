// Account: the tenant's plan and its limits, the caller numbers and countries the operators
// allowed (read-only), how each number is doing today (rest and restore), and the caps on calls
// to one person across all campaigns (editable).
import { api } from './api.js';
import { h, render, field, showError, clearErrors, announce, fmt, label } from './ui.js';

/** The tenant (`GET /v1/tenant`): plan, limits, caller numbers, countries. */
export const tenantInfo = () => api('GET', '/v1/tenant');

export async function accountPage() {
  const [tenant, caps] = await Promise.all([tenantInfo(), api('GET', '/v1/contact-caps')]);
  const form = capsForm(caps);
  const health = h('section', { className: 'card', 'aria-labelledby': 'health-heading' });
  render(h('h1', {}, 'Account'),
    h('section', { className: 'card', 'aria-labelledby': 'plan-heading' },
      h('h2', { id: 'plan-heading' }, 'Plan and limits'),
      h('dl', { className: 'settings', id: 'plan' }, planFacts(tenant).map(([key, name, value]) =>
        [h('dt', {}, name), h('dd', { dataset: { fact: key } }, value)]))),
    h('section', { className: 'card', 'aria-labelledby': 'numbers-heading' },
      h('h2', { id: 'numbers-heading' }, 'Caller numbers'),
      callerNumbers(tenant.caller_numbers, 'caller-numbers'),
      h('p', { className: 'hint' }, 'Your agents call only from these numbers. Your operator registers them; ask them to add one.'),
      h('h3', {}, 'Countries you may call'),
      h('p', { id: 'countries' }, tenant.allowed_countries.join(', ') || 'none')),
    health,
    form);
  await loadHealth();

  /** Each number's day (`GET /v1/caller-numbers`), with rest and restore. */
  async function loadHealth() {
    const { day, items } = await api('GET', '/v1/caller-numbers');
    const status = (n) => (n.resting
      ? `Resting until ${fmt.when(n.rest.until)}: ${n.rest.reason}${n.rest.by_hand ? ' (by hand)' : ''}`
      : 'In use');
    const action = (n) => (n.resting
      ? h('button', { type: 'button', className: 'secondary', onclick: () => act('DELETE', n, null, 'Number restored'), 'aria-label': `Restore ${n.number}` }, 'Restore')
      : h('button', { type: 'button', className: 'secondary', onclick: () => act('POST', n, { hours: 24, reason: 'rested by hand from the console' }, 'Number rested for 24 hours'), 'aria-label': `Rest ${n.number}` }, 'Rest 24 h'));
    health.replaceChildren(h('h2', { id: 'health-heading' }, `How each number is doing (${day}, UTC)`),
      h('p', { className: 'hint' }, 'A number answered far less than the rest of your numbers may be labelled "Spam Likely": it rests automatically (see your agents\' pools), or rest it by hand.'),
      h('table', { id: 'number-health' },
        h('thead', {}, h('tr', {}, ['Number', 'Calls', 'Answered', 'Answer rate (all numbers)', 'Average talk', 'Short calls', 'Status', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map((n) => h('tr', { dataset: { number: n.number } },
          h('td', {}, n.number), h('td', {}, fmt.number(n.calls)), h('td', {}, fmt.number(n.answered)),
          h('td', {}, `${fmt.percent(n.answer_rate)} (${fmt.percent(n.pool_answer_rate)})`),
          h('td', {}, fmt.seconds(n.average_talk_seconds)), h('td', {}, fmt.number(n.short_calls)),
          h('td', { dataset: { status: n.resting ? 'resting' : 'in_use' } }, status(n)), h('td', {}, action(n)))))));
  }

  async function act(method, n, body, done) {
    try {
      await api(method, `/v1/caller-numbers/${encodeURIComponent(n.number)}/rest`, body);
      announce(done);
      await loadHealth();
    } catch (error) {
      showError(health, error);
    }
  }
}

function planFacts(t) {
  const l = t.limits;
  const live = l.live_campaigns === undefined || l.live_campaigns === null
    ? `no limit (${fmt.number(l.live_campaigns_now)} live now)`
    : `${fmt.number(l.live_campaigns_now)} of ${fmt.number(l.live_campaigns)} live now`;
  return [
    ['name', 'Organisation', `${t.name} (${t.id})`],
    ['plan', 'Plan', label(t.plan)],
    ['live_campaigns', 'Campaigns live at once (scheduled, active or paused)', live],
    ['webhook_endpoints', 'Webhook endpoints', `up to ${fmt.number(l.webhook_endpoints)}`],
    ['requests_per_second', 'API requests', `${fmt.number(l.requests_per_second)} a second, over all your keys`],
  ];
}

/** The registered caller numbers as a list, or what to do when there is none. */
export function callerNumbers(numbers, id) {
  if (!numbers.length) {
    return h('p', { className: 'notice', id }, 'No caller number is registered yet: agents cannot be added until your operator registers one.');
  }
  return h('ul', { id }, numbers.map((n) => h('li', {}, n)));
}

/** The caps on calls to one number over all the tenant's campaigns (`/v1/contact-caps`). */
function capsForm(caps) {
  const day = h('input', { type: 'number', min: 1, max: 20, step: 1, inputMode: 'numeric', className: 'short', value: caps.per_local_day });
  const week = h('input', { type: 'number', min: 1, max: 50, step: 1, inputMode: 'numeric', className: 'short', value: caps.per_7_days });
  const form = h('form', { className: 'card', id: 'caps', noValidate: true },
    h('h2', {}, 'Calls to one person, across all campaigns'),
    h('p', {}, 'However many campaigns hold a number, it is called at most this often. A lead at a cap waits until the caps allow.'),
    h('div', { className: 'row' },
      field('Calls per local day', 'per_local_day', day, '1–20, in the contact\'s own day; default 3'),
      field('Calls in any 7 days', 'per_7_days', week, '1–50, not below the daily cap; default 7')),
    h('button', { type: 'submit' }, 'Save caps'));
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    form.querySelector('#caps-saved')?.remove();
    const value = (input) => (input.value.trim() === '' ? null : Number(input.value));
    try {
      const saved = await api('PUT', '/v1/contact-caps', { per_local_day: value(day), per_7_days: value(week) });
      day.value = saved.per_local_day;
      week.value = saved.per_7_days;
      announce('Caps saved');
      form.append(h('p', { className: 'notice', id: 'caps-saved' }, `Saved: ${saved.per_local_day} a day, ${saved.per_7_days} in 7 days.`));
    } catch (error) {
      showError(form, error);
    }
  };
  return form;
}
