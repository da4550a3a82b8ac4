// The console's shell: sign in, the sidebar, and hash routes to each page.
import { api, session, whenUnauthorized } from './api.js';
import { h, render, field, showError, announce } from './ui.js';
import { campaignsPage } from './campaigns.js';
import { wizardPage } from './wizard.js';
import { dashboardPage } from './dashboard.js';
import { agentsPage } from './agents.js';
import { dncPage } from './dnc.js';
import { webhooksPage } from './webhooks.js';
import { accountPage } from './account.js';

const routes = [
  [/^#\/campaigns\/new(?:\/([\w-]+))?$/, (m) => wizardPage(m[1])],
  [/^#\/campaigns\/([\w-]+)$/, (m) => dashboardPage(m[1])],
  [/^#\/campaigns(?:\?[\w=&-]*)?$/, () => campaignsPage()],
  [/^#\/agents$/, () => agentsPage()],
  [/^#\/dnc$/, () => dncPage()],
  [/^#\/webhooks$/, () => webhooksPage()],
  [/^#\/account$/, () => accountPage()],
];

/** What the current page left running (a live refresh), stopped when the page changes. */
let stopPage = null;

async function route() {
  if (stopPage) { stopPage(); stopPage = null; }
  const nav = document.querySelector('.sidebar');
  if (!session.key) { nav.hidden = true; signInPage(); return; }
  nav.hidden = false;
  const hash = location.hash || '#/campaigns';
  for (const a of nav.querySelectorAll('a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (match) {
      try { stopPage = (await page(match)) || null; } catch (error) { failed(error); }
      return;
    }
  }
  location.hash = '#/campaigns';
}

function failed(error) {
  if (error.status === 401) return;
  const box = h('div', { className: 'card' }, h('h1', {}, 'Something went wrong'));
  render(box);
  showError(box, error);
}

function signInPage() {
  const key = h('input', { type: 'password', autocomplete: 'off', required: true, spellcheck: false });
  const form = h('form', { className: 'card signin', onsubmit: signIn },
    h('h1', {}, 'Sign in to Campaigns'),
    h('p', {}, 'Paste an API key of your organisation. It is kept only in this tab and forgotten when you sign out or close it.'),
    field('API key', 'api_key', key, 'Starts with ck. — your operator issues it (campaigns admin create-key).'),
    h('button', { type: 'submit' }, 'Sign in'));
  render(form);

  async function signIn(event) {
    event.preventDefault();
    session.signIn(key.value);
    try {
      await api('GET', '/v1/agents', undefined, { checkingKey: true });
      announce('Signed in');
      location.hash = '#/campaigns';
      route();
    } catch (error) {
      session.signOut();
      showError(form, error.status === 401
        ? { message: 'That key was not accepted. Check it was copied whole and is not revoked.', fields: [] }
        : error);
    }
  }
}

function signOut() {
  session.signOut();
  announce('Signed out');
  location.hash = '';
  route();
}

whenUnauthorized(() => { session.signOut(); route(); });
document.getElementById('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
route();
