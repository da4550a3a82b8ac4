// Named caller pools (`/v1/caller-pools`): groups of the tenant's registered numbers that agents
// and campaigns call from by name, each with its own per-number limits. Listed with their
// numbers; created or replaced with a small form; deleted when nothing uses them.
import { api } from './api.js';
import { h, field, showError, clearErrors, confirmAction, announce, fmt } from './ui.js';

/** Fills `section` with the pools and the form; `numbers`: the registered numbers. */
export async function poolsSection(section, numbers) {
  const { items } = await api('GET', '/v1/caller-pools');
  const text = (attrs = {}) => h('input', { type: 'text', ...attrs });
  const count = (value, max) => h('input', { type: 'number', min: 1, max, step: 1, inputMode: 'numeric', className: 'short', value });
  const form = h('form', { id: 'pool-form', noValidate: true },
    h('h3', {}, 'Create or replace a pool'),
    h('div', { className: 'row' },
      field('Name', 'name', text({ maxLength: 40 }), 'Lower-case letters, digits, - or _; a pool with this name is replaced.'),
      field('Default number', 'default', text({ inputMode: 'tel' }), 'Optional: used when no number is nearer the contact; else the first.')),
    field('Numbers', 'numbers', text({ inputMode: 'tel' }), `Registered numbers, separated by commas: ${numbers.join(', ') || 'none yet'}.`),
    h('div', { className: 'row' },
      field('Calls per number per hour', 'limits.per_hour', count(30, 3600), '1–3600; default 30.'),
      field('Calls per number per day', 'limits.per_day', count(150, 86400), '1–86400; default 150.')),
    h('button', { type: 'submit' }, 'Save pool'));
  const rows = items.map((p) => h('tr', { dataset: { pool: p.name } },
    h('td', {}, p.name), h('td', {}, p.numbers.join(', ')), h('td', {}, p.default),
    h('td', {}, `${fmt.number(p.limits.per_hour)} an hour, ${fmt.number(p.limits.per_day)} a day`),
    h('td', {}, h('button', { type: 'button', className: 'secondary', 'aria-label': `Delete pool ${p.name}`, onclick: () => remove(p) }, 'Delete'))));
  section.replaceChildren(
    h('h2', { id: 'pools-heading' }, 'Caller pools'),
    h('p', { className: 'hint' }, 'An agent or a campaign calls from a pool by its name: each call goes out from the pool\'s number nearest the contact.'),
    items.length
      ? h('table', { id: 'pool-table' },
        h('thead', {}, h('tr', {}, ['Name', 'Numbers', 'Default', 'Limits per number', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))
      : h('p', { id: 'pool-table' }, 'No pool yet.'),
    form);
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    const e = form.elements;
    const body = {
      numbers: e.numbers.value.split(',').map((n) => n.trim()).filter(Boolean),
      default: e.default.value.trim() || null,
      limits: { per_hour: Number(e['limits.per_hour'].value), per_day: Number(e['limits.per_day'].value) },
    };
    try {
      const name = e.name.value.trim();
      if (!name) throw { fields: [{ field: 'name', message: 'a pool needs a name' }], message: 'A pool needs a name' };
      await api('PUT', `/v1/caller-pools/${encodeURIComponent(name)}`, body);
      announce('Pool saved');
      await poolsSection(section, numbers);
    } catch (error) {
      showError(form, error);
    }
  };

  async function remove(pool) {
    if (!(await confirmAction(`Delete the pool ${pool.name}?`, 'Delete pool'))) return;
    try {
      await api('DELETE', `/v1/caller-pools/${encodeURIComponent(pool.name)}`);
      announce('Pool deleted');
      await poolsSection(section, numbers);
    } catch (error) {
      showError(section, error);
    }
  }
}
