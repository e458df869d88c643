// Frame times of <rehome-ai-response> in Chromium while the real gateway streams a long answer into it.
//
//   dotnet build -c Release ReHome.Orleans.sln && (cd bench/browser && npm ci && node frames.mjs)
//
// Starts the built gateway (embedded mode, loopback, a free port), opens its demo page in Debian's headless
// Chromium, and streams through the HTTP producer API at a fixed token rate, open loop. Scenarios:
//   markdown  20,000 tokens of 1–6 characters at 200 tokens/s, markdown renderer (headings, paragraphs, lists,
//             code fences, tables)
//   long      a 200,000-character answer at 50 tokens/s (tokens of about 40 characters), text renderer
//   idle      the same page with no answer streaming, for 30 s (--seconds): what the machine alone does to frames
// In the page: every animation frame's timestamp (intervals between frames), the time spent in the frame's
// requestAnimationFrame callbacks (the element's paint: renderer + layout forced by the scroll-to-bottom), and
// Long Animation Frame entries (frames over 50 ms, with style, layout and paint). Prints a table and writes
// results/<time>-frames.json. Flags: --scenario markdown|long|all, --tokens N, --rate R, --chars N,
// --configuration Release|Debug, --chromium PATH.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
  arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]?.startsWith('--') ? 'true' : all[i + 1] ?? 'true']] : pairs, []));
const configuration = args.configuration ?? 'Release';
const chromiumPath = args.chromium ?? process.env.REHOME_CHROMIUM ?? '/usr/bin/chromium';
const scenarios = (args.scenario ?? 'all') === 'all' ? ['idle', 'markdown', 'long'] : [args.scenario];

const gatewayDll = join(repo, 'Gateway', 'bin', configuration, 'net10.0', 'ReHome.Gateway.dll');
if (!existsSync(gatewayDll)) {
  console.error(`${gatewayDll} is not built: dotnet build -c ${configuration} ReHome.Orleans.sln`);
  process.exit(2);
}

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  }).on('error', reject);
});
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** A seeded generator, so every run streams the same answer. */
function random(seed) {
  let state = seed >>> 0;
  return () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const words = ('the gateway numbers every token and forwards it to each browser in order so that nothing is lost ' +
  'or shown twice while the answer streams across reconnects and failovers with markdown tables lists and code').split(' ');

function markdownAnswer(tokenCount) {
  const next = random(7);
  const pick = list => list[Math.floor(next() * list.length)];
  const sentence = n => Array.from({ length: n }, () => pick(words)).join(' ');
  let text = '';
  for (let section = 1; text.length < tokenCount * 6; section++) {
    text += `## Section ${section}\n\n${sentence(50 + Math.floor(next() * 40))}. **${sentence(3)}** and \`${pick(words)}\`.\n\n`;
    text += Array.from({ length: 3 + Math.floor(next() * 4) }, () => `- ${sentence(6 + Math.floor(next() * 8))}\n`).join('') + '\n';
    text += '```js\n' + Array.from({ length: 5 + Math.floor(next() * 10) }, (_, i) => `const ${pick(words)}${i} = ${Math.floor(next() * 1000)};\n`).join('') + '```\n\n';
    text += '| name | count | note |\n|---|---:|---|\n' +
      Array.from({ length: 4 + Math.floor(next() * 5) }, () => `| ${pick(words)} | ${Math.floor(next() * 100)} | ${sentence(4)} |\n`).join('') + '\n';
  }

  // Cut like a model's tokenizer: pieces of 1–6 characters.
  const tokens = [];
  for (let i = 0; tokens.length < tokenCount && i < text.length;) {
    const length = 1 + Math.floor(next() * 6);
    tokens.push(text.slice(i, i + length));
    i += length;
  }

  return tokens;
}

function longAnswer(characters) {
  const next = random(11);
  const tokens = [];
  let length = 0;
  let line = 0;
  while (length < characters) {
    let token = Array.from({ length: 6 }, () => words[Math.floor(next() * words.length)]).join(' ');
    line += token.length;
    token += line > 80 + next() * 200 ? (next() < 0.2 ? '.\n\n' : '.\n') : ' ';
    if (token.endsWith('\n')) {
      line = 0;
    }

    token = token.slice(0, characters - length);
    tokens.push(token);
    length += token.length;
  }

  return tokens;
}

async function startGateway() {
  const port = await freePort();
  const serviceKey = randomBytes(16).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('dotnet', [gatewayDll], {
    cwd: dirname(gatewayDll),
    env: {
      ...process.env,
      Urls: url,
      ASPNETCORE_WEBROOT: join(repo, 'Gateway', 'wwwroot'),
      Auth__ServiceKeys__0: serviceKey,
      Silo__Port: String(await freePort()),
      Silo__GatewayPort: String(await freePort()),
      Logging__LogLevel__Default: 'Warning',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 90_000;
  while (true) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) {
        break;
      }
    } catch { /* not listening yet */ }

    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`The gateway did not become ready (exit code ${child.exitCode}).`);
    }

    await sleep(200);
  }

  return { url, serviceKey, stop: () => child.kill('SIGTERM'), child };
}

/** Streams the tokens through the HTTP producer API at `rate` per second, open loop, one request in flight. */
async function produce(gateway, threadId, tokens, rate) {
  const headers = { 'Content-Type': 'application/json', 'X-Service-Key': gateway.serviceKey };
  const post = async (path, body) => {
    const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) {
      throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
    }

    return response.json();
  };
  const { streamId } = await post('/api/v1/streams', { threadId, runId: 'bench-run-' + randomBytes(6).toString('hex') });
  const start = performance.now();
  let sent = 0;
  let late = 0;
  while (sent < tokens.length) {
    const due = Math.min(tokens.length, Math.floor((performance.now() - start) * rate / 1000) + 1);
    if (due > sent) {
      late = Math.max(late, performance.now() - start - (due - 1) * 1000 / rate);
      await post(`/api/v1/streams/${streamId}/tokens`, { tokens: tokens.slice(sent, due), sequence: sent + 1 });
      sent = due;
    } else {
      await sleep(Math.max(1, start + sent * 1000 / rate - performance.now()));
    }
  }

  // Past the replay window (10,000 tokens) the stream needs its full text to end.
  await post(`/api/v1/streams/${streamId}/end`, { fullResponse: tokens.join('') });
  return { streamId, seconds: (performance.now() - start) / 1000 };
}

const recorder = `
  window.__frames = { times: [], work: new Map(), loaf: [], measuring: false };
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = callback => raf(time => {
    const started = performance.now();
    try { callback(time); } finally {
      if (window.__frames.measuring) window.__frames.work.set(time, (window.__frames.work.get(time) ?? 0) + performance.now() - started);
    }
  });
  const tick = time => { if (window.__frames.measuring) window.__frames.times.push(time); raf(tick); };
  raf(tick);
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (window.__frames.measuring) window.__frames.loaf.push({ duration: e.duration, blocking: e.blockingDuration,
        styleAndLayout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : null });
    }
  }).observe({ type: 'long-animation-frame' });
  document.addEventListener('rehome-stream', () => { window.__frames.measuring = true; });
  document.addEventListener('rehome-done', e => { window.__frames.measuring = false; window.__frames.done = e.detail; });
`;

const quantile = (sorted, q) => sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round = v => v === null ? null : Math.round(v * 100) / 100;

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return { n: sorted.length, mean: round(mean), p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)),
    p99: round(quantile(sorted, 0.99)), max: round(sorted.at(-1) ?? null) };
}

async function idle(browser, gateway) {
  const seconds = Number(args.seconds ?? 30);
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  await page.addInitScript(recorder);
  await page.goto(`${gateway.url}/?user=bench-${randomBytes(4).toString('hex')}`);
  await page.waitForFunction(() => document.getElementById('answer').getAttribute('state') === 'waiting');
  console.log(`== idle: ${seconds} s with nothing streaming`);
  await page.evaluate(() => { window.__frames.measuring = true; });
  await sleep(seconds * 1000);
  const frames = await page.evaluate(() => ({ times: window.__frames.times, work: [...window.__frames.work.values()], loaf: window.__frames.loaf }));
  await page.close();
  const intervals = frames.times.slice(1).map((t, i) => t - frames.times[i]);
  return {
    scenario: 'idle', renderer: '-', tokens: 0, characters: 0, rate: 0, produceSeconds: seconds, blocks: 0,
    frameIntervalMs: summarize(intervals), paintWorkMs: summarize(frames.work),
    longAnimationFrames: { count: frames.loaf.length, maxMs: round(Math.max(0, ...frames.loaf.map(l => l.duration))) },
  };
}

async function run(browser, gateway, scenario) {
  if (scenario === 'idle') {
    return idle(browser, gateway);
  }

  const spec = scenario === 'markdown'
    ? { renderer: 'markdown', tokens: markdownAnswer(Number(args.tokens ?? 20_000)), rate: Number(args.rate ?? 200) }
    : { renderer: 'text', tokens: longAnswer(Number(args.chars ?? 200_000)), rate: Number(args.rate ?? 50) };
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  page.on('pageerror', error => console.error('[page error]', error));
  await page.addInitScript(recorder);
  await page.goto(`${gateway.url}/?user=bench-${randomBytes(4).toString('hex')}&renderer=${spec.renderer}`);
  await page.waitForFunction(() => document.getElementById('answer').getAttribute('state') === 'waiting');
  const threadId = await page.getAttribute('#answer', 'thread-id');

  const characters = spec.tokens.reduce((n, t) => n + t.length, 0);
  console.log(`== ${scenario}: ${spec.tokens.length} tokens, ${characters} characters, ${spec.rate} tokens/s, ${spec.renderer} renderer`);
  const produced = await produce(gateway, threadId, spec.tokens, spec.rate);
  await page.waitForFunction(() => window.__frames.done !== undefined, null, { timeout: 120_000 });
  const frames = await page.evaluate(() => ({
    times: window.__frames.times, work: [...window.__frames.work.values()], loaf: window.__frames.loaf,
    text: document.getElementById('answer').text.length, blocks: document.getElementById('answer').shadowRoot.querySelectorAll('.chunk, .done > *').length,
  }));
  await page.close();
  if (frames.text !== characters) {
    throw new Error(`The page shows ${frames.text} of ${characters} characters.`);
  }

  const intervals = frames.times.slice(1).map((t, i) => t - frames.times[i]);
  return {
    scenario, renderer: spec.renderer, tokens: spec.tokens.length, characters, rate: spec.rate, produceSeconds: round(produced.seconds),
    blocks: frames.blocks,
    frameIntervalMs: summarize(intervals),
    paintWorkMs: summarize(frames.work),
    longAnimationFrames: { count: frames.loaf.length, maxMs: round(Math.max(0, ...frames.loaf.map(l => l.duration))) },
  };
}

const gateway = await startGateway();
const browser = await chromium.launch({
  executablePath: chromiumPath, headless: true,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const results = [];
try {
  for (const scenario of scenarios) {
    results.push(await run(browser, gateway, scenario));
    console.log(JSON.stringify(results.at(-1)));
  }
} finally {
  await browser.close();
  gateway.stop();
}

console.log('\n| scenario | frames | frame interval mean / p50 / p99 / max (ms) | paint work p50 / p99 / max (ms) | frames > 50 ms |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  const f = r.frameIntervalMs;
  const w = r.paintWorkMs;
  console.log(`| ${r.scenario} (${r.tokens} tokens, ${r.characters} chars, ${r.rate}/s, ${r.renderer}) | ${f.n} | ${f.mean} / ${f.p50} / ${f.p99} / ${f.max} | ${w.p50} / ${w.p99} / ${w.max} | ${r.longAnimationFrames.count} (max ${r.longAnimationFrames.maxMs}) |`);
}

mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-frames.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), command: 'node frames.mjs ' + process.argv.slice(2).join(' '), results }, null, 2));
console.log(`\n${file}`);
