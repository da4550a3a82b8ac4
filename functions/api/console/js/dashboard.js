// A campaign's dashboard: live figures (every few seconds) with its connection and completion
// rates, outcome mix, calls per hour, the actions its status allows, the export, the lead table.
import { api } from './api.js';
import { h, svg, render, badge, fmt, label, confirmAction, showError, announce } from './ui.js';
import { leadTable } from './leads.js';

const REFRESH_MS = 3000;

export async function dashboardPage(id) {
  const campaign = await api('GET', `/v1/campaigns/${id}`);
  const title = h('h1', {}, campaign.config.name, ' ', h('span', { id: 'campaign-status' }, badge(campaign.status)));
  const actions = h('div', { className: 'toolbar', id: 'actions' });
  // Why a guardrail paused the campaign, until it is resumed.
  const reason = h('p', { className: 'notice', id: 'pause-reason', hidden: true });
  const stats = h('dl', { className: 'stats', id: 'stats' });
  const bar = h('progress', { max: 1, value: 0, id: 'overall', 'aria-label': 'Leads finished' });
  const mix = h('ul', { className: 'mix', id: 'outcomes' });
  const chart = h('div', { id: 'chart' });
  const exportBox = h('div', { id: 'export' });
  const leads = leadTable(id);
  const page = h('div', {}, title, reason, actions, h('p', {}, bar, ' ', h('span', { id: 'overall-text' })), stats,
    h('h2', {}, 'Outcomes'), mix, h('h2', {}, 'Calls per hour'), chart, exportBox, h('h2', {}, 'Leads'), leads.element);
  render(page);

  let status = campaign.status;
  // The buttons are rebuilt only when the status changes: rebuilding them on every refresh
  // would take keyboard focus from a person about to press one, and swallow a click landing
  // while they are replaced.
  let buttonsFor = null;
  const refresh = async () => {
    const [progress, analytics] = await Promise.all([
      api('GET', `/v1/campaigns/${id}/progress`),
      api('GET', `/v1/campaigns/${id}/analytics`),
    ]);
    if (progress.status !== status) announce(`Campaign ${label(progress.status).toLowerCase()}`);
    status = progress.status;
    document.getElementById('campaign-status').replaceChildren(badge(status));
    showFigures(stats, bar, progress, analytics);
    showPauseReason(reason, progress.pause_reason);
    mix.replaceChildren(...Object.entries(progress.outcomes).filter(([, n]) => n > 0)
      .map(([o, n]) => h('li', { className: 'badge' }, `${label(o)}: ${fmt.number(n)}`)));
    if (!mix.children.length) mix.append(h('li', {}, 'No calls finished yet.'));
    chart.replaceChildren(hourChart(analytics.timeline));
    if (buttonsFor !== status) {
      actions.replaceChildren(...buttons(id, status, act, exportBox));
      buttonsFor = status;
    }
    await leads.refresh();
  };
  const act = async (verb) => {
    if (verb === 'cancel' && !(await confirmAction('Cancel this campaign? No more calls are made, and it cannot be resumed.', 'Cancel campaign'))) return;
    try {
      await api('POST', `/v1/campaigns/${id}/${verb}`);
      announce(`${label(verb)} done`);
      await refresh();
    } catch (error) {
      showError(page, error);
    }
  };
  await refresh();
  let running = false;
  const timer = setInterval(async () => {
    if (running || document.hidden) return;
    running = true;
    try { await refresh(); } catch { /* the next tick tries again */ } finally { running = false; }
  }, REFRESH_MS);
  return () => clearInterval(timer);
}

function showPauseReason(element, reason) {
  const text = reason ? `Paused by a guardrail: ${reason.message}. Check the cause, then resume to call again.` : '';
  if (element.textContent !== text) element.textContent = text;
  element.hidden = !reason;
}

function showFigures(stats, bar, p, a) {
  bar.max = Math.max(p.total, 1);
  bar.value = p.finished;
  document.getElementById('overall-text').textContent = `${fmt.number(p.finished)} of ${fmt.number(p.total)} leads finished`;
  const figures = [
    ['total', 'Total contacts', fmt.number(p.total)], ['completed', 'Completed', fmt.number(p.completed)],
    ['success_rate', 'Success rate', fmt.percent(p.success_rate)], ['average', 'Average call', fmt.seconds(p.average_call_seconds)],
    ['remaining', 'Remaining', fmt.number(p.remaining)], ['in_flight', 'On a call now', fmt.number(p.in_flight)],
    ['calls_placed', 'Calls placed', fmt.number(p.calls_placed)],
    ['connection_rate', 'Connection rate', fmt.percent(a.connection_rate)],
    ['completion_rate', 'Completion rate', fmt.percent(a.completion_rate)],
    ['abandonment_rate', 'Abandoned (answered, no agent)', `${fmt.percent(p.abandonment_rate)} (${fmt.number(p.abandoned_calls)})`],
  ];
  stats.replaceChildren(...figures.map(([key, name, value]) =>
    h('div', { className: 'stat', dataset: { stat: key } }, h('dt', {}, name), h('dd', {}, value))));
}

/**
 * The lifecycle actions each status allows: the API's own rules (`CampaignStatus::apply` in
 * the domain), so no button is offered that the API would refuse with 409. A Scheduled campaign
 * cannot be paused (only cancelled); a Draft is launched from its set-up steps.
 */
const ACTIONS_BY_STATUS = {
  draft: [], scheduled: ['cancel'], active: ['pause', 'cancel'], paused: ['resume', 'cancel'], completed: [], cancelled: [],
};

const ACTION_BUTTONS = { pause: ['Pause', 'secondary'], resume: ['Resume', ''], cancel: ['Cancel', 'danger'] };

function buttons(id, status, act, exportBox) {
  const list = (ACTIONS_BY_STATUS[status] || []).map((verb) => {
    const [text, cls] = ACTION_BUTTONS[verb];
    return h('button', { type: 'button', className: cls || null, dataset: { action: verb }, onclick: () => act(verb) }, text);
  });
  if (status === 'draft') list.push(h('a', { className: 'button', href: `#/campaigns/new/${id}` }, 'Continue setting up'));
  list.push(h('button', { type: 'button', className: 'secondary', onclick: () => exportCsv(id, exportBox, 'leads') }, 'Export results'));
  list.push(h('button', { type: 'button', className: 'secondary', onclick: () => exportCsv(id, exportBox, 'clearances') }, 'Export clearances'));
  return list;
}

/**
 * Requests an export — `leads` (a row per lead) or `clearances` (a row per attempt and zone:
 * what allowed each call) — and offers its download once written.
 */
async function exportCsv(id, box, kind) {
  box.replaceChildren(h('p', { role: 'status' }, 'Preparing the export…'));
  try {
    let record = await api('POST', `/v1/campaigns/${id}/exports?kind=${kind}`);
    while (record.status === 'queued' || record.status === 'running') {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      record = await api('GET', `/v1/campaigns/${id}/exports/${record.id}`);
    }
    if (record.status !== 'completed') throw new Error(record.error || 'the export failed');
    const what = kind === 'clearances' ? 'attempt-zone rows of call clearances' : 'leads';
    box.replaceChildren(h('p', { className: 'notice' }, `Export ready: ${fmt.number(record.rows)} ${what}. `,
      h('a', { href: record.download_url, download: `campaign-${id}-${kind}.csv`, id: 'export-download' }, 'Download the CSV')));
    announce('Export ready');
  } catch (error) {
    box.replaceChildren(h('p', { className: 'errors', role: 'alert' }, `Export failed: ${error.message}`));
  }
}

/** Calls started per hour as bars (SVG), the last 24 hours that had calls. */
function hourChart(timeline) {
  if (!timeline.length) return h('p', {}, 'No calls yet.');
  const points = timeline.slice(-24);
  const width = 720;
  const height = 180;
  const top = Math.max(...points.map((p) => p.calls_started), 1);
  const slot = Math.min(width / points.length, 48);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': `Calls per hour: ${points.map((p) => `${new Date(p.hour).getUTCHours()}:00 UTC ${p.calls_started}`).join(', ')}` });
  points.forEach((p, i) => {
    const barHeight = Math.round((p.calls_started / top) * (height - 40));
    const x = i * slot + 4;
    chart.append(
      svg('rect', { class: 'bar', x, y: height - 20 - barHeight, width: Math.max(slot - 8, 2), height: barHeight },
        svg('title', {}, `${p.hour}: ${p.calls_started} calls, ${p.calls_connected} connected`)),
      svg('text', { class: 'axis', x: x + 2, y: height - 6 }, `${String(new Date(p.hour).getUTCHours()).padStart(2, '0')}h`),
      svg('text', { class: 'axis', x: x + 2, y: height - 24 - barHeight }, String(p.calls_started)));
  });
  return chart;
}
