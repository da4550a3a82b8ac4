// Create Campaign: the spec's five steps. Step 1 creates a draft; later steps replace its
// configuration (PUT), so leaving and coming back (#/campaigns/new/{id}) resumes where it was.
import { api } from './api.js';
import { h, render, field, showError, clearErrors, announce } from './ui.js';
import { scheduleForm, readSchedule, rulesForm, readRules } from './settings.js';
import { uploadStep } from './upload.js';
import { reviewStep } from './review.js';
import { guardrailsForm, readGuardrails } from './guardrails.js';

const STEPS = ['Basic setup', 'Upload contacts', 'Schedule', 'Rules', 'Review & launch'];

export async function wizardPage(campaignId) {
  const state = { step: 0, campaign: null, agents: [] };
  const [agents, campaign] = await Promise.all([
    api('GET', '/v1/agents'),
    campaignId ? api('GET', `/v1/campaigns/${campaignId}`) : null,
  ]);
  state.agents = agents.items.filter((a) => a.mode === 'outbound' || a.mode === 'hybrid');
  if (campaign) {
    state.campaign = campaign;
    state.step = 1;
  }
  show(state);
}

function show(state) {
  const steps = h('ol', { className: 'steps', 'aria-label': 'Steps' },
    STEPS.map((name, i) => h('li', { 'aria-current': i === state.step ? 'step' : null }, `${i + 1}. ${name}`)));
  const form = h('form', { className: 'card', id: 'wizard-step', noValidate: true });
  render(h('h1', {}, state.campaign ? `Create Campaign — ${state.campaign.config.name}` : 'Create Campaign'), steps, form);
  const go = (step) => { state.step = step; show(state); };
  const agent = state.agents.find((a) => a.id === state.campaign?.config.agent_id);
  const builders = [
    () => basicStep(form, state, go),
    () => uploadStep(form, state.campaign, () => go(2), () => go(0)),
    () => settingsStep(form, state, scheduleForm(state.campaign.config), readSchedule, go, 3),
    () => settingsStep(form, state, rulesStep(state.campaign.config, agent), readRulesStep, go, 4),
    () => reviewStep(form, state.campaign, agent, () => go(3)),
  ];
  builders[state.step]();
}

function basicStep(form, state, go) {
  const config = state.campaign?.config;
  const name = h('input', { type: 'text', value: config?.name || '', required: true, maxLength: 200 });
  const description = h('textarea', { rows: 3, maxLength: 2000 }, config?.description || '');
  const region = h('input', { type: 'text', value: config?.default_region || 'US', size: 2, maxLength: 2, className: 'short' });
  const pool = h('input', { type: 'text', value: config?.named_pool || '', maxLength: 40 });
  const agent = h('select', { className: 'wide', required: true },
    h('option', { value: '' }, 'Choose an agent…'),
    state.agents.map((a) => h('option', { value: a.id, selected: a.id === config?.agent_id }, `${a.name} (${a.mode})`)));
  form.append(
    h('h2', {}, 'Basic setup'),
    field('Campaign name', 'name', name),
    field('Description', 'description', description, 'Optional; for your team.'),
    field('Numbers without a country code are from', 'default_region', region, 'Two-letter country code (ISO 3166-1), such as US; used when reading the contacts file.'),
    state.agents.length
      ? field('Agent', 'agent_id', agent, 'Only Outbound and Hybrid agents can make calls.')
      : h('div', { className: 'notice', dataset: { field: 'agent_id' } },
        h('p', {}, 'There is no Outbound or Hybrid agent yet; a campaign needs one to make its calls.'),
        h('a', { className: 'button', href: '#/agents' }, 'Add an agent')),
    field('Caller pool', 'named_pool', pool, 'Optional: one of your caller pools (Account page); its numbers are used instead of the agent\'s.'),
    nav(null, 'Next: upload contacts'));
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    const next = {
      ...(config || {}),
      name: name.value,
      description: description.value.trim() || null,
      agent_id: agent.value,
      default_region: region.value.trim().toUpperCase(),
      named_pool: pool.value.trim() || null,
    };
    try {
      state.campaign = config
        ? await api('PUT', `/v1/campaigns/${state.campaign.id}`, next)
        : await api('POST', '/v1/campaigns', next);
      history.replaceState(null, '', `#/campaigns/new/${state.campaign.id}`);
      announce('Draft saved');
      go(1);
    } catch (error) {
      showError(form, error);
    }
  };
}

/** Step 4: retries, call handling, consent, and the guardrails. */
function rulesStep(config, agent) {
  return h('div', {}, rulesForm(config, agent), h('h3', {}, 'Guardrails'), guardrailsForm(config));
}

const readRulesStep = (form, config) => ({ ...readRules(form, config), guardrails: readGuardrails(form) });

function settingsStep(form, state, controls, read, go, nextStep) {
  form.append(h('h2', {}, STEPS[nextStep - 1]), controls,
    nav(() => go(nextStep - 2), nextStep === 4 ? 'Next: rules' : 'Next: review'));
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      state.campaign = await api('PUT', `/v1/campaigns/${state.campaign.id}`, read(form, state.campaign.config));
      announce('Saved');
      go(nextStep);
    } catch (error) {
      showError(form, error);
    }
  };
}

/** Back / Next buttons of a step. */
export function nav(back, nextLabel) {
  return h('div', { className: 'actions' },
    back ? h('button', { type: 'button', className: 'secondary', onclick: back }, 'Back') : null,
    h('button', { type: 'submit' }, nextLabel));
}
