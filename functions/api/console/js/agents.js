// Agents: list, add, edit, remove, with their caller pool and its limits; the caller numbers
// they may call from (read-only).
import { api } from './api.js';
import { h, render, field, showError, clearErrors, confirmAction, announce, empty, label } from './ui.js';
import { tenantInfo, callerNumbers } from './account.js';

export async function agentsPage() {
  const list = h('div', {});
  const editor = h('div', {});
  const { caller_numbers: numbers } = await tenantInfo();
  render(h('h1', {}, 'Agents'),
    h('div', { className: 'toolbar' }, h('span', { className: 'spacer' }),
      h('button', { type: 'button', id: 'add-agent', onclick: () => edit(null) }, 'Add agent')),
    editor, list,
    h('section', { className: 'card', 'aria-labelledby': 'agent-numbers-heading' },
      h('h2', { id: 'agent-numbers-heading' }, 'Your caller numbers'),
      callerNumbers(numbers, 'agent-caller-numbers'),
      h('p', { className: 'hint' }, 'Agents call only from these. Your operator registers them; ask them to add one.')));

  async function load() {
    const { items } = await api('GET', '/v1/agents');
    list.replaceChildren(items.length
      ? h('table', { id: 'agents' },
        h('thead', {}, h('tr', {}, ['Name', 'Mode', 'Provider', 'Caller number', 'Provider reference', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map((a) => h('tr', { dataset: { agent: a.id } },
          h('td', {}, a.name), h('td', {}, label(a.mode)), h('td', {}, a.provider), h('td', {}, a.caller_number),
          h('td', {}, a.provider_agent_ref),
          h('td', {}, h('button', { type: 'button', className: 'secondary', onclick: () => edit(a), 'aria-label': `Edit ${a.name}` }, 'Edit'), ' ',
            h('button', { type: 'button', className: 'danger', onclick: () => remove(a), 'aria-label': `Remove ${a.name}` }, 'Remove'))))))
      : empty('No agents yet. Add the AI voice agent that will make your calls: its provider, its reference there, and the number it calls from.'));
  }

  function edit(agent) {
    const input = (value, attrs = {}) => h('input', { type: 'text', value: value || '', ...attrs });
    const number = (value, max) => h('input', { type: 'number', min: 1, max, step: 1, inputMode: 'numeric', className: 'short', value });
    const mode = h('select', {}, ['outbound', 'hybrid', 'inbound'].map((m) => h('option', { value: m, selected: agent?.mode === m }, label(m))));
    const provider = h('select', {}, ['simulator', 'twilio', 'retell', 'vapi', 'http'].map((p) => h('option', { value: p, selected: agent?.provider === p }, p)));
    const form = h('form', { className: 'card', id: 'agent-form', noValidate: true },
      h('h2', {}, agent ? `Edit ${agent.name}` : 'Add an agent'),
      field('Name', 'name', input(agent?.name, { maxLength: 200 })),
      h('div', { className: 'row' },
        field('Mode', 'mode', mode, 'Campaigns use Outbound or Hybrid agents.'),
        field('Provider', 'provider', provider, 'Who carries the calls.')),
      field('Caller number', 'caller_number', input(agent?.caller_number, { inputMode: 'tel', list: 'registered-numbers' }),
        `One of your registered caller numbers: ${numbers.join(', ') || 'none yet (ask your operator)'}.`),
      h('datalist', { id: 'registered-numbers' }, numbers.map((n) => h('option', { value: n }))),
      field('Caller pool', 'caller_pool', input((agent?.caller_pool || []).join(', '), { inputMode: 'tel' }),
        'Optional: more of your registered numbers, separated by commas. Each call goes out from the one nearest the contact (same area code, state, time zone), else the caller number above.'),
      field('Named pool', 'named_pool', input(agent?.named_pool, { maxLength: 40 }),
        'Optional, instead of a caller pool: one of your caller pools (Account page), whose numbers and limits the calls use.'),
      h('div', { className: 'row' },
        field('Calls per number per hour', 'caller_limits.per_hour', number(agent?.caller_limits?.per_hour ?? 30, 3600), '1–3600; default 30, over every campaign.'),
        field('Calls per number per day', 'caller_limits.per_day', number(agent?.caller_limits?.per_day ?? 150, 86400), '1–86400, not below the hourly limit; default 150.')),
      field('Provider reference', 'provider_agent_ref', input(agent?.provider_agent_ref), 'The agent\'s id on the provider, or its media stream / webhook URL.'),
      field('Voicemail message', 'voicemail_message', h('textarea', { rows: 2, maxLength: 2000 }, agent?.voicemail_message || ''), 'Optional; said when a campaign leaves messages on machines.'),
      h('div', { className: 'row' },
        field('Voice', 'voice', input(agent?.voice, { maxLength: 64 }), 'Optional; the message\'s voice, such as Polly.Joanna.'),
        field('Language', 'language', input(agent?.language, { maxLength: 64 }), 'Optional; such as en-US.')),
      h('div', { className: 'actions' },
        h('button', { type: 'button', className: 'secondary', onclick: () => editor.replaceChildren() }, 'Close'),
        h('button', { type: 'submit' }, agent ? 'Save' : 'Add agent')));
    form.onsubmit = async (event) => {
      event.preventDefault();
      clearErrors(form);
      const e = form.elements;
      const body = {
        name: e.name.value, mode: e.mode.value, provider: e.provider.value, caller_number: e.caller_number.value,
        provider_agent_ref: e.provider_agent_ref.value, voicemail_message: e.voicemail_message.value.trim() || null,
        voice: e.voice.value.trim() || null, language: e.language.value.trim() || null,
        caller_pool: e.caller_pool.value.split(',').map((n) => n.trim()).filter(Boolean),
        named_pool: e.named_pool.value.trim() || null,
        caller_limits: { per_hour: Number(e['caller_limits.per_hour'].value), per_day: Number(e['caller_limits.per_day'].value) },
        // Not edited here (the API's `caller_health`): kept as it is.
        ...(agent?.caller_health ? { caller_health: agent.caller_health } : {}),
      };
      try {
        await (agent ? api('PUT', `/v1/agents/${agent.id}`, body) : api('POST', '/v1/agents', body));
        announce(agent ? 'Agent saved' : 'Agent added');
        editor.replaceChildren();
        await load();
      } catch (error) {
        showError(form, error);
      }
    };
    editor.replaceChildren(form);
    form.elements.name.focus();
  }

  async function remove(agent) {
    if (!(await confirmAction(`Remove the agent ${agent.name}?`, 'Remove agent'))) return;
    try {
      await api('DELETE', `/v1/agents/${agent.id}`);
      announce('Agent removed');
      await load();
    } catch (error) {
      showError(list, error);
    }
  }

  await load();
}
