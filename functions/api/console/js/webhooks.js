// Webhooks: the tenant's endpoints — add one (its signing secret shown this once), edit,
// disable or enable, rotate its secret (the old one signing beside the new one for a day),
// delete — and each one's delivery log with Redeliver.
import { api } from './api.js';
import { h, render, field, showError, clearErrors, confirmAction, announce, empty } from './ui.js';
import { deliveryLog } from './deliveries.js';

/** The event types an endpoint may want, and what each means. */
const EVENTS = [
  ['call.completed', 'A call ended (any outcome)'],
  ['lead.opted_out', 'A person asked not to be called again'],
  ['campaign.status_changed', 'A campaign changed status'],
  ['import.completed', 'A contact import finished'],
  ['import.failed', 'A contact import was refused or given up'],
  ['export.ready', 'An export\'s file is ready'],
  ['caller_number.rested', 'A caller number was rested for a low answer rate'],
];

export async function webhooksPage() {
  const list = h('div', {});
  const editor = h('div', {});
  const secretBox = h('div', { id: 'secret-box' });
  const log = h('div', {});
  render(h('h1', {}, 'Webhooks'),
    h('p', {}, 'Your own systems hear what happened as signed POST requests: check each one\'s Campaigns-Signature with the endpoint\'s secret.'),
    h('div', { className: 'toolbar' }, h('span', { className: 'spacer' }),
      h('button', { type: 'button', id: 'add-endpoint', onclick: () => edit(null) }, 'Add endpoint')),
    secretBox, editor, list, log);

  async function load() {
    const { items } = await api('GET', '/v1/webhook-endpoints');
    list.replaceChildren(items.length
      ? h('table', { id: 'endpoints' },
        h('caption', { className: 'visually-hidden' }, 'Webhook endpoints'),
        h('thead', {}, h('tr', {}, ['URL', 'Events', 'Description', 'Status', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map(row)))
      : empty('No endpoints yet. Add the URL of a receiver of yours, and the events it wants.'));
  }

  function row(e) {
    const button = (action, text, cls, onclick) =>
      h('button', { type: 'button', className: cls, dataset: { action }, onclick, 'aria-label': `${text} ${e.url}` }, text);
    return h('tr', { dataset: { endpoint: e.id, enabled: String(e.enabled) } },
      h('td', {}, e.url), h('td', {}, e.events.join(', ')), h('td', {}, e.description || '—'),
      h('td', {}, h('span', { className: `badge ${e.enabled ? 'active' : 'paused'}` }, e.enabled ? 'Enabled' : 'Disabled'),
        e.previous_secret_expires_at
          ? h('div', { className: 'hint' }, `Old secret signs too until ${new Date(e.previous_secret_expires_at).toLocaleString()}`)
          : null),
      h('td', { className: 'row-actions' },
        button('deliveries', 'Deliveries', 'secondary', () => deliveryLog(log, e)),
        button('edit', 'Edit', 'secondary', () => edit(e)),
        button('toggle', e.enabled ? 'Disable' : 'Enable', 'secondary', () => save(e, { ...specOf(e), enabled: !e.enabled }, list)),
        button('rotate', 'Rotate secret', 'secondary', () => rotate(e)),
        button('delete', 'Delete', 'danger', () => remove(e))));
  }

  function edit(endpoint) {
    const wanted = new Set(endpoint?.events || []);
    const form = h('form', { className: 'card', id: 'endpoint-form', noValidate: true },
      h('h2', {}, endpoint ? `Edit ${endpoint.url}` : 'Add an endpoint'),
      field('URL', 'url', h('input', { type: 'url', value: endpoint?.url || '', autocomplete: 'off', spellcheck: false }),
        'https:// (plain http and this machine only in a local run); not a private address.'),
      h('fieldset', { dataset: { field: 'events' } }, h('legend', {}, 'Events it wants'),
        EVENTS.map(([type, meaning]) => h('label', { className: 'inline' },
          h('input', { type: 'checkbox', name: `event.${type}`, value: type, checked: wanted.has(type) }), ` ${type} — ${meaning}`))),
      field('Description', 'description', h('input', { type: 'text', value: endpoint?.description || '', maxLength: 200 }), 'Optional; for your team.'),
      h('div', { className: 'field', dataset: { field: 'enabled' } },
        h('label', {}, h('input', { type: 'checkbox', name: 'enabled', checked: endpoint ? endpoint.enabled : true }), ' Enabled (a disabled endpoint is sent nothing)')),
      h('div', { className: 'actions' },
        h('button', { type: 'button', className: 'secondary', onclick: () => editor.replaceChildren() }, 'Close'),
        h('button', { type: 'submit' }, endpoint ? 'Save' : 'Add endpoint')));
    form.onsubmit = async (event) => {
      event.preventDefault();
      clearErrors(form);
      const e = form.elements;
      const spec = {
        url: e.url.value.trim(),
        events: EVENTS.map(([type]) => type).filter((type) => e[`event.${type}`].checked),
        description: e.description.value.trim() || null,
        enabled: e.enabled.checked,
      };
      if (await save(endpoint, spec, form)) editor.replaceChildren();
    };
    secretBox.replaceChildren();
    editor.replaceChildren(form);
    form.elements.url.focus();
  }

  /** Creates (`endpoint` null) or replaces an endpoint; errors are shown in `where`. */
  async function save(endpoint, spec, where) {
    try {
      if (endpoint) {
        await api('PUT', `/v1/webhook-endpoints/${endpoint.id}`, spec);
        announce(spec.enabled === endpoint.enabled ? 'Endpoint saved' : `Endpoint ${spec.enabled ? 'enabled' : 'disabled'}`);
      } else {
        showSecret(await api('POST', '/v1/webhook-endpoints', spec));
        announce('Endpoint added; copy its secret now');
      }
      await load();
      return true;
    } catch (error) {
      showError(where, error);
      return false;
    }
  }

  function showSecret(created) {
    secretBox.replaceChildren(h('div', { className: 'notice', role: 'status' },
      h('p', {}, 'Signing secret of ', h('strong', {}, created.url), '. It is shown only now: copy it to your receiver.'),
      h('p', {}, h('code', { id: 'endpoint-secret' }, created.secret)),
      h('button', { type: 'button', className: 'secondary', onclick: () => secretBox.replaceChildren() }, 'I have copied it')));
  }

  /** A new secret, shown once; the old one keeps signing beside it for 24 hours. */
  async function rotate(endpoint) {
    if (!(await confirmAction(`Rotate the signing secret of ${endpoint.url}? The old secret keeps signing beside the new one for 24 hours, so your receiver can switch.`, 'Rotate secret'))) return;
    try {
      showSecret(await api('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { overlap_hours: 24 }));
      announce('Secret rotated; copy the new one now');
      await load();
    } catch (error) {
      showError(list, error);
    }
  }

  async function remove(endpoint) {
    if (!(await confirmAction(`Delete the endpoint ${endpoint.url}? Nothing more is sent to it.`, 'Delete endpoint'))) return;
    try {
      await api('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
      announce('Endpoint deleted');
      if (log.querySelector(`[data-endpoint="${CSS.escape(endpoint.id)}"]`)) log.replaceChildren();
      await load();
    } catch (error) {
      showError(list, error);
    }
  }

  await load();
}

/** What PUT takes back: the endpoint's spec as listed. */
function specOf(e) {
  return { url: e.url, events: e.events, description: e.description || null, enabled: e.enabled };
}
