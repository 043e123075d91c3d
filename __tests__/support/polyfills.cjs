// aws-local-stepfunctions calls Promise.withResolvers (Node >= 22). Jest gives each test file its own realm, so
// the polyfill must be installed here (setupFiles), not through NODE_OPTIONS. Without it every Task state throws
// a TypeError that a States.ALL Catch silently swallows (see shared offline-toolchain notes, section 1).
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
