// Do-Not-Call: the tenant's list; add a number, remove one, upload many from a CSV.
import { api } from './api.js';
import { h, render, field, showError, clearErrors, confirmAction, announce, empty, fmt } from './ui.js';

const SOURCES = { api: 'Added by hand or API', csv: 'File upload', opt_out: 'Opted out on a call' };
const rows = (n) => `${fmt.number(n)} row${n === 1 ? '' : 's'}`;

export async function dncPage() {
  const list = h('div', {});
  const number = h('input', { type: 'text', inputMode: 'tel', autocomplete: 'off' });
  const addForm = h('form', { className: 'card', id: 'dnc-add', noValidate: true },
    h('h2', {}, 'Add a number'), field('Phone number', 'number', number, 'With its country code, or a US number.'),
    h('button', { type: 'submit' }, 'Add to the list'));
  const file = h('input', { type: 'file', accept: '.csv,text/csv', id: 'dnc-file' });
  const bulkResult = h('div', {});
  const bulkForm = h('form', { className: 'card', id: 'dnc-bulk' },
    h('h2', {}, 'Upload many'), field('CSV file with a phone column', 'file', file, 'Up to 5 MB; every valid number is added.'),
    h('button', { type: 'submit' }, 'Upload'), bulkResult);
  render(h('h1', {}, 'Do-Not-Call list'),
    h('p', {}, 'Numbers here are never called by any campaign. Opt-outs said on a call are added automatically.'),
    h('div', { className: 'row' }, addForm, bulkForm), h('h2', {}, 'Numbers'), list);

  async function load() {
    const page = await api('GET', '/v1/dnc?limit=200');
    list.replaceChildren(page.items.length
      ? h('table', { id: 'dnc' },
        h('thead', {}, h('tr', {}, ['Number', 'Source', 'Added', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, page.items.map((d) => h('tr', {},
          h('td', {}, d.number), h('td', {}, SOURCES[d.source] || d.source), h('td', {}, fmt.when(d.added_at)),
          h('td', {}, h('button', { type: 'button', className: 'secondary', onclick: () => remove(d), 'aria-label': `Remove ${d.number}` }, 'Remove'))))))
      : empty('The list is empty. Add numbers that asked not to be called, one at a time or from a CSV file.'));
    if (page.next_cursor) list.append(h('p', { className: 'hint' }, 'Showing the first 200 numbers.'));
  }

  addForm.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(addForm);
    try {
      const added = await api('POST', '/v1/dnc', { number: number.value });
      announce(`${added.number} added`);
      number.value = '';
      await load();
    } catch (error) {
      showError(addForm, error);
    }
  };
  bulkForm.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(bulkForm);
    if (!file.files[0]) { showError(bulkForm, { message: 'Choose a CSV file first.', fields: [] }); return; }
    try {
      const r = await api('POST', '/v1/dnc/bulk', file.files[0]);
      bulkResult.replaceChildren(h('p', { className: 'notice', role: 'status' },
        `${fmt.number(r.added)} added, ${rows(r.rejected_total)} refused`,
        r.not_added_total ? `, ${fmt.number(r.not_added_total)} not added (try again)` : '', '.'),
        r.rejected.length ? h('ul', {}, r.rejected.slice(0, 20).map((x) => h('li', {}, `line ${x.line}: ${x.value} (${x.reason.replace(/_/g, ' ')})`))) : null);
      await load();
    } catch (error) {
      showError(bulkForm, error);
    }
  };

  async function remove(entry) {
    if (!(await confirmAction(`Take ${entry.number} off the Do-Not-Call list? Campaigns may call it again.`, 'Remove'))) return;
    try {
      await api('POST', '/v1/dnc/remove', { number: entry.number });
      announce(`${entry.number} removed`);
      await load();
    } catch (error) {
      showError(list, error);
    }
  }

  await load();
}
