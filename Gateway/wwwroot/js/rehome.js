// The ReHome browser client: import this module (or load it with <script type="module">) and call
// ReHome.connect({ accessTokenFactory }) once; every <rehome-ai-response> on the page then uses that connection.
import { connect, sharedClient, ReHomeClient, HubError, Hub } from './rehome-client.js';
import { StreamFollower } from './stream-follower.js';
import { ReHomeAiResponse } from './rehome-ai-response.js';

if (!customElements.get('rehome-ai-response')) {
  customElements.define('rehome-ai-response', ReHomeAiResponse);
}

const ReHome = Object.freeze({ connect, sharedClient, ReHomeClient, HubError, Hub, StreamFollower, ReHomeAiResponse });

// For pages without modules of their own.
globalThis.ReHome ??= ReHome;

export { connect, sharedClient, ReHomeClient, HubError, Hub, StreamFollower, ReHomeAiResponse };
export default ReHome;
