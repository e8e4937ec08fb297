#!/usr/bin/env node
// Reference for `simulate_workflow`: the same scenarios (JSON Lines on stdin), run by the real
// XState v4 interpreter with guards as Ballerine implements them (json-logic-js, jmespath.js).
// Prints one line per scenario: the snapshot array, or {"error": message} if anything threw
// (an `always` loop overflows the stack here; the Python engine raises CycleError instead).
'use strict';

const readline = require('readline');
const { createMachine, interpret } = require('xstate');
const jsonLogic = require('json-logic-js');
const jmespath = require('jmespath');

// json-logic's `log` writes to console.log; keep stdout for results only.
console.log = (...args) => console.error(...args);

const BUILTINS = ['UPDATE_CONTEXT', 'DEEP_MERGE_CONTEXT'];
const ARRAY_MERGE_OPTIONS = ['concat', 'replace', 'by_index', 'by_id'];

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

// Same contract as workflows/engine/merge.py (the SPEC's DEEP_MERGE_CONTEXT).
function deepMerge(base, next, option) {
  if (isObject(base) && isObject(next)) {
    const merged = clone(base);
    for (const key of Object.keys(next)) {
      merged[key] = Object.prototype.hasOwnProperty.call(base, key)
        ? deepMerge(base[key], next[key], option)
        : clone(next[key]);
    }
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(next)) {
    if (option === 'concat') return clone(base).concat(clone(next));
    if (option === 'replace') return clone(next);
    if (option === 'by_index') {
      const merged = [];
      const n = Math.max(base.length, next.length);
      for (let i = 0; i < n; i++) {
        if (i < base.length && i < next.length) merged.push(deepMerge(base[i], next[i], option));
        else merged.push(clone(i < base.length ? base[i] : next[i]));
      }
      return merged;
    }
    const merged = clone(base);
    const hasId = (item) => isObject(item) && Object.prototype.hasOwnProperty.call(item, 'id');
    for (const item of next) {
      const index = hasId(item)
        ? merged.findIndex((old) => hasId(old) && jmespath.strictDeepEqual(old.id, item.id))
        : -1;
      if (index >= 0) merged[index] = deepMerge(merged[index], item, option);
      else merged.push(clone(item));
    }
    return merged;
  }
  return clone(next);
}

function replaceInPlace(ctx, next) {
  // XState's assign() can only add keys; built-ins replace the whole context, so the action
  // rewrites the context object itself (with predictableActionArguments it runs before
  // `always` guards are evaluated, like an assign would).
  for (const key of Object.keys(ctx)) delete ctx[key];
  Object.assign(ctx, next);
}

const guards = {
  'json-logic': (ctx, event, { cond }) => jsonLogic.apply(cond.options.rule, { ...ctx, ...event.payload }),
  jmespath: (ctx, event, { cond }) => jmespath.search({ ...ctx, ...event.payload }, cond.options.rule),
};

const actions = {
  updateContext: (ctx, event) => {
    const payload = event.payload;
    if (!isObject(payload) || !isObject(payload.context)) throw new Error('invalid UPDATE_CONTEXT payload');
    replaceInPlace(ctx, clone(payload.context));
  },
  deepMergeContext: (ctx, event) => {
    const payload = event.payload;
    if (!isObject(payload) || !isObject(payload.newContext)) throw new Error('invalid DEEP_MERGE_CONTEXT payload');
    const option = payload.arrayMergeOption == null ? 'concat' : payload.arrayMergeOption;
    if (!ARRAY_MERGE_OPTIONS.includes(option)) throw new Error('invalid arrayMergeOption');
    replaceInPlace(ctx, deepMerge(clone(ctx), payload.newContext, option));
  },
};

function withBuiltins(definition) {
  const config = clone(definition);
  for (const state of Object.values(config.states)) {
    if (state.type === 'final') continue;
    state.on = state.on || {};
    for (const [name, action] of [['UPDATE_CONTEXT', 'updateContext'], ['DEEP_MERGE_CONTEXT', 'deepMergeContext']]) {
      const own = state.on[name] === undefined ? [] : [].concat(state.on[name]);
      // First in the list and unguarded: the built-in always wins over the state's own `on`.
      state.on[name] = [{ actions: action }, ...own];
    }
  }
  return config;
}

function snapshot(eventName, state) {
  const done = Boolean(state.done);
  return {
    event: eventName,
    state: String(state.value),
    status: done ? 'completed' : 'active',
    tags: [...state.tags].sort(),
    nextEvents: done ? [] : state.nextEvents.filter((e) => e !== '' && !BUILTINS.includes(e)).sort(),
  };
}

function run(scenario) {
  const config = withBuiltins(scenario.definition);
  delete config.context;
  const machine = createMachine(
    { ...config, predictableActionArguments: true, context: clone(scenario.context || {}) },
    { guards, actions },
  );
  const service = interpret(machine).start();
  const snapshots = [snapshot(null, service.state)];
  for (const event of scenario.events || []) {
    if (!service.state.done) service.send({ type: event.name, payload: event.payload });
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
