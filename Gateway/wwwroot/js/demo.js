// The demo page: a token from the embedded gateway's dev endpoint (or ?access_token=…&thread=… when it has none),
// the user's demo thread in a <rehome-ai-response> (markdown, with a stop button), who else is watching, and a
// button that starts a demo answer. ?renderer=text shows the answer as plain text.
import { connect } from './rehome.js';

const $ = id => document.getElementById(id);
const answer = $('answer');
const button = $('stream');
const status = $('status');
const chip = $('connection');
const params = new URLSearchParams(location.search);
answer.setAttribute('renderer', params.get('renderer') ?? 'markdown');

main().catch(error => {
  status.textContent = `Something went wrong: ${error.message}`;
  console.error(error);
});

async function main() {
  const urlToken = params.get('access_token');
  let dev = null;
  if (!urlToken) {
    dev = await devToken(params.get('user') ?? demoUser());
    if (!dev) {
      return setup();
    }
  }

  $('user').textContent = dev?.userId ?? subject(urlToken) ?? '?';
  const client = connect({
    url: 'hubs/agent',
    accessTokenFactory: dev ? () => freshDevToken() : () => urlToken,
  });
  client.addEventListener('statechange', e => showConnection(e.detail.state));
  client.addEventListener('connecterror', e => { status.textContent = `Cannot connect: ${e.detail.error.message}`; });
  showConnection(client.state);

  let threadId = params.get('thread');
  if (!threadId) {
    if (!dev) {
      return setup('The page has an access token but no thread: add &thread=THREAD_ID to its address.');
    }

    threadId = (await postDev('dev/demo/thread')).threadId;
  }

  $('thread').textContent = threadId;
  answer.setAttribute('thread-id', threadId);
  watchAnswer();
  watchPresence(dev?.userId ?? subject(urlToken));
  showSecondTabHint();
  if (dev) {
    button.hidden = false;
    button.disabled = false;
    button.addEventListener('click', startDemo);
  } else {
    $('hint').textContent = 'Waiting for an answer on this thread…';
  }

  async function freshDevToken() {
    // Dev tokens last hours; take a new one when this one is about to expire.
    if (Date.parse(dev.expiresAt) - Date.now() < 60_000) {
      dev = await devToken(dev.userId);
    }

    return dev.accessToken;
  }

  async function postDev(path) {
    const response = await fetch(path, { method: 'POST', headers: { Authorization: `Bearer ${await freshDevToken()}` } });
    if (!response.ok) {
      throw new Error(`POST /${path} answered ${response.status}`);
    }

    return response.json();
  }

  async function startDemo() {
    button.disabled = true;
    status.textContent = 'Starting…';
    try {
      const { streamId } = await postDev('dev/demo/streams');
      answer.follow(streamId);
    } catch (error) {
      status.textContent = `Could not start a demo answer: ${error.message}`;
      button.disabled = false;
    }
  }
}

/** Token count and pace while an answer streams, written at most once per frame; the button waits for the end. */
function watchAnswer() {
  let tokens = 0;
  let firstAt = 0;
  let frame = 0;
  const showPace = () => {
    frame = 0;
    const seconds = (performance.now() - firstAt) / 1000;
    status.textContent = seconds > 0.5 ? `${tokens} tokens · ${Math.round(tokens / seconds)} tokens/s` : `${tokens} tokens`;
  };
  const showNow = text => {
    cancelAnimationFrame(frame);
    frame = 0;
    status.textContent = text;
  };
  answer.addEventListener('rehome-stream', () => {
    tokens = 0;
    firstAt = 0;
    button.disabled = true;
    showNow('');
    // A live region rewritten every frame would be read out every frame: screen readers wait while it is busy
    // and read the final line.
    status.setAttribute('aria-busy', 'true');
  });
  answer.addEventListener('rehome-token', () => {
    tokens++;
    firstAt ||= performance.now();
    frame ||= requestAnimationFrame(showPace);
  });
  answer.addEventListener('rehome-done', e => {
    button.disabled = false;
    const how = e.detail.reason === 'completed' ? 'Done'
      : e.detail.reason === 'cancelled' ? 'Stopped' : `Ended (${e.detail.reason ?? 'unknown'})`;
    showNow(tokens > 0 ? `${how} · ${tokens} tokens` : how);
    status.setAttribute('aria-busy', 'false');
  });
  answer.addEventListener('rehome-error', e => {
    button.disabled = false;
    showNow(e.detail.message);
    status.setAttribute('aria-busy', 'false');
  });
}

/** Who else watches this thread, from agent.thread.presence: each user once, however many tabs. */
function watchPresence(me) {
  const presence = $('presence');
  answer.addEventListener('rehome-presence', e => {
    const { count, userIds } = e.detail;
    const others = userIds.filter(id => id !== me);
    presence.dataset.count = String(count);
    presence.textContent = count === 0 ? 'Nobody is watching.'
      : `${count} watching: ` + (others.length === 0 ? 'only you' : ['you', ...others].join(', '));
  });
}

/** This thread belongs to this browser's demo user: a second tab shows the same answer, stop and presence live. */
function showSecondTabHint() {
  const link = $('second-tab');
  link.href = location.href;
  $('second-tab-hint').hidden = false;
}

async function devToken(userId) {
  const response = await fetch(`dev/token?userId=${encodeURIComponent(userId)}`, { method: 'POST' });
  if (response.status === 404) {
    return null; // the gateway runs against Redis: no dev endpoints
  }

  if (!response.ok) {
    throw new Error(`POST /dev/token answered ${response.status}`);
  }

  return response.json();
}

/** Each browser gets a demo user of its own, so two people's demos do not share a thread. */
function demoUser() {
  const key = 'rehome.demoUser';
  let user = localStorage.getItem(key);
  if (!user) {
    user = 'demo-' + crypto.randomUUID().slice(0, 8);
    localStorage.setItem(key, user);
  }

  return user;
}

function setup(reason) {
  $('setup').hidden = false;
  answer.closest('.card').hidden = true;
  $('actions').hidden = true;
  if (reason) {
    $('setup-reason').textContent = reason;
  }

  showConnection('disconnected');
}

function showConnection(state) {
  if (state === 'connected' && status.textContent.startsWith('Cannot connect')) {
    status.textContent = '';
  }

  chip.dataset.state = state;
  chip.textContent = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…', disconnected: 'offline' }[state] ?? state;
}

/** The `sub` of a JWT, for display only; the gateway is what checks the token. */
function subject(token) {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub ?? null;
  } catch {
    return null;
  }
}
