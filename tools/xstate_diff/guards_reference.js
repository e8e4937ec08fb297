#!/usr/bin/env node
// Guard-level reference: reads {"type": "json-logic"|"jmespath", "rule", "data"} lines and prints
// each raw result (undefined, NaN and ±Infinity encoded as {"$js": ...}) or {"$error": message}.
'use strict';
const readline = require('readline');
const jsonLogic = require('json-logic-js');
const jmespath = require('jmespath');

console.log = (...args) => console.error(...args);

function encode(value) {
  if (value === undefined) return { $js: 'undefined' };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $js: String(value) };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value)) out[key] = encode(value[key]);
    return { $keys: Object.keys(value), $obj: out };
  }
  return value;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const { type, rule, data } = JSON.parse(line);
  let out;
  try {
    const result = type === 'json-logic' ? jsonLogic.apply(rule, data) : jmespath.search(data, rule);
    out = { result: encode(result), truthy: Boolean(result) };
  } catch (err) {
    out = { $error: String(err.message).split('\n')[0] };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
