module.exports = require('../../tools/mocha/mocharc.cjs');
