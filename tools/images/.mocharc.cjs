// The shared settings (tools/mocha/mocharc.cjs), with this package's tests written as .mjs like its code.
const base = require('../mocha/mocharc.cjs');
module.exports = { ...base, spec: ['test/**/*.test.mjs'] };
