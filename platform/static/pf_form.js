// Issue 15: the residents' form pages. Progressive: the pages work without this script; it keeps
// what was typed in this browser (localStorage) until the answer is sent, checks required fields and
// files before sending, and computes the proof of work when the form asks for one (pure-JS SHA-256:
// crypto.subtle is missing on plain-http intranet hosts).
(function () {
  'use strict';
  var dataEl = document.getElementById('pf-data');
  if (!dataEl) { return; }
  var data;
  try { data = JSON.parse(dataEl.textContent || '{}'); } catch (e) { return; }
  var messages = data.messages || {};

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // The done page: forget what this device kept of the form (and of its per-recipient links).
  if (data.clearPrefix) {
    var s = storage();
    if (s) {
      var doomed = [];
      for (var i = 0; i < s.length; i++) {
        var k = s.key(i);
        if (k === data.clearPrefix || (k && k.indexOf(data.clearPrefix + ':') === 0)) { doomed.push(k); }
      }
      doomed.forEach(function (k) { s.removeItem(k); });
    }
    return;
  }

  var confirmForm = document.getElementById('pf-confirm-form');
  if (confirmForm) {
    // One press sends once (a second press while the first is on its way would only be refused).
    var sent = false;
    confirmForm.addEventListener('submit', function (ev) {
      if (sent) { ev.preventDefault(); }
      sent = true;
      setTimeout(function () { sent = false; }, 10000);
    });
    return;
  }

  var form = document.getElementById('pf-form');
  if (!form) { return; }
  var key = data.storageKey;
  var status = document.getElementById('pf-status');

  function say(text) { if (status) { status.textContent = text || ''; } }

  function valueFields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name.indexOf('f.') === 0 && !el.disabled && !el.readOnly && el.type !== 'file';
    });
  }

  function snapshot() {
    var out = {};
    valueFields().forEach(function (el) {
      var list = out[el.name] || (out[el.name] = []);
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) { list.push(el.value); }
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { if (o.selected) { list.push(o.value); } });
      } else {
        list.push(el.value);
      }
    });
    return out;
  }

  function save() {
    var s = storage();
    if (!s || !key) { return; }
    try { s.setItem(key, JSON.stringify({ at: Date.now(), values: snapshot() })); } catch (e) { /* full or off */ }
  }

  function restore() {
    var s = storage();
    if (!s || !key) { return; }
    var saved;
    try { saved = JSON.parse(s.getItem(key) || 'null'); } catch (e) { saved = null; }
    if (!saved || !saved.values) { return; }
    var changed = false;
    valueFields().forEach(function (el) {
      var list = saved.values[el.name];
      if (!list) { return; }
      if (el.type === 'checkbox' || el.type === 'radio') {
        var on = list.indexOf(el.value) >= 0;
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          var on = list.indexOf(o.value) >= 0;
          if (o.selected !== on) { o.selected = on; changed = true; }
        });
      } else if (list.length && el.value !== list[0]) {
        el.value = list[0];
        changed = true;
      }
    });
    if (changed) { say(messages.restored); }
  }

  if (data.restore) { restore(); } else { save(); }
  form.addEventListener('input', save);
  form.addEventListener('change', save);

  // Messages beside a field, as the server writes them.
  function fieldOf(el) {
    while (el && !(el.classList && el.classList.contains('pf-field'))) { el = el.parentNode; }
    return el;
  }

  function setError(field, text) {
    var old = field.querySelector('.pf-error[data-client]');
    if (old) { old.parentNode.removeChild(old); }
    var controls = field.querySelectorAll('input, select, textarea');
    if (!text) {
      if (!field.querySelector('.pf-error')) { field.classList.remove('pf-has-error'); }
      return;
    }
    var p = document.createElement('p');
    p.className = 'pf-error';
    p.setAttribute('data-client', '1');
    p.id = 'pf-client-error-' + (field.getAttribute('data-code') || '').replace(/[^\w-]/g, '_') + Math.random().toString(36).slice(2, 6);
    p.textContent = text;
    var anchor = field.querySelector('legend') || field.querySelector('label');
    if (anchor && anchor.nextSibling) { anchor.parentNode.insertBefore(p, anchor.nextSibling); } else { field.appendChild(p); }
    field.classList.add('pf-has-error');
    Array.prototype.forEach.call(controls, function (c) {
      if (c.type === 'hidden') { return; }
      c.setAttribute('aria-invalid', 'true');
      var by = (c.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x.indexOf('pf-client-error-') !== 0; });
      by.unshift(p.id);
      c.setAttribute('aria-describedby', by.join(' '));
    });
  }

  // Files: too large or of a type the form does not take are refused before upload.
  Array.prototype.forEach.call(form.querySelectorAll('input[type=file]'), function (input) {
    input.addEventListener('change', function () {
      var field = fieldOf(input);
      var f = input.files && input.files[0];
      var problem = '';
      if (f && data.maxBytes && f.size > data.maxBytes) {
        problem = messages.fileSize;
      } else if (f && data.types && data.types.length && f.type && data.types.indexOf(f.type) < 0) {
        problem = messages.fileType;
      }
      if (problem) { input.value = ''; }
      setError(field, problem);
    });
  });

  function isEmpty(field) {
    var kind = field.getAttribute('data-kind');
    if (kind === 'radio' || kind === 'checkbox') {
      return !field.querySelector('input:checked');
    }
    if (kind === 'file') {
      var input = field.querySelector('input[type=file]');
      return !field.querySelector('.pf-attached') && !(input && input.files && input.files.length);
    }
    if (kind === 'multiselect') {
      var sel = field.querySelector('select');
      return !(sel && sel.selectedOptions && sel.selectedOptions.length);
    }
    var el = field.querySelector('input, select, textarea');
    return !el || !String(el.value).trim();
  }

  function checkAll() {
    var first = null;
    Array.prototype.forEach.call(form.querySelectorAll('.pf-field[data-code]'), function (field) {
      var problem = '';
      if (field.getAttribute('data-required') && isEmpty(field)) {
        problem = messages.required;
      } else {
        var email = field.querySelector('input[type=email]');
        if (email && email.value.trim() && !/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(email.value.trim())) {
          problem = messages.badEmail;
        }
      }
      if (problem || field.querySelector('.pf-error[data-client]')) { setError(field, problem); }
      if (problem && !first) { first = field; }
    });
    if (first) {
      var focusable = first.querySelector('input:not([type=hidden]), select, textarea');
      if (focusable) { focusable.focus(); }
      return false;
    }
    return true;
  }

  // Proof of work: SHA-256 of "<challenge>:<n>" with `bits` leading zero bits.
  var K = [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];

  function utf8(text) {
    var out = [];
    var enc = unescape(encodeURIComponent(text));
    for (var i = 0; i < enc.length; i++) { out.push(enc.charCodeAt(i)); }
    return out;
  }

  function sha256(bytes) {
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var len = bytes.length;
    var msg = bytes.slice();
    msg.push(0x80);
    while (msg.length % 64 !== 56) { msg.push(0); }
    var bits = len * 8;
    for (var s = 7; s >= 0; s--) { msg.push(s >= 4 ? 0 : (bits >>> (s * 8)) & 0xff); }
    var w = new Array(64);
    for (var off = 0; off < msg.length; off += 64) {
      for (var t = 0; t < 16; t++) {
        w[t] = (msg[off + 4 * t] << 24) | (msg[off + 4 * t + 1] << 16) | (msg[off + 4 * t + 2] << 8) | msg[off + 4 * t + 3];
      }
      for (t = 16; t < 64; t++) {
        var x = w[t - 15], y = w[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h;
  }

  function zeroBits(words) {
    var n = 0;
    for (var i = 0; i < words.length; i++) {
      var v = words[i] >>> 0;
      if (v === 0) { n += 32; continue; }
      return n + Math.clz32(v);
    }
    return n;
  }

  function solve(challenge, bits, done) {
    var n = 0;
    var prefix = utf8(challenge + ':');
    (function chunk() {
      var until = n + 2000;
      for (; n < until; n++) {
        if (zeroBits(sha256(prefix.concat(utf8(String(n))))) >= bits) { done(String(n)); return; }
      }
      setTimeout(chunk, 0);
    })();
  }

  var powInput = document.getElementById('pf-pow');
  var challengeInput = form.querySelector('input[name=challenge]');
  var busy = false;
  form.addEventListener('submit', function (ev) {
    if (busy) { ev.preventDefault(); return; }
    if (!checkAll()) { ev.preventDefault(); return; }
    save();
    if (data.pow && powInput && challengeInput && !powInput.value) {
      ev.preventDefault();
      busy = true;
      var button = form.querySelector('button[type=submit]');
      if (button) { button.disabled = true; }
      say(messages.powWorking);
      solve(challengeInput.value, data.pow, function (answer) {
        powInput.value = answer;
        var step = document.createElement('input');
        step.type = 'hidden';
        step.name = 'step';
        step.value = 'confirm';
        form.appendChild(step);
        form.submit();
      });
    }
  });

  // After the server found problems, the summary takes the focus (its links lead to the fields).
  var summary = document.getElementById('pf-summary');
  if (summary) {
    summary.focus();
    // A summary link puts the focus in its field (a fragment link alone only scrolls there).
    Array.prototype.forEach.call(summary.querySelectorAll('a[href^="#"]'), function (a) {
      a.addEventListener('click', function (ev) {
        var target = document.getElementById(a.getAttribute('href').slice(1));
        if (!target) { return; }
        ev.preventDefault();
        target.focus();
        if (target.scrollIntoView) { target.scrollIntoView({ block: 'center' }); }
      });
    });
  }
  // For tests of the proof of work against the server's SHA-256.
  window.kumikiPfSha256 = function (text) {
    return sha256(utf8(text)).map(function (v) { return ('00000000' + (v >>> 0).toString(16)).slice(-8); }).join('');
  };
})();
