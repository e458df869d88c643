// The ReHome browser client. Importing it defines <rehome-ai-response>; call connect({ accessTokenFactory }) and
// every such element on the page uses that connection. The gateway serves this module bundled at /js/rehome.js;
// the npm package is the same source, for bundlers.
import {
  connect, disconnect, sharedClient, onSharedClientChange, ReHomeClient, HubError, Hub, keepAliveDefaults,
} from './rehome-client.js';
import { StreamFollower } from './stream-follower.js';
import { ReHomeAiResponse } from './rehome-ai-response.js';
import { registerRenderer, textRenderer, markdownRenderer } from './renderers.js';

if (!customElements.get('rehome-ai-response')) {
  customElements.define('rehome-ai-response', ReHomeAiResponse);
}

const ReHome = Object.freeze({
  connect, disconnect, sharedClient, onSharedClientChange, ReHomeClient, HubError, Hub, keepAliveDefaults,
  StreamFollower, ReHomeAiResponse, registerRenderer, textRenderer, markdownRenderer,
});

// For pages without modules of their own.
globalThis.ReHome ??= ReHome;

export {
  connect, disconnect, sharedClient, onSharedClientChange, ReHomeClient, HubError, Hub, keepAliveDefaults,
  StreamFollower, ReHomeAiResponse, registerRenderer, textRenderer, markdownRenderer,
};
export default ReHome;
