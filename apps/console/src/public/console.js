// The console page: a plain ES module, no framework. The live table follows /api/stream (Server-Sent
// Events); a picked transfer's timeline comes from /api/transfers/:id/timeline and is fetched again as
// its events arrive; the lab panel polls /api/lab-runs/current while a run is in progress.
// Every text from the server goes in through textContent, never as HTML.

const MAX_WIRE_ITEMS = 60;
const LAB_POLL_MS = 1500;
const SOURCES = ['transfer', 'wire', 'ledger', 'notification'];
const SOURCE_NAMES = {
  transfer: 'transfer-service',
  wire: 'Kafka (seen by the console)',
  ledger: 'ledger-service',
  notification: 'notification-service',
};

const byId = (id) => document.getElementById(id);
const transfers = new Map();
/** The most rows the table keeps: the server's window (the snapshot says), oldest activity cut first. */
let maxTransferRows = 500;
let selected = null;
let timelineRequest = 0;
const timelineRefresh = { inFlight: false, again: false };

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-') || name.startsWith('aria-') || name === 'title' || name === 'type')
      node.setAttribute(name, String(value));
    else node[name] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The last 8 hex digits: random in every id. The first 8 of a time-ordered id (docs/adr/0016) are the
// same for every transfer of the same minute.
const shortId = (id) => id.slice(-8);
// The milliseconds from the Date, not the string: an instant without them (or with more) reads right.
const timeOf = (iso) => {
  const at = new Date(iso);
  return at.toLocaleTimeString([], { hour12: false }) + '.' + String(at.getMilliseconds()).padStart(3, '0');
};

/** The currency's minor-unit digits (ISO 4217: 2 for EUR, 0 for JPY, 3 for KWD), as the browser knows them. */
function minorDigitsOf(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 2; // a code the browser does not know: the common case
  }
}

/** Minor units (a string) as major units, without ever going through a float. */
function amountOf(minor, currency) {
  const places = minorDigitsOf(currency);
  const negative = minor.startsWith('-');
  const digits = (negative ? minor.slice(1) : minor).padStart(places + 1, '0');
  const major = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return `${negative ? '-' : ''}${major} ${currency}`;
}

function statusChip(status) {
  return el('span', { class: 'chip', 'data-status': status }, status);
}

function markChips(marks) {
  return (marks ?? []).map((mark) => el('span', { class: 'mark', 'data-mark': mark }, mark));
}

// ---- the live table ----------------------------------------------------------------------------

function renderRow(summary) {
  const row = el(
    'tr',
    { 'data-transfer-id': summary.transferId, 'data-status': summary.status },
    el(
      'td',
      {},
      el(
        'button',
        {
          class: 'pick',
          type: 'button',
          title: summary.transferId,
          'aria-label': `Show the timeline of transfer ${summary.transferId}`,
          onclick: () => select(summary.transferId),
        },
        shortId(summary.transferId),
      ),
    ),
    el('td', {}, summary.kind),
    el('td', { class: 'num' }, amountOf(summary.amountMinor, summary.currency)),
    el('td', {}, statusChip(summary.status)),
    el('td', { class: 'num' }, summary.events),
    el('td', { class: 'num', 'data-count': 'duplicates' }, summary.duplicates),
    el('td', { class: 'num', 'data-count': 'stale' }, summary.stale),
    el('td', {}, timeOf(summary.lastSeenAt)),
  );
  if (summary.transferId === selected) row.classList.add('selected');
  return row;
}

function upsertTransfer(summary) {
  transfers.set(summary.transferId, summary);
  const body = byId('transfers').tBodies[0];
  const existing = body.querySelector(`tr[data-transfer-id="${CSS.escape(summary.transferId)}"]`);
  existing?.remove();
  body.prepend(renderRow(summary));
  while (body.rows.length > maxTransferRows) {
    transfers.delete(body.lastElementChild.dataset.transferId);
    body.lastElementChild.remove();
  }
  byId('no-transfers').hidden = true;
}

function renderSnapshot(list) {
  const body = byId('transfers').tBodies[0];
  body.replaceChildren(...list.map(renderRow));
  transfers.clear();
  for (const summary of list) transfers.set(summary.transferId, summary);
  byId('no-transfers').hidden = list.length > 0;
}

function addWireItem({ event }) {
  const list = byId('wire');
  list.prepend(
    el(
      'li',
      {
        'data-event-id': event.eventId,
        'data-transfer-id': event.transferId,
        'data-marks': event.marks.join(' '),
      },
      `${timeOf(event.observedAt)} ${event.eventType} #${event.sequence} of ${shortId(event.transferId)} `,
      el('span', { class: 'where' }, `p${event.partition}@${event.offset}`),
      ' → ',
      statusChip(event.status),
      ...markChips(event.marks),
    ),
  );
  while (list.children.length > MAX_WIRE_ITEMS) list.lastElementChild.remove();
}

function connect() {
  const status = byId('connection');
  const stream = new EventSource('/api/stream');
  stream.addEventListener('open', () => {
    status.dataset.state = 'live';
    status.textContent = 'live';
  });
  stream.addEventListener('error', () => {
    status.dataset.state = 'down';
    status.textContent = 'reconnecting…';
  });
  stream.addEventListener('snapshot', (message) => {
    const snapshot = JSON.parse(message.data);
    maxTransferRows = snapshot.capacity;
    renderSnapshot(snapshot.transfers);
    byId('wire').replaceChildren();
    for (const update of snapshot.events) addWireItem(update);
  });
  stream.addEventListener('wire', (message) => {
    const update = JSON.parse(message.data);
    upsertTransfer(update.transfer);
    addWireItem(update);
    if (update.transfer.transferId === selected) refreshTimeline();
  });
}

// ---- the timeline ------------------------------------------------------------------------------

function select(transferId) {
  selected = transferId;
  for (const row of byId('transfers').tBodies[0].rows)
    row.classList.toggle('selected', row.dataset.transferId === transferId);
  byId('timeline-hint').textContent = `Transfer ${transferId}`;
  // One column on a phone: the timeline is below the table, out of sight.
  if (window.matchMedia('(max-width: 899px)').matches) byId('timeline').scrollIntoView({ block: 'start' });
  void loadTimeline(transferId);
}

/**
 * The selected transfer's timeline again, after an event of it: one request at a time, and the events
 * that arrive meanwhile ask for one more, not one each (a burst of redeliveries would otherwise send the
 * services three trail requests per event, and drop every answer but the last).
 */
function refreshTimeline() {
  if (timelineRefresh.inFlight) {
    timelineRefresh.again = true;
    return;
  }
  timelineRefresh.inFlight = true;
  void loadTimeline(selected).finally(() => {
    timelineRefresh.inFlight = false;
    if (timelineRefresh.again) {
      timelineRefresh.again = false;
      refreshTimeline();
    }
  });
}

async function loadTimeline(transferId) {
  const request = ++timelineRequest;
  const list = byId('timeline-entries');
  const failed = (why) => {
    byId('lanes').replaceChildren();
    list.replaceChildren(el('li', {}, `The console could not build the timeline (${why}).`));
  };
  let response;
  try {
    response = await fetch(`/api/transfers/${encodeURIComponent(transferId)}/timeline`);
  } catch {
    if (request === timelineRequest) failed('the console did not answer');
    return;
  }
  if (request !== timelineRequest) return; // a newer request overtook this one
  if (!response.ok) {
    failed(response.status);
    return;
  }
  const timeline = await response.json();
  if (request !== timelineRequest) return;
  byId('timeline').dataset.transferId = transferId;
  byId('lanes').replaceChildren(
    ...timeline.lanes.map((lane) =>
      el(
        'li',
        { 'data-source': lane.source, 'data-available': String(lane.available) },
        `${SOURCE_NAMES[lane.source]}: `,
        lane.available ? `${lane.entries} entries` : `not available (${lane.reason})`,
      ),
    ),
  );
  list.replaceChildren(
    ...SOURCES.map((source) =>
      el('li', { class: 'lane-head', 'data-source': source, 'aria-hidden': 'true' }, SOURCE_NAMES[source]),
    ),
    ...timeline.entries.map(renderEntry),
  );
}

function renderEntry(entry) {
  const where =
    entry.partition !== undefined
      ? `${entry.topic ?? ''} partition ${entry.partition} offset ${entry.offset}`
      : null;
  return el(
    'li',
    { 'data-source': entry.source, 'data-kind': entry.kind, 'data-marks': entry.marks.join(' ') },
    el(
      'div',
      { class: 'meta' },
      el('time', { dateTime: entry.at }, timeOf(entry.at)),
      el('span', { class: 'source' }, entry.source),
      el('span', { class: 'kind' }, entry.kind),
      entry.status ? statusChip(entry.status) : null,
      ...markChips(entry.marks),
    ),
    el('div', { class: 'summary' }, entry.summary),
    where ? el('div', { class: 'meta where' }, where) : null,
  );
}

// ---- the lab -----------------------------------------------------------------------------------

let labPoll = null;

async function refreshLab() {
  const response = await fetch('/api/lab-runs/current');
  if (!response.ok) return;
  renderLab(await response.json());
}

function renderLab(state) {
  const button = byId('lab-start');
  byId('lab-availability').textContent = state.available
    ? 'Runs the seeded lab (npm run lab) on this machine: what each delivery discipline loses and repeats.'
    : `The lab is not available here: ${state.reason}.`;
  button.hidden = !state.available;
  const run = state.run;
  button.disabled = run?.status === 'running';
  byId('lab-status').textContent = run
    ? run.status === 'running'
      ? `Run ${run.id} in progress since ${timeOf(run.startedAt)}: ${run.command}`
      : `Run ${run.id} ${run.status} (exit code ${run.exitCode}) at ${timeOf(run.endedAt)}.` +
        (run.report ? '' : ` No table: ${run.reportMissing ?? 'report pending'}.`)
    : '';
  byId('lab-log-box').hidden = !run;
  byId('lab-log').textContent = run ? run.logTail.join('\n') : '';
  renderLabTable(run?.report);
  if (run?.status === 'running' && labPoll === null) labPoll = setInterval(refreshLab, LAB_POLL_MS);
  if (run?.status !== 'running' && labPoll !== null) {
    clearInterval(labPoll);
    labPoll = null;
  }
}

function renderLabTable(report) {
  const table = byId('lab-table');
  table.hidden = !report;
  if (!report) return;
  table.tHead.replaceChildren(
    el('tr', {}, ...report.columns.map((column) => el('th', { scope: 'col' }, column))),
  );
  table.tBodies[0].replaceChildren(
    ...report.rows.map((row) =>
      el('tr', { 'data-mode': row.mode }, ...row.cells.map((cell) => el('td', {}, cell))),
    ),
  );
}

async function startLab() {
  const response = await fetch('/api/lab-runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!response.ok && response.status !== 409)
    byId('lab-status').textContent = `Could not start: ${response.status}`;
  await refreshLab();
}

byId('lab-start').addEventListener('click', () => void startLab());
connect();
void refreshLab();
