#!/usr/bin/env node
// Reference for `simulate_workflow`: the same scenarios (JSON Lines on stdin), run by the real
// XState v4 interpreter with guards as Ballerine implements them (json-logic-js, jmespath.js).
// Prints one line per scenario: the snapshot array, or {"error": message} if anything threw
// (an `always` loop overflows the stack here; the Python engine raises CycleError instead).
// With `--contexts` every snapshot also has the context after that step.
'use strict';

const readline = require('readline');
const { assign, createMachine, interpret } = require('xstate');
const jsonLogic = require('json-logic-js');
const jmespath = require('jmespath');

// json-logic's `log` writes to console.log; keep stdout for results only.
console.log = (...args) => console.error(...args);

const BUILTINS = ['UPDATE_CONTEXT', 'DEEP_MERGE_CONTEXT'];
const ARRAY_MERGE_OPTIONS = ['concat', 'replace', 'by_index', 'by_id'];

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

// DEEP_MERGE_CONTEXT's merge as Ballerine's workflow-core does it (deepMergeWithOptions in
// utils/deep-merge-with-options.ts), rewritten here from its rules. workflows/engine/merge.py
// models the same function. Neither input is written to; the result may share parts of both.
const isNonObject = (v) => typeof v !== 'object'; // typeof: null and arrays are 'object'
const hasTruthyId = (item) => isObject(item) && Boolean(item.id);

// Ballerine's mergeObjects: `{...a}`, then each key of `b` (for...in): an object over a key
// already there is merged into it, anything else (arrays too) replaces. No array options.
function plainMerge(a, b) {
  const merged = { ...a };
  for (const key in b) {
    const value = b[key];
    merged[key] = isObject(value) && key in merged ? plainMerge(merged[key], value) : value;
  }
  return merged;
}

function mergeByIndex(base, next) {
  const merged = new Array(Math.max(base.length, next.length));
  for (let i = 0; i < merged.length; i++) {
    if (i < base.length && i < next.length) {
      merged[i] = isNonObject(base[i]) && isNonObject(next[i]) ? next[i] : plainMerge(base[i], next[i]);
    } else {
      merged[i] = base[i] || next[i]; // past next's end a falsy item becomes undefined
    }
  }
  return merged;
}

function mergeById(base, next) {
  const all = [...base, ...next];
  const ids = [...new Set(all.map((item) => item.id))];
  return ids.map((id) => all.filter((item) => item.id === id).reduce(plainMerge, {}));
}

function mergeArrays(base, next, option) {
  if (option === 'replace') return next;
  if (option === 'by_id') {
    // by_id only when every item of both has a truthy id; otherwise by index.
    return base.every(hasTruthyId) && next.every(hasTruthyId) ? mergeById(base, next) : mergeByIndex(base, next);
  }
  if (option === 'by_index') return mergeByIndex(base, next);
  return [...base, ...next]; // concat
}

function deepMerge(base, next, option) {
  if (Array.isArray(base) && Array.isArray(next)) return mergeArrays(base, next, option);
  if (isObject(base) && isObject(next)) {
    const merged = { ...base };
    for (const key in next) {
      const old = base[key];
      const value = next[key];
      if (Array.isArray(old) && Array.isArray(value)) merged[key] = mergeArrays(old, value, option);
      else if (isObject(value) && key in merged) merged[key] = deepMerge(merged[key], value, option);
      else merged[key] = value;
    }
    return merged;
  }
  return next;
}

const guards = {
  'json-logic': (ctx, event, { cond }) => jsonLogic.apply(cond.options.rule, { ...ctx, ...event.payload }),
  jmespath: (ctx, event, { cond }) => jmespath.search({ ...ctx, ...event.payload }, cond.options.rule),
};

// The built-ins as Ballerine's workflow-core WorkflowRunner writes them: XState `assign`
// actions whose assigner returns `event.payload.context` (UPDATE_CONTEXT) or the deep merge of
// the context with `payload.newContext` (DEEP_MERGE_CONTEXT). XState v4 then sets the context
// to `Object.assign({}, context, returned)`: a one-level merge, keys left out are kept. With
// `predictableActionArguments` the assign runs before `always` guards are evaluated.
// The payload checks are the SPEC's (Ballerine does not check; the engine refuses bad payloads).
const updateContext = assign((ctx, event) => {
  const payload = event.payload;
  if (!isObject(payload) || !isObject(payload.context)) throw new Error('invalid UPDATE_CONTEXT payload');
  return payload.context;
});

const deepMergeContext = assign((ctx, event) => {
  const payload = event.payload;
  if (!isObject(payload) || !isObject(payload.newContext)) throw new Error('invalid DEEP_MERGE_CONTEXT payload');
  const option = payload.arrayMergeOption == null ? 'concat' : payload.arrayMergeOption;
  if (!ARRAY_MERGE_OPTIONS.includes(option)) throw new Error('invalid arrayMergeOption');
  return deepMerge(ctx, payload.newContext, option);
});

function withBuiltins(definition) {
  const config = clone(definition);
  for (const state of Object.values(config.states)) {
    if (state.type === 'final') continue;
    state.on = state.on || {};
    for (const [name, action] of [['UPDATE_CONTEXT', updateContext], ['DEEP_MERGE_CONTEXT', deepMergeContext]]) {
      const own = state.on[name] === undefined ? [] : [].concat(state.on[name]);
      // First in the list and unguarded: the built-in always wins over the state's own `on`
      // (the SPEC's rule; Ballerine puts them in the machine's root `on`, where a state's own
      // transition of that name would win instead).
      state.on[name] = [{ actions: action }, ...own];
    }
  }
  return config;
}

// `--contexts`: each snapshot also carries the context (as JSON: undefined becomes null in
// arrays, and is left out in objects).
const WITH_CONTEXTS = process.argv.includes('--contexts');

function snapshot(eventName, state) {
  const done = Boolean(state.done);
  const snap = {
    event: eventName,
    state: String(state.value),
    status: done ? 'completed' : 'active',
    tags: [...state.tags].sort(),
    nextEvents: done ? [] : state.nextEvents.filter((e) => e !== '' && !BUILTINS.includes(e)).sort(),
  };
  if (WITH_CONTEXTS) snap.context = state.context;
  return snap;
}

// Between events the context is what a stored (JSON) context would be: an `undefined` left by
// the deep merge (by_index past the end of the new array, `base[i] || next[i]` for a falsy base
// item) becomes null. Inside the event it is still undefined, for the `always` guards. The
// interpreter keeps going here, so the context is rewritten in place after each event.
function storeAsJson(ctx) {
  const stored = JSON.parse(JSON.stringify(ctx));
  for (const key of Object.keys(ctx)) delete ctx[key];
  Object.assign(ctx, stored);
}

function run(scenario) {
  const config = withBuiltins(scenario.definition);
  delete config.context;
  const machine = createMachine(
    { ...config, predictableActionArguments: true, context: clone(scenario.context || {}) },
    { guards },
  );
  const service = interpret(machine).start();
  const snapshots = [snapshot(null, service.state)];
  for (const event of scenario.events || []) {
    if (!service.state.done) service.send({ type: event.name, payload: event.payload });
    storeAsJson(service.state.context);
    snapshots.push(snapshot(event.name, service.state));
  }
  service.stop();
  return snapshots;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let out;
  try {
    out = run(JSON.parse(line));
  } catch (err) {
    out = { error: String((err && err.message) || err).replace(/\s*\n\s*/g, ' ') };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
