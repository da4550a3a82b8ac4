// Step 2: upload contacts. The file goes straight to storage on a presigned URL (the API never
// carries it); then the import's report: rows read, imported, rejected by reason, repaired.
import { api, putFile } from './api.js';
import { h, showError, clearErrors, announce, fmt, label } from './ui.js';
import { nav } from './wizard.js';

export async function uploadStep(form, campaign, next, back) {
  const input = h('input', { type: 'file', id: 'contacts-file', accept: '.csv,text/csv' });
  const zone = h('div', { className: 'dropzone', dataset: { field: 'size_bytes' } },
    h('p', {}, 'Drop a CSV file here, or choose one:'),
    h('label', { htmlFor: input.id }, 'Contacts file (CSV)'),
    input,
    h('p', { className: 'hint' }, 'A phone column is required; name, email, company, timezone, state, consent, consent_type, consent_source, consent_at and consent_reference are recognised, and any other column is kept for the agent.'));
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const reports = h('div', { id: 'import-reports' });
  form.append(h('h2', {}, 'Upload contacts'), zone, progress, reports, nav(back, 'Next: schedule'));

  const send = async (file) => {
    if (!file) return;
    clearErrors(form);
    progress.hidden = false;
    progress.value = 0;
    try {
      const upload = await api('POST', `/v1/campaigns/${campaign.id}/imports`, { size_bytes: file.size });
      await putFile(upload, file, (share) => { progress.value = share; });
      announce(`Uploaded ${file.name}; importing`);
      const record = await waitForImport(campaign.id, upload.import_id, (r) => {
        reports.querySelector(`[data-import="${r.id}"]`)?.remove();
        reports.prepend(importReport(r, file.name));
      });
      announce(`Import ${label(record.status).toLowerCase()}: ${record.imported} imported, ${record.rejected_total} rejected`);
    } catch (error) {
      showError(form, error);
    } finally {
      progress.hidden = true;
    }
  };
  input.addEventListener('change', () => send(input.files[0]));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); send(e.dataTransfer.files[0]); });
  form.onsubmit = (event) => { event.preventDefault(); next(); };

  // Listeners first, then the earlier imports: a file chosen while those load is not lost.
  const existing = await api('GET', `/v1/campaigns/${campaign.id}/imports`);
  for (const record of existing.items) {
    if (!reports.querySelector(`[data-import="${record.id}"]`)) reports.append(importReport(record));
  }
}

/**
 * Polls the import until the importer has finished with it, showing each state. A failed poll
 * is tried again at the next second (the import goes on regardless), for up to ten minutes.
 */
async function waitForImport(campaignId, importId, onUpdate) {
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    try {
      const record = await api('GET', `/v1/campaigns/${campaignId}/imports/${importId}`);
      onUpdate(record);
      if (record.status === 'completed' || record.status === 'rejected') return record;
    } catch (error) {
      if (Date.now() > deadline || error.status === 401 || error.status === 404) throw error;
    }
    if (Date.now() > deadline) throw new Error('the import is taking long: its report will be listed here when it is done');
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
}

function importReport(record, fileName) {
  const reasons = Object.entries(record.rejected || {});
  const repairs = Object.entries(record.repaired || {});
  return h('section', { className: 'card', dataset: { import: record.id, status: record.status }, 'aria-label': 'Import report' },
    h('h3', {}, fileName ? `Import of ${fileName}` : `Import ${record.id}`, ' — ', label(record.status)),
    record.refusal ? h('p', { className: 'errors' }, `The file was refused: ${record.refusal}`) : null,
    h('dl', { className: 'settings' },
      h('dt', {}, 'Rows read'), h('dd', { dataset: { figure: 'rows_read' } }, fmt.number(record.rows_read)),
      h('dt', {}, 'Imported'), h('dd', { dataset: { figure: 'imported' } }, fmt.number(record.imported)),
      h('dt', {}, 'Rejected'), h('dd', { dataset: { figure: 'rejected_total' } }, fmt.number(record.rejected_total)),
      reasons.map(([reason, n]) => [h('dt', {}, ` · ${label(reason)}`), h('dd', {}, fmt.number(n))]),
      h('dt', {}, 'Repaired'), h('dd', {}, repairs.length ? repairs.map(([r, n]) => `${label(r)}: ${n}`).join(', ') : 'none')),
    record.report_url ? h('p', {}, h('a', { href: record.report_url, download: true }, 'Download the rejected rows (CSV)')) : null);
}
