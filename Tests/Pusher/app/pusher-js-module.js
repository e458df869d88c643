// pusher-js ships no ES module for browsers; the page loads its web build as a classic script, and this lets
// `import Pusher from 'pusher-js'` (the import map) find it, as a bundler would.
export default window.Pusher;
