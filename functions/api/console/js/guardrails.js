// A campaign's guardrails (part of step 4, and a line of the review): the shares over a sliding
// window past which the campaign pauses itself, each with its default shown.
import { h, field } from './ui.js';
import { number, int } from './settings.js';

/** Each threshold: its field, label, what it counts, and the API's default. */
const LIMITS = [
  ['max_failed_percent', 'Failed attempts', 'of finished attempts failed or ended unknown', 50],
  ['max_throttled_percent', 'Provider refusals', 'of call requests the provider refused (429/503)', 50],
  ['max_opt_out_percent', 'Opt-outs', 'of connected calls asked not to be called again', 20],
  ['max_dnc_hit_percent', 'Do-Not-Call hits', 'of dial tries found the number on the list', 10],
  ['max_agent_unavailable_percent', 'Agent never came on', 'of answered calls heard no agent', 10],
];

/** The guardrails' fields, from the configuration (the API fills in its defaults). */
export function guardrailsForm(config) {
  const g = config.guardrails || {};
  const name = (key) => `guardrails.${key}`;
  return h('fieldset', { id: 'guardrails', className: 'guardrails', dataset: { field: 'guardrails' } },
    h('legend', {}, 'Guardrails: the campaign pauses itself on a bad day'),
    h('div', { className: 'field', dataset: { field: name('enabled') } },
      h('label', {}, h('input', { type: 'checkbox', name: name('enabled'), checked: g.enabled !== false }),
        ' Pause by itself when a share below passes its limit')),
    h('div', { className: 'row' },
      field('Window (minutes)', name('window_minutes'), number(name('window_minutes'), g.window_minutes ?? 15, 5, 240), '5–240; default 15'),
      field('Judged from (at least)', name('min_sample'), number(name('min_sample'), g.min_sample ?? 20, 5, 10000), '5–10,000 in the window; default 20')),
    h('div', { className: 'row' }, LIMITS.map(([key, label, counted, fallback]) =>
      field(`${label} (most %)`, name(key), number(name(key), g[key] ?? fallback, 1, 100), `Pause when more ${counted}. 1–100 (100: never); default ${fallback}`))));
}

/** Reads the guardrails back from the step's form; an emptied field takes the API's default. */
export function readGuardrails(form) {
  const guardrails = { enabled: form.elements['guardrails.enabled'].checked };
  for (const key of ['window_minutes', 'min_sample', ...LIMITS.map(([k]) => k)]) {
    const value = int(form, `guardrails.${key}`);
    if (value !== null) guardrails[key] = value;
  }
  return guardrails;
}

/** The guardrails in a line (the review). */
export function guardrailsSummary(g) {
  if (!g) return 'the defaults';
  if (g.enabled === false) return 'off: the campaign never pauses itself';
  const limits = LIMITS.map(([key, label]) => `${label.toLowerCase()} over ${g[key]}%`).join(', ');
  return `pause on ${limits}; over ${g.window_minutes} minutes, judged from ${g.min_sample}`;
}
