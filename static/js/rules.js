/* Validation rules in the phone form, offline (issue 19). The server stays the judge.
 *
 * The same rules as coordination/validation (served as Rule.as_dict), evaluated to
 * the same violations and the same Vietnamese messages:
 *   ValidationRules.evaluateRules(rules, figures, baselines, ledgerCodes, history)
 *     → [{rule, severity, figures: [codes], message}]
 * A tokenizer and parser for exactly the rule language of expressions.py (never
 * eval or Function), arithmetic in doubles as on the server, vn_number's format,
 * and jump.py's statistic operation for operation (same sums, same order), so that
 * tests/test_validation_js.py can compare every result with Python's.
 */
(function (root) {
  'use strict';
  var MAX_LENGTH = 500;
  var MAX_NESTING = 30;
  var MIN_HISTORY = 5;
  var MAD_SCALE = 0.6745;
  var MEAN_AD_SCALE = 1.253314;
  var CHARACTERS = /^[A-Za-z0-9_ .+\-*\/<>=!(),]*$/;
  var PLACEHOLDER = /\{([^{}]*)\}/g;
  var UNKNOWN = '?';
  // Python's keywords other than and/or/not: never names there, never names here
  var KEYWORDS = ('False None True as assert async await break class continue def del elif else ' +
                  'except finally for from global if import in is lambda nonlocal pass raise ' +
                  'return try while with yield').split(' ');
  var COMPARISONS = ['<', '<=', '>', '>=', '==', '!='];

  function refuse(detail) {
    var error = new Error(detail);
    error.code = 'bad_expression';
    throw error;
  }

  function tokenize(text) {
    var tokens = [];
    var i = 0;
    var match;
    while (i < text.length) {
      var rest = text.slice(i);
      if (rest[0] === ' ') { i += 1; continue; }
      if ((match = /^[0-9]+(\.[0-9]+)?/.exec(rest))) {
        var digits = match[0];
        if (/^[A-Za-z_]/.test(rest.slice(digits.length))) { refuse('number glued to a name'); }
        if (!match[1] && /^0+[1-9]/.test(digits)) { refuse('leading zeros'); }
        tokens.push({type: 'number', text: digits});
      } else if ((match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
        var word = match[0];
        if (KEYWORDS.indexOf(word) >= 0) { refuse('keyword ' + word); }
        tokens.push({type: ['and', 'or', 'not'].indexOf(word) >= 0 ? word : 'name', text: word});
      } else if ((match = /^(<=|>=|==|!=|[<>+\-*\/(),])/.exec(rest))) {
        tokens.push({type: match[0], text: match[0]});
      } else {
        refuse('unexpected ' + rest[0]);
      }
      i += match[0].length;
    }
    tokens.push({type: 'end', text: ''});
    return tokens;
  }

  /* Recursive descent in Python's precedence; nodes mirror Python's ast (an and/or
   * node holds all the operands of one unparenthesised chain), so depth is counted
   * alike. Each node has a kind: 'number' or 'boolean'. */
  function Parser(tokens) { this.tokens = tokens; this.at = 0; }
  Parser.prototype.peek = function () { return this.tokens[this.at].type; };
  Parser.prototype.take = function (type) {
    if (this.peek() !== type) { refuse('expected ' + type + ', found ' + this.peek()); }
    return this.tokens[this.at++];
  };
  Parser.prototype.chain = function (op, next) {
    var items = [next.call(this)];
    while (this.peek() === op) { this.at += 1; items.push(next.call(this)); }
    if (items.length === 1) { return items[0]; }
    items.forEach(function (item) { need(item, 'boolean'); });
    return {op: op, items: items, kind: 'boolean'};
  };
  Parser.prototype.or = function () { return this.chain('or', this.and); };
  Parser.prototype.and = function () { return this.chain('and', this.not); };
  Parser.prototype.not = function () {
    if (this.peek() !== 'not') { return this.comparison(); }
    this.at += 1;
    return {op: 'not', items: [need(this.not(), 'boolean')], kind: 'boolean'};
  };
  Parser.prototype.comparison = function () {
    var left = this.additive();
    if (COMPARISONS.indexOf(this.peek()) < 0) { return left; }
    var op = this.take(this.peek()).type;
    var right = this.additive();
    if (COMPARISONS.indexOf(this.peek()) >= 0) { refuse('chained comparison'); }
    return {op: op, items: [need(left, 'number'), need(right, 'number')], kind: 'boolean'};
  };
  Parser.prototype.binary = function (ops, next) {
    var left = next.call(this);
    while (ops.indexOf(this.peek()) >= 0) {
      var op = this.take(this.peek()).type;
      left = {op: op, items: [need(left, 'number'), need(next.call(this), 'number')], kind: 'number'};
    }
    return left;
  };
  Parser.prototype.additive = function () { return this.binary(['+', '-'], this.term); };
  Parser.prototype.term = function () { return this.binary(['*', '/'], this.unary); };
  Parser.prototype.unary = function () {
    var type = this.peek();
    if (type !== '-' && type !== '+') { return this.primary(); }
    this.at += 1;
    return {op: type === '-' ? 'neg' : 'pos', items: [need(this.unary(), 'number')], kind: 'number'};
  };
  Parser.prototype.primary = function () {
    var token = this.tokens[this.at];
    if (token.type === 'number') {
      this.at += 1;
      return {op: 'number', value: Number(token.text), items: [], kind: 'number'};
    }
    if (token.type === '(') {
      this.at += 1;
      var inner = this.or();
      this.take(')');
      return inner;
    }
    var name = this.take('name').text;
    if (name !== 'min' && name !== 'max') { return {op: 'name', name: name, items: [], kind: 'number'}; }
    this.take('(');
    var args = [need(this.or(), 'number')];
    while (this.peek() === ',') {
      this.at += 1;
      if (this.peek() === ')') { break; }  // a trailing comma, as Python allows
      args.push(need(this.or(), 'number'));
    }
    this.take(')');
    if (args.length < 2) { refuse(name + ' needs two arguments or more'); }
    return {op: name, items: args, kind: 'number'};
  };

  function need(node, kind) {
    if (node.kind !== kind) { refuse('type: ' + kind + ' expected'); }
    return node;
  }

  function depth(node) {
    return 1 + node.items.reduce(function (deepest, item) { return Math.max(deepest, depth(item)); }, 0);
  }

  function names(node, found) {
    if (node.op === 'name' && found.indexOf(node.name) < 0) { found.push(node.name); }
    node.items.forEach(function (item) { names(item, found); });
    return found;
  }

  /* parseExpression(source, allowed?, kind?) → {source, tree, kind, names}; throws
   * an Error with code 'bad_expression' for anything expressions.py refuses. */
  function parseExpression(source, allowed, kind) {
    if (typeof source !== 'string' || !source.replace(/ /g, '')) { refuse('empty'); }
    if (source.length > MAX_LENGTH) { refuse('too long'); }
    if (!CHARACTERS.test(source)) { refuse('character'); }
    var level = 0;
    for (var i = 0; i < source.length; i += 1) {
      level += source[i] === '(' ? 1 : source[i] === ')' ? -1 : 0;
      if (level > MAX_NESTING) { refuse('too many parentheses'); }
    }
    var parser = new Parser(tokenize(source));
    var tree = parser.or();
    parser.take('end');
    if (depth(tree) > MAX_NESTING) { refuse('too deep'); }
    var used = names(tree, []);
    used.forEach(function (name) {
      if (allowed && allowed.indexOf(name) < 0) { refuse('unknown name ' + name); }
    });
    if (kind && tree.kind !== kind) { refuse('kind: ' + kind + ' expected'); }
    return {source: source, tree: tree, kind: tree.kind, names: used};
  }

  var cache = {};
  function compiled(source, kind) {
    var key = (kind || '') + ':' + source;
    if (!Object.prototype.hasOwnProperty.call(cache, key)) { cache[key] = parseExpression(source, null, kind); }
    return cache[key];
  }

  var NOT_APPLICABLE = {};

  function value(node, values) {
    var items = node.items;
    var i;
    switch (node.op) {
      case 'number': return node.value;
      case 'name': return values[node.name];
      case '+': return value(items[0], values) + value(items[1], values);
      case '-': return value(items[0], values) - value(items[1], values);
      case '*': return value(items[0], values) * value(items[1], values);
      case '/':
        var dividend = value(items[0], values);
        var divisor = value(items[1], values);
        if (divisor === 0) { throw NOT_APPLICABLE; }
        return dividend / divisor;
      case 'neg': return -value(items[0], values);
      case 'pos': return value(items[0], values);
      case 'not': return !value(items[0], values);
      case '<': return value(items[0], values) < value(items[1], values);
      case '<=': return value(items[0], values) <= value(items[1], values);
      case '>': return value(items[0], values) > value(items[1], values);
      case '>=': return value(items[0], values) >= value(items[1], values);
      case '==': return value(items[0], values) === value(items[1], values);
      case '!=': return value(items[0], values) !== value(items[1], values);
      case 'and':
      case 'or':
        var want = node.op === 'or';
        for (i = 0; i < items.length; i += 1) { if (value(items[i], values) === want) { return want; } }
        return !want;
      default:  // min, max: the first of equal values wins, as in Python
        var best = value(items[0], values);
        for (i = 1; i < items.length; i += 1) {
          var next = value(items[i], values);
          if (node.op === 'min' ? next < best : next > best) { best = next; }
        }
        return best;
    }
  }

  /* The value of an expression (parsed, or a source), or null when not applicable. */
  function evaluateExpression(expression, values) {
    if (typeof expression === 'string') { expression = compiled(expression); }
    for (var i = 0; i < expression.names.length; i += 1) {
      var v = has(values, expression.names[i]) ? values[expression.names[i]] : null;
      if (v === null || v === undefined) { return null; }
    }
    try {
      return value(expression.tree, values);
    } catch (err) {
      if (err === NOT_APPLICABLE) { return null; }
      throw err;
    }
  }

  /* vn_number of coordination/formatting.py: 1.234.567,5; 2 decimals unless whole. */
  function vnNumber(input) {
    if (input === null || input === undefined || input === '') { return ''; }
    var number = Number(input);
    var decimals = Number.isInteger(number) ? 0 : 2;
    var negative = number < 0 || Object.is(number, -0);
    var text = fixed(Math.abs(number), decimals);
    if (decimals) { text = text.replace(/0+$/, '').replace(/\.$/, ''); }
    var parts = text.split('.');
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    return (negative ? '-' : '') + whole + (parts.length > 1 ? ',' + parts[1] : '');
  }

  // toFixed, but ties to even as Python's format does (toFixed takes the larger).
  // An exact tie at d decimals is a multiple of 2^-(d+1) that is odd.
  function fixed(x, decimals) {
    if (x >= 1e21) { return BigInt(x).toString(); }  // whole, and toFixed turns exponential
    var text = x.toFixed(decimals);
    var scaled = x * Math.pow(2, decimals + 1);
    if (decimals && Number.isInteger(scaled) && scaled % 2 === 1) {
      var last = Number(text[text.length - 1]);
      if (last % 2 === 1) { text = text.slice(0, -1) + String(last - 1); }
    }
    return text;
  }

  function fillMessage(template, values, words) {
    words = words || {};
    return template.replace(PLACEHOLDER, function (whole, inner) {
      inner = inner.replace(/^ +| +$/g, '');
      if (has(words, inner)) { return words[inner]; }
      var result;
      try { result = evaluateExpression(compiled(inner, 'number'), values); } catch (err) { result = null; }
      return result !== null && isFinite(result) ? vnNumber(result) : UNKNOWN;
    });
  }

  /* --- the sudden-jump statistic (jump.py) --- */

  function byNumber(a, b) { return a - b; }

  function median(ordered) {
    var middle = Math.floor(ordered.length / 2);
    if (ordered.length % 2) { return ordered[middle]; }
    return (ordered[middle - 1] + ordered[middle]) / 2;
  }

  function modifiedZ(x, history) {
    if (!history.length) { return null; }
    var values = history.slice().sort(byNumber);
    var centre = median(values);
    var deviations = values.map(function (v) { return Math.abs(v - centre); }).sort(byNumber);
    var mad = median(deviations);
    if (mad > 0) { return MAD_SCALE * (x - centre) / mad; }
    var total = 0;
    deviations.forEach(function (d) { total += d; });
    var meanAd = total / deviations.length;
    if (meanAd > 0) { return (x - centre) / (MEAN_AD_SCALE * meanAd); }
    return x === centre ? 0 : null;
  }

  function verdict(x, reference, threshold) {
    var increases = reference.filter(function (v) { return v > 0; });
    if (increases.length < MIN_HISTORY) { return null; }
    var z = modifiedZ(x, increases);
    if (z === null) { return x > increases[0] ? null : false; }
    return z > threshold;
  }

  function isSuddenJump(increase, own, peers, floor, threshold) {
    if (threshold === undefined) { threshold = 3.5; }
    if (!(increase > 0)) { return false; }
    var verdicts = [verdict(increase, own, threshold), verdict(increase, peers, threshold)];
    if (verdicts.indexOf(false) >= 0) { return false; }
    if (verdicts.indexOf(null) >= 0) { return floor !== null && floor !== undefined && increase > floor; }
    return true;
  }

  /* --- rules (rules.py) --- */

  function has(object, key) {
    return object !== null && object !== undefined && Object.prototype.hasOwnProperty.call(object, key);
  }
  function isNumber(v) { return typeof v === 'number' && isFinite(v); }
  function figure(v) { return v === null || v === undefined ? 0 : isNumber(v) ? v : null; }
  function baseline(v) { return isNumber(v) && v > 0 ? v : null; }
  function numbers(list) { return Array.isArray(list) ? list.filter(isNumber) : []; }
  function get(object, key) { return has(object, key) ? object[key] : undefined; }

  function jumps(rule, figures, ledger, history) {
    var found = [];
    if (history === null || history === undefined) { return found; }
    (rule.watched || []).forEach(function (watched) {
      var code = watched.indicator;
      var past = get(history, code);
      var raw = get(figures, code);
      if (ledger.indexOf(code) >= 0 || past === null || typeof past !== 'object' || Array.isArray(past) ||
          raw === null || raw === undefined) { return; }
      var current = figure(raw);
      var previous = figure(get(past, 'previous'));
      if (current === null || previous === null) { return; }
      var increase = current - previous;
      if (isSuddenJump(increase, numbers(get(past, 'own')), numbers(get(past, 'peers')),
                       watched.floor, rule.threshold)) {
        var values = {increase: increase, previous: previous, current: current, floor: watched.floor,
                      threshold: rule.threshold};
        found.push({rule: rule.code, severity: rule.severity, figures: [code],
                    message: fillMessage(rule.message, values, {label: watched.label, unit: watched.unit})});
      }
    });
    return found;
  }

  function evaluateRules(rules, figures, baselines, ledgerCodes, history) {
    var ledger = Array.from(ledgerCodes || []);
    var found = [];
    (rules || []).forEach(function (rule) {
      if (rule.enabled === false) { return; }
      if (rule.kind === 'jump') { found = found.concat(jumps(rule, figures, ledger, history)); return; }
      var codes = rule.figures || [];
      if (codes.some(function (code) { return ledger.indexOf(code) >= 0; })) { return; }
      var values = {threshold: rule.threshold === undefined ? null : rule.threshold};
      (rule.needs || []).forEach(function (name) { values[name] = baseline(get(baselines, name)); });
      codes.forEach(function (code) { values[code] = figure(get(figures, code)); });
      var fired;
      try { fired = evaluateExpression(compiled(rule.expression, 'boolean'), values); } catch (err) { fired = null; }
      if (fired === true) {
        found.push({rule: rule.code, severity: rule.severity, figures: codes.slice(),
                    message: fillMessage(rule.message, values)});
      }
    });
    return found;
  }

  root.ValidationRules = {evaluateRules: evaluateRules, parseExpression: parseExpression,
                          evaluateExpression: evaluateExpression, vnNumber: vnNumber,
                          fillMessage: fillMessage, modifiedZ: modifiedZ, isSuddenJump: isSuddenJump,
                          MIN_HISTORY: MIN_HISTORY};
})(self);
