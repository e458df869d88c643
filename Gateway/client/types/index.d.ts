// Types of @rehome/client. The source is plain ES modules (src/); these declarations describe its public API.
import type { HubConnection, LogLevel } from '@microsoft/signalr';

/** The hub's method and event names. */
export declare const Hub: Readonly<{
  token: 'agent.thread.token';
  tokens: 'agent.thread.tokens';
  presence: 'agent.thread.presence';
  behind: 'agent.thread.behind';
  revoked: 'agent.thread.revoked';
  joinThread: 'JoinThread';
  leaveThread: 'LeaveThread';
  getTokens: 'GetTokens';
  cancelStream: 'CancelStream';
  getPresence: 'GetPresence';
}>;

/** Keep-alive matched to the gateway's defaults (`Hub:KeepAliveInterval` 5 s, `Hub:ClientTimeout` 30 s). */
export declare const keepAliveDefaults: Readonly<{ serverKeepAliveMs: number; serverTimeoutMs: number; keepAliveIntervalMs: number }>;

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';
export type EndReason = 'completed' | 'cancelled' | 'abandoned';

export interface ClientOptions {
  /** The user's JWT, or a promise of it; called on every (re)connect, so it can refresh. */
  accessTokenFactory: () => string | Promise<string>;
  /** The hub, relative to the page or absolute. Default `/hubs/agent`. */
  url?: string;
  /** Ask an open stream where it stands after this much silence. Default 10000. */
  silenceProbeMs?: number;
  /** Reconnect delays in ms; the last repeats forever. Default [0, 500, 1000, 2000, 5000, 10000]. */
  retryDelays?: number[];
  /** The gateway's `Hub:KeepAliveInterval`: a connection silent longer shows as `reconnecting`. Default 5000. */
  serverKeepAliveMs?: number;
  /** Give the server up (and reconnect) after this much silence; at least twice serverKeepAliveMs. Default 15000. */
  serverTimeoutMs?: number;
  /** Ping the server after this much silence; at most half the gateway's `Hub:ClientTimeout` (30 s). Default 15000. */
  keepAliveIntervalMs?: number;
  /** SignalR's own logging. Default Warning. */
  logLevel?: LogLevel;
}

/** `agent.thread.token`: a token (`done: false`) or a stream's done event (`token: null`, `done: true`). */
export interface TokenMessage {
  threadId: string;
  runId: string;
  streamId: string;
  sequence: number;
  token: string | null;
  done: boolean;
  fullResponse: string | null;
  reason: EndReason | null;
  detail: string | null;
}

/** A stream as `JoinThread` lists it. */
export interface ThreadStream {
  streamId: string;
  runId: string;
  lastSequence: number;
  done: boolean;
  reason: EndReason | null;
  /** ISO 8601 in UTC with milliseconds, as `Date.prototype.toISOString()` writes it, in JSON and MessagePack alike. */
  startedAt: string;
}

/** `GetTokens`: the tokens after a sequence; `complete: false` when some can no longer be replayed. */
export interface TokenPage {
  threadId: string;
  runId: string;
  streamId: string;
  firstSequence: number;
  tokens: string[];
  lastSequence: number;
  complete: boolean;
  done: boolean;
  fullResponse: string | null;
  reason: EndReason | null;
  detail: string | null;
}

/** `CancelStream`: `cancelled` is false when the stream had already ended; `reason` and `detail` then say how. */
export interface CancelStreamResult {
  streamId: string;
  cancelled: boolean;
  reason: EndReason | null;
  detail: string | null;
}

/** `agent.thread.presence` and `GetPresence`: the users watching a thread, each once. */
export interface Presence {
  threadId: string;
  count: number;
  userIds: string[];
  /** Grows with every change; a newer message replaces an older one. */
  version: number;
}

/** `agent.thread.behind`: messages of the stream after `lastSequence` were dropped for this connection; fetch them with `getTokens`. */
export interface BehindNotice {
  threadId: string;
  streamId: string;
  lastSequence: number;
}

export interface ThreadWatcher {
  onMessage(message: TokenMessage): void;
  onJoined?(streams: ThreadStream[]): void;
  onBehind?(notice: BehindNotice): void;
  /**
   * `forbidden`, or `revoked` when the user was removed from the thread while watching it (both final), or
   * `quota_exceeded` when the connection holds as many threads as it may (joined once another is left).
   */
  onError?(error: HubError): void;
  onPresence?(presence: Presence): void;
}

/** An error the hub sent with a code: `forbidden`, `invalid_request`, `stream_not_found`, `unavailable`, … */
export declare class HubError extends Error {
  constructor(code: string, message: string);
  readonly code: string;
  /** True for a refusal that asking again will not change; false for a fault such as `unavailable`. */
  readonly isRefusal: boolean;
  static from(error: unknown): HubError | unknown;
}

export interface ReHomeClientEventMap {
  statechange: CustomEvent<{ state: ConnectionState }>;
  connecterror: CustomEvent<{ error: unknown }>;
  presence: CustomEvent<Presence>;
}

/** One SignalR connection to the gateway's hub; reconnects forever and re-joins what it watches. */
export declare class ReHomeClient extends EventTarget {
  constructor(options: ClientOptions);
  readonly state: ConnectionState;
  readonly connection: HubConnection;
  readonly serverKeepAliveMs: number;
  silenceProbeMs: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  watch(threadId: string, watcher: ThreadWatcher): { close(): void };
  getTokens(streamId: string, afterSequence: number): Promise<TokenPage>;
  cancelStream(streamId: string, reason?: string | null): Promise<CancelStreamResult>;
  getPresence(threadId: string): Promise<Presence>;
  presence(threadId: string): Presence | null;
  addEventListener<K extends keyof ReHomeClientEventMap>(type: K, listener: (event: ReHomeClientEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ReHomeClientEventMap>(type: K, listener: (event: ReHomeClientEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** Starts the page's shared connection; calling it again replaces it (e.g. a new token after logout and login). */
export declare function connect(options: ClientOptions): ReHomeClient;
/** Stops the shared connection; elements wait for the next `connect`. */
export declare function disconnect(): Promise<void>;
/** The shared client, now or once `connect` is called. */
export declare function sharedClient(): Promise<ReHomeClient>;
/** Calls the listener whenever `connect` or `disconnect` replaces the shared client; returns an unsubscribe. */
export declare function onSharedClientChange(listener: (client: ReHomeClient | null) => void): () => void;

export interface StreamEnd {
  reason: EndReason | null;
  fullResponse: string | null;
  detail: string | null;
  lastSequence: number;
  complete: boolean;
}

/** One stream's tokens, in order and once each, for pages that render themselves. */
export declare class StreamFollower {
  constructor(client: ReHomeClient, streamId: string, handlers: {
    onTokens(tokens: { sequence: number; token: string }[]): void;
    onHistoryLost?(missing: { from: number; to: number }): void;
    onEnd(end: StreamEnd): void;
    onError?(error: HubError): void;
  });
  readonly streamId: string;
  readonly lastSequence: number;
  readonly closed: boolean;
  push(message: TokenMessage): void;
  resync(): void;
  close(): void;
}

/**
 * How an answer's text becomes DOM. `append` gets the text that arrived since the last animation frame, at most
 * once per frame; a renderer must never insert unsanitized HTML.
 */
export interface AnswerRenderer {
  /** What the renderer paints into; the element places it in its shadow root. */
  readonly element: HTMLElement;
  append(text: string): void;
  /** Marks where tokens were lost for good. */
  gap?(title: string): void;
  clear(): void;
}

export type RendererFactory = () => AnswerRenderer;

/** Adds a renderer that `<rehome-ai-response renderer="name">` can use. */
export declare function registerRenderer(name: string, factory: RendererFactory): void;
/** Plain text (the default), in blocks that end at a line break every couple of thousand characters. */
export declare const textRenderer: RendererFactory;
/** Streaming markdown (marked + DOMPurify): final blocks render once; only the growing block is re-rendered. */
export declare const markdownRenderer: RendererFactory;

export type AnswerState = 'idle' | 'connecting' | 'waiting' | 'loading' | 'streaming' | 'done' | 'error';

export interface ReHomeAiResponseEventMap extends HTMLElementEventMap {
  'rehome-stream': CustomEvent<{ threadId: string; streamId: string }>;
  'rehome-token': CustomEvent<{ threadId: string; streamId: string; sequence: number; token: string }>;
  'rehome-incomplete': CustomEvent<{ streamId: string; from: number; to: number }>;
  'rehome-done': CustomEvent<{ threadId: string; streamId: string; reason: EndReason | null; detail: string | null;
    fullResponse: string | null; complete: boolean; text: string }>;
  'rehome-error': CustomEvent<{ code: string; message: string }>;
  'rehome-presence': CustomEvent<Presence>;
}

/**
 * `<rehome-ai-response thread-id stream-id? renderer? stop-button?>`: one AI answer as it streams in. Defined when
 * the package is imported.
 */
export declare class ReHomeAiResponse extends HTMLElement {
  static readonly observedAttributes: string[];
  /** A client of its own instead of the shared one; set it before the element is connected. */
  client: ReHomeClient | null;
  /** A renderer factory instead of the `renderer` attribute's. */
  renderer: RendererFactory | null;
  readonly text: string;
  readonly streamId: string | null;
  readonly followsBottom: boolean;
  follow(streamId: string): void;
  /** Stops the shown stream for everyone watching it. */
  stop(reason?: string | null): Promise<CancelStreamResult | null>;
  addEventListener<K extends keyof ReHomeAiResponseEventMap>(type: K, listener: (this: ReHomeAiResponse, event: ReHomeAiResponseEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ReHomeAiResponseEventMap>(type: K, listener: (this: ReHomeAiResponse, event: ReHomeAiResponseEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'rehome-ai-response': ReHomeAiResponse;
  }
}

declare const ReHome: Readonly<{
  connect: typeof connect;
  disconnect: typeof disconnect;
  sharedClient: typeof sharedClient;
  onSharedClientChange: typeof onSharedClientChange;
  ReHomeClient: typeof ReHomeClient;
  HubError: typeof HubError;
  Hub: typeof Hub;
  keepAliveDefaults: typeof keepAliveDefaults;
  StreamFollower: typeof StreamFollower;
  ReHomeAiResponse: typeof ReHomeAiResponse;
  registerRenderer: typeof registerRenderer;
  textRenderer: typeof textRenderer;
  markdownRenderer: typeof markdownRenderer;
}>;
export default ReHome;
