"use strict";
/**
 * A module's stand-in: an object whose every use loads the real module (`load()`, called at most as
 * often as the caller's own caching allows) and answers from it. Used by scripts/program/register.js for
 * the stack program and by test/harness/deferred/ under jest, for the modules @pulumi/pulumi loads on
 * import but only uses in serializeFunction (TypeScript, npm's Arborist). `esModule`: the stand-in says
 * `__esModule` without loading, so TypeScript's __importStar/__importDefault take it as it is instead of
 * enumerating (and loading) it. A Proxy is not callable: only for modules whose export is not a function.
 */
module.exports = function standIn(load, { esModule }) {
  return new Proxy(
    {},
    {
      get(_, key) {
        if (esModule && key === "__esModule") return true;
        const m = load();
        if (esModule && key === "default" && !m.__esModule) return m;
        return Reflect.get(m, key);
      },
      has: (_, key) => Reflect.has(load(), key),
      set: (_, key, value) => Reflect.set(load(), key, value),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor(_, key) {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true }; // a Proxy may not report one its target lacks as fixed
      },
      getPrototypeOf: () => Reflect.getPrototypeOf(load()),
    },
  );
};
