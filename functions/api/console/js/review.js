// Step 5: every setting, the first contacts with their zone and local time, the dry run, and
// Launch now (or Schedule, when the start is in the future).
import { api } from './api.js';
import { h, showError, announce, fmt, label } from './ui.js';
import { DAYS } from './settings.js';
import { guardrailsSummary } from './guardrails.js';

export async function reviewStep(form, campaign, agent, back) {
  const c = campaign.config;
  const window = DAYS.filter((d) => c.schedule?.window?.[d]?.length)
    .map((d) => `${label(d).slice(0, 3)} ${c.schedule.window[d].map((r) => `${r.start}–${r.end}`).join(', ')}`);
  const later = c.schedule?.starts_at && new Date(c.schedule.starts_at) > new Date();
  const settings = [
    ['Name', c.name], ['Description', c.description || '—'], ['Agent', agent ? `${agent.name} (${agent.caller_number})` : c.agent_id],
    ['Caller pool', c.named_pool || agent?.named_pool || 'the agent\'s numbers'],
    ['Call window (contact\'s local time)', window.join('; ') || 'no day open'],
    ['Blackout dates', (c.schedule?.blackout || []).map((b) => (b.to ? `${b.from} to ${b.to}` : b.from)).join(', ') || 'none'],
    ['Start', c.schedule?.starts_at ? fmt.when(c.schedule.starts_at) : 'when launched'], ['End', c.schedule?.ends_at ? fmt.when(c.schedule.ends_at) : 'none'],
    ['Pacing', `${c.pacing.max_concurrent_calls} at once, ${fmt.number(c.pacing.calls_per_hour)} per hour`],
    ['Retries', `${c.retry.max_retries}, ${c.retry.delay_minutes} min apart, on ${c.retry.retry_on.map(label).join(', ') || 'nothing'}`],
    ['Longest call', fmt.seconds(c.call_handling.max_call_seconds)],
    ['Answering machines', c.call_handling.voicemail_detection ? label(c.call_handling.voicemail_action) : 'not detected'],
    ['Transfer number', c.call_handling.transfer_number || 'none'], ['Purpose', c.purpose === 'telemarketing' ? 'Telemarketing' : 'Informational'],
    ['Consent required', c.purpose === 'telemarketing' ? 'express written, with its source, time and reference' : c.consent_evidence_required ? 'yes, with its source and time' : c.consent_required ? 'yes' : 'no'],
    ['Guardrails', guardrailsSummary(c.guardrails)],
  ];
  const preview = h('div', {}, h('p', {}, 'Loading the first contacts…'));
  const launch = h('button', { type: 'submit', id: 'launch' }, later ? 'Schedule' : 'Launch now');
  form.append(h('h2', {}, 'Review & launch'),
    h('dl', { className: 'settings', id: 'review-settings' }, settings.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h2', {}, 'The first contacts'), preview,
    h('div', { className: 'actions' }, h('button', { type: 'button', className: 'secondary', onclick: back }, 'Back'), launch));
  form.onsubmit = async (event) => {
    event.preventDefault();
    launch.disabled = true;
    try {
      await api('POST', `/v1/campaigns/${campaign.id}/launch`);
      announce(later ? 'Campaign scheduled' : 'Campaign launched');
      location.hash = `#/campaigns/${campaign.id}`;
    } catch (error) {
      launch.disabled = false;
      showError(form, error);
    }
  };
  const [items, dry] = await Promise.all([
    api('GET', `/v1/campaigns/${campaign.id}/preview?limit=10`),
    api('POST', `/v1/campaigns/${campaign.id}/dry-run?limit=10`),
  ]);
  preview.replaceChildren(previewTable(items.items, dry));
}

function previewTable(leads, dry) {
  if (!leads.length) return h('p', { className: 'notice' }, 'No contacts yet: go back and upload a file.');
  const byId = new Map(dry.items.map((d) => [d.id, d]));
  return h('div', {},
    h('p', {}, `${fmt.number(dry.open_leads)} contacts to call at about ${fmt.number(Math.round(dry.attempts_per_hour))} calls an hour; `,
      dry.projected_completion_at ? `all called once by ${fmt.when(dry.projected_completion_at)}.` : 'no projected completion (nothing can be dialed).'),
    h('table', { id: 'preview' },
      h('thead', {}, h('tr', {}, ['Phone', 'Name', 'Time zone', 'Local time now', 'First call'].map((t) => h('th', {}, t)))),
      h('tbody', {}, leads.map((lead) => {
        const d = byId.get(lead.id);
        return h('tr', {},
          h('td', {}, lead.phone), h('td', {}, lead.name || '—'), h('td', {}, lead.zones.join(', ') || 'unknown'),
          h('td', {}, lead.local_time ? lead.local_time.replace('T', ' ').slice(0, 16) : '—'),
          h('td', {}, !d ? '—' : d.blocked ? `Blocked: ${label(d.blocked)}`
            : `${(d.first_dial_local || '').replace('T', ' ').slice(0, 16)}${d.held_by_blackout ? ' (after a blackout day)' : ''}`));
      }))));
}
