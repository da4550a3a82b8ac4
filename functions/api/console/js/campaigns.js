// Campaigns: the list with status, progress and success rate, filtered by status.
import { api } from './api.js';
import { h, render, badge, fmt, empty, label } from './ui.js';

const STATUSES = ['draft', 'scheduled', 'active', 'paused', 'completed', 'cancelled'];

export async function campaignsPage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const status = params.get('status') || '';
  const filter = h('select', { id: 'status-filter', onchange: () => { location.hash = filter.value ? `#/campaigns?status=${filter.value}` : '#/campaigns'; } },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, label(s))));
  const body = h('div', {}, h('p', {}, 'Loading…'));
  render(
    h('h1', {}, 'Campaigns'),
    h('div', { className: 'toolbar' },
      h('div', {}, h('label', { htmlFor: 'status-filter' }, 'Status'), filter),
      h('span', { className: 'spacer' }),
      h('a', { className: 'button', href: '#/campaigns/new' }, 'Create Campaign')),
    body);
  const page = await api('GET', `/v1/campaigns?limit=100${status ? `&status=${status}` : ''}`);
  if (!page.items.length) {
    body.replaceChildren(status
      ? empty(`No ${label(status).toLowerCase()} campaigns.`, h('a', { href: '#/campaigns' }, 'Show all campaigns'))
      : empty('No campaigns yet. Create one: pick an agent, upload your contacts, set when to call, and launch.',
        h('a', { className: 'button', href: '#/campaigns/new' }, 'Create Campaign')));
    return;
  }
  const progress = await Promise.all(page.items.map((c) =>
    api('GET', `/v1/campaigns/${c.id}/progress`).catch(() => null)));
  body.replaceChildren(h('table', {},
    h('caption', { className: 'visually-hidden' }, 'Campaigns'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Status'), h('th', {}, 'Progress'),
      h('th', { className: 'num' }, 'Leads'), h('th', { className: 'num' }, 'Success rate'), h('th', {}, 'Created'))),
    h('tbody', {}, page.items.map((c, i) => row(c, progress[i])))));
}

function row(campaign, p) {
  const done = p ? p.finished : 0;
  const total = p ? p.total : 0;
  const href = campaign.status === 'draft' ? `#/campaigns/new/${campaign.id}` : `#/campaigns/${campaign.id}`;
  return h('tr', { dataset: { campaign: campaign.id } },
    h('td', {}, h('a', { href }, campaign.config.name)),
    h('td', {}, badge(campaign.status)),
    h('td', {}, h('progress', { max: Math.max(total, 1), value: done, 'aria-label': `${done} of ${total} leads finished` }),
      ` ${fmt.number(done)} / ${fmt.number(total)}`),
    h('td', { className: 'num' }, fmt.number(total)),
    h('td', { className: 'num' }, fmt.percent(p?.success_rate)),
    h('td', {}, fmt.when(campaign.created_at)));
}
