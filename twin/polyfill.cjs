// aws-local-stepfunctions calls Promise.withResolvers, which Node gained in v22. On Node 20 every Task state would
// throw a TypeError that the definition's States.ALL Catch silently turns into a FAILED callback, so the twin CLI
// loads this first (`node -r ./twin/polyfill.cjs`), and jest.config.js runs it in every test file (setupFiles).
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
