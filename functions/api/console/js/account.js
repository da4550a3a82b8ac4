// Account: the tenant's plan and its limits, the caller numbers and countries the operators
// allowed (read-only), the named caller pools (`pools.js`), how each number is doing today (rest and restore), the government
// do-not-call registries' extracts (upload), and the caps on calls to one person across all
// campaigns (editable).
import { api, putFile } from './api.js';
import { poolsSection } from './pools.js';
import { h, render, field, showError, clearErrors, announce, fmt, label } from './ui.js';

/** The tenant (`GET /v1/tenant`): plan, limits, caller numbers, countries. */
export const tenantInfo = () => api('GET', '/v1/tenant');

export async function accountPage() {
  const [tenant, caps] = await Promise.all([tenantInfo(), api('GET', '/v1/contact-caps')]);
  const form = capsForm(caps);
  const health = h('section', { className: 'card', 'aria-labelledby': 'health-heading' });
  const pools = h('section', { className: 'card', id: 'pools', 'aria-labelledby': 'pools-heading' });
  const registries = h('section', { className: 'card', id: 'registries', 'aria-labelledby': 'registries-heading' });
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
    pools,
    health,
    registries,
    form);
  await Promise.all([loadHealth(), poolsSection(pools, tenant.caller_numbers), registriesSection(registries)]);

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

/**
 * The registries telemarketing calls are checked against (`GET /v1/registries`): each one's
 * newest loaded extract, its age and whether it may be relied on; and an upload of a new extract
 * (`POST /v1/registries/{registry}/extracts`, then the file on the presigned URL), followed until
 * the importer has loaded it.
 */
async function registriesSection(section) {
  const { registries, uploads } = await api('GET', '/v1/registries');
  const title = (r) => `${r.name.replace(/^the /, '')} (${r.country})`;
  const lines = (n) => `${fmt.number(n)} bad ${n === 1 ? 'line' : 'lines'}`;
  const choice = h('select', { id: 'registry' }, registries.map((r) => h('option', { value: r.registry }, title(r))));
  const day = h('input', { type: 'date', id: 'downloaded-on', value: new Date().toISOString().slice(0, 10) });
  const file = h('input', { type: 'file', id: 'registry-file', accept: '.txt,.csv,text/plain,text/csv' });
  const status = h('p', { id: 'registry-upload-status', role: 'status' });
  const upload = h('form', { id: 'registry-upload', noValidate: true },
    h('div', { className: 'row' },
      field('Registry', 'registry', choice),
      field('Downloaded on', 'downloaded_on', day, 'the day you downloaded it from the registry'),
      field('Extract file', 'size_bytes', file, 'the registry\'s own download: one number a line')),
    h('button', { type: 'submit' }, 'Upload extract'), status);
  section.replaceChildren(
    h('h2', { id: 'registries-heading' }, 'Government do-not-call registries'),
    h('p', { className: 'hint' }, 'Telemarketing calls to a registry\'s country are checked against your newest extract of it, and wait while it is older than the registry allows.'),
    h('table', { id: 'registry-table' },
      h('thead', {}, h('tr', {}, ['Registry', 'Newest extract', 'Numbers', 'May be relied on'].map((t) => h('th', {}, t)))),
      h('tbody', {}, registries.map((r) => h('tr', { dataset: { registry: r.registry } },
        h('td', {}, title(r)),
        h('td', {}, r.newest ? `downloaded ${r.newest.downloaded_on} (${r.age_days} days ago; limit ${r.max_age_days})` : 'none uploaded'),
        h('td', {}, r.newest ? fmt.number(r.newest.numbers) : '–'),
        h('td', { dataset: { fresh: String(r.fresh) } }, r.fresh ? 'Yes' : 'No'))))),
    uploads.length ? h('p', { className: 'hint', id: 'last-upload' }, `Last upload: ${uploads[0].registry}, ${label(uploads[0].status).toLowerCase()}, ${fmt.number(uploads[0].numbers)} numbers, ${lines(uploads[0].bad_lines)}.`) : null,
    upload);
  upload.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(upload);
    const chosen = file.files[0];
    if (!chosen) {
      status.textContent = 'Choose the extract file first.';
      return;
    }
    try {
      const created = await api('POST', `/v1/registries/${choice.value}/extracts`, { downloaded_on: day.value, size_bytes: chosen.size });
      await putFile(created, chosen, () => {});
      status.textContent = 'Uploaded; loading.';
      const done = await waitForExtract(choice.value, created.extract.id);
      announce(`Extract ${label(done.status).toLowerCase()}`);
      await registriesSection(section);
    } catch (error) {
      showError(upload, error);
    }
  };
}

/** Polls an extract's upload until the importer has loaded or refused it (ten minutes at most). */
async function waitForExtract(registry, id) {
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    const record = await api('GET', `/v1/registries/${registry}/extracts/${id}`);
    if (record.status === 'loaded' || record.status === 'refused' || Date.now() > deadline) return record;
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
}
