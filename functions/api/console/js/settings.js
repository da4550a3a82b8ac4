// The schedule (step 3) and rules (step 4) forms: each builds its controls from a campaign's
// configuration and writes the edited values back into a copy of it.
import { h, field } from './ui.js';

export const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** `2026-06-08T12:30:00Z` → the `datetime-local` value in this browser's zone. */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

/** A whole-number input named after its API field. */
export function number(name, value, min, max) {
  return h('input', { type: 'number', name, value: value ?? '', min, max, step: 1, inputMode: 'numeric', className: 'short' });
}

/** A whole-number input's value; null when empty. */
export function int(form, name) {
  const raw = form.elements[name].value.trim();
  return raw === '' ? null : Number(raw);
}

/** Step 3: the call window per weekday, start and end, pacing. */
export function scheduleForm(config) {
  const window = config.schedule?.window || {};
  const rows = DAYS.map((day) => {
    const ranges = window[day] || [];
    const first = ranges[0];
    const on = h('input', { type: 'checkbox', name: `${day}.on`, checked: ranges.length > 0, id: `day-${day}` });
    const start = h('input', { type: 'text', name: `${day}.start`, value: first?.start || '09:00', size: 5, pattern: '\\d{2}:\\d{2}', 'aria-label': `${day} start (HH:MM)` });
    const end = h('input', { type: 'text', name: `${day}.end`, value: first?.end || '18:00', size: 5, pattern: '\\d{2}:\\d{2}', 'aria-label': `${day} end (HH:MM)` });
    const more = ranges.slice(1).map((r) => `${r.start}–${r.end}`).join(', ');
    return h('tr', { dataset: { field: `schedule.window.${day}[0]` } },
      h('th', { scope: 'row' }, h('label', { htmlFor: on.id }, on, ` ${day[0].toUpperCase()}${day.slice(1)}`)),
      h('td', {}, start), h('td', {}, '–'), h('td', {}, end),
      h('td', {}, more ? `and ${more} (kept)` : ''));
  });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return h('div', {},
    h('fieldset', { dataset: { field: 'schedule.window' } },
      h('legend', {}, 'Call window, in each contact\'s local time (HH:MM, end exclusive; 24:00 allowed)'),
      h('table', { className: 'window-table' }, h('tbody', {}, rows))),
    h('div', { className: 'row' },
      field('Start', 'schedule.starts_at', h('input', { type: 'datetime-local', value: toLocalInput(config.schedule?.starts_at) }), `Empty: as soon as launched. Your time zone: ${zone}.`),
      field('End', 'schedule.ends_at', h('input', { type: 'datetime-local', value: toLocalInput(config.schedule?.ends_at) }), 'Optional: no calls from then on.')),
    field('Blackout dates', 'schedule.blackout',
      h('textarea', { rows: 3, className: 'short-area' }, blackoutText(config.schedule?.blackout)),
      'No calls on these days, in each contact\'s local date. One per line: 2026-07-04, or a range 2026-12-24..2026-12-26.'),
    h('div', { className: 'row' },
      field('Concurrent calls', 'pacing.max_concurrent_calls', number('pacing.max_concurrent_calls', config.pacing?.max_concurrent_calls, 1, 1000), '1–1000'),
      field('Calls per hour', 'pacing.calls_per_hour', number('pacing.calls_per_hour', config.pacing?.calls_per_hour, 1, 100000), '1–100,000')));
}

const DAY = '\\d{4}-\\d{2}-\\d{2}';
const BLACKOUT_LINE = new RegExp(`^(${DAY})(?:\\s*\\.\\.\\s*(${DAY}))?$`);

function blackoutText(entries) {
  return (entries || []).map((b) => (b.to && b.to !== b.from ? `${b.from}..${b.to}` : b.from)).join('\n');
}

/** The blackout lines as the API's entries; a line that is not a date is refused here. */
function readBlackout(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.map((line, i) => {
    const m = line.match(BLACKOUT_LINE);
    if (!m) {
      throw { message: 'A blackout line is not a date', fields: [{ field: 'schedule.blackout', message: `line ${i + 1} (“${line}”): expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD` }] };
    }
    return m[2] ? { from: m[1], to: m[2] } : { from: m[1] };
  });
}

/** Reads step 3 back into the configuration. */
export function readSchedule(form, config) {
  const window = {};
  for (const day of DAYS) {
    if (!form.elements[`${day}.on`].checked) continue;
    const kept = (config.schedule?.window?.[day] || []).slice(1);
    window[day] = [{ start: form.elements[`${day}.start`].value.trim(), end: form.elements[`${day}.end`].value.trim() }, ...kept];
  }
  return {
    ...config,
    schedule: {
      window,
      starts_at: fromLocalInput(form.elements['schedule.starts_at'].value),
      ends_at: fromLocalInput(form.elements['schedule.ends_at'].value),
      blackout: readBlackout(form.elements['schedule.blackout'].value),
    },
    pacing: { max_concurrent_calls: int(form, 'pacing.max_concurrent_calls'), calls_per_hour: int(form, 'pacing.calls_per_hour') },
  };
}

const RETRYABLE = ['no_answer', 'busy', 'voicemail'];

/** Step 4: retries and call handling. */
export function rulesForm(config, agent) {
  const retry = config.retry || {};
  const handling = config.call_handling || {};
  const retryOn = new Set(retry.retry_on || []);
  const action = handling.voicemail_action || 'hang_up';
  return h('div', {},
    h('h3', {}, 'Retries'),
    h('div', { className: 'row' },
      field('Retries', 'retry.max_retries', number('retry.max_retries', retry.max_retries, 0, 5), 'After the first attempt, 0–5'),
      field('Minutes between attempts', 'retry.delay_minutes', number('retry.delay_minutes', retry.delay_minutes, 1, 43200), '1–43,200')),
    h('fieldset', { dataset: { field: 'retry.retry_on' } }, h('legend', {}, 'Retry when the call ends in'),
      RETRYABLE.map((o) => h('label', { className: 'inline' },
        h('input', { type: 'checkbox', name: `retry_on.${o}`, checked: retryOn.has(o) }), ` ${o.replace('_', ' ')} `))),
    h('h3', {}, 'Call handling'),
    field('Longest call (seconds)', 'call_handling.max_call_seconds', number('call_handling.max_call_seconds', handling.max_call_seconds, 30, 14400), '30–14,400'),
    h('div', { className: 'field', dataset: { field: 'call_handling.voicemail_detection' } },
      h('label', {}, h('input', { type: 'checkbox', name: 'call_handling.voicemail_detection', checked: handling.voicemail_detection !== false }), ' Detect answering machines')),
    field('When a machine answers', 'call_handling.voicemail_action',
      h('select', {}, h('option', { value: 'hang_up', selected: action === 'hang_up' }, 'Hang up'),
        h('option', { value: 'leave_message', selected: action === 'leave_message' }, 'Leave the agent\'s voicemail message'))),
    h('p', { className: 'hint' }, 'Voicemail message (set on the agent): ',
      agent?.voicemail_message ? `“${agent.voicemail_message}”` : 'none set', ' — ', h('a', { href: '#/agents' }, 'edit agents')),
    field('Transfer number', 'call_handling.transfer_number', h('input', { type: 'text', value: handling.transfer_number || '', inputMode: 'tel' }), 'Where the agent transfers a call when the person asks; empty: no transfers.'),
    field('Longest transferred call (seconds)', 'call_handling.max_transfer_seconds', number('call_handling.max_transfer_seconds', handling.max_transfer_seconds ?? 3600, 60, 14400), 'After the agent hands over, 60–14,400'),
    h('h3', {}, 'Consent'),
    field('Purpose', 'purpose',
      h('select', {}, h('option', { value: 'informational', selected: config.purpose !== 'telemarketing' }, 'Informational (reminders, notices, service)'),
        h('option', { value: 'telemarketing', selected: config.purpose === 'telemarketing' }, 'Telemarketing (selling or advertising)')),
      'Telemarketing calls only contacts with express written consent: consent_type = express_written with its source, time and reference.'),
    h('div', { className: 'field', dataset: { field: 'consent_required' } },
      h('label', {}, h('input', { type: 'checkbox', name: 'consent_required', checked: !!config.consent_required }),
        ' Call only contacts whose row says consent = yes')),
    h('div', { className: 'field', dataset: { field: 'consent_evidence_required' } },
      h('label', {}, h('input', { type: 'checkbox', name: 'consent_evidence_required', checked: !!config.consent_evidence_required }),
        ' …and only with its evidence: the row\'s consent_source and consent_at')));
}

/** Reads step 4 back into the configuration. */
export function readRules(form, config) {
  return {
    ...config,
    purpose: form.elements.purpose.value,
    consent_required: form.elements.consent_required.checked,
    consent_evidence_required: form.elements.consent_evidence_required.checked,
    retry: {
      max_retries: int(form, 'retry.max_retries'),
      delay_minutes: int(form, 'retry.delay_minutes'),
      retry_on: RETRYABLE.filter((o) => form.elements[`retry_on.${o}`].checked),
    },
    call_handling: {
      max_call_seconds: int(form, 'call_handling.max_call_seconds'),
      voicemail_detection: form.elements['call_handling.voicemail_detection'].checked,
      voicemail_action: form.elements['call_handling.voicemail_action'].value,
      transfer_number: form.elements['call_handling.transfer_number'].value.trim() || null,
      max_transfer_seconds: int(form, 'call_handling.max_transfer_seconds'),
    },
  };
}
