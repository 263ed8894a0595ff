// Passkeys: registration on /account/passkeys and sign-in on /login, with
// the browser's WebAuthn API. Loaded as a file under the strict CSP (no
// inline script); without it, or without WebAuthn, the controls stay
// hidden and the password sign-in works as before.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function enc(buf) {
    var s = "";
    new Uint8Array(buf).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function dec(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error(j.error || "The server answered " + r.status + ".");
        return j;
      });
    });
  }
  function show(el, msg) {
    if (!el) return;
    el.textContent = msg;
    el.hidden = false;
  }
  function failure(e) {
    if (e && e.name === "NotAllowedError") return "The passkey was not used (cancelled or timed out).";
    if (e && e.name === "InvalidStateError") return "This device already holds one of your passkeys.";
    return (e && e.message) || "Something went wrong.";
  }

  // Registration.
  var form = document.getElementById("passkey-add-form");
  var add = document.getElementById("passkey-add");
  if (form && add) {
    form.hidden = false;
    var unsupported = document.getElementById("passkey-unsupported");
    if (unsupported) unsupported.hidden = true;
    var addErr = document.getElementById("passkey-error");
    add.addEventListener("click", function () {
      add.disabled = true;
      addErr.hidden = true;
      post("/account/passkeys/options").then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = dec(pk.challenge);
        pk.user.id = dec(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = dec(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (cred) {
        var name = document.getElementById("passkey-name").value;
        return post("/account/passkeys?name=" + encodeURIComponent(name), {
          id: cred.id, rawId: enc(cred.rawId), type: cred.type,
          authenticatorAttachment: cred.authenticatorAttachment || undefined,
          response: {
            attestationObject: enc(cred.response.attestationObject),
            clientDataJSON: enc(cred.response.clientDataJSON),
            transports: cred.response.getTransports ? cred.response.getTransports() : []
          },
          clientExtensionResults: cred.getClientExtensionResults()
        });
      }).then(function () {
        location.reload();
      }).catch(function (e) {
        show(addErr, failure(e));
        add.disabled = false;
      });
    });
  }

  function assertion(a) {
    return {
      id: a.id, rawId: enc(a.rawId), type: a.type,
      authenticatorAttachment: a.authenticatorAttachment || undefined,
      response: {
        authenticatorData: enc(a.response.authenticatorData),
        clientDataJSON: enc(a.response.clientDataJSON),
        signature: enc(a.response.signature),
        userHandle: a.response.userHandle ? enc(a.response.userHandle) : null
      },
      clientExtensionResults: a.getClientExtensionResults()
    };
  }

  // A passkey as the second step after the password.
  var second = document.getElementById("passkey-second");
  if (second) {
    document.getElementById("passkey-second-box").hidden = false;
    var unsup = document.getElementById("passkey-unsupported");
    if (unsup) unsup.hidden = true;
    var secondErr = document.getElementById("passkey-second-error");
    second.addEventListener("click", function () {
      second.disabled = true;
      secondErr.hidden = true;
      post("/login/second/options").then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = dec(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = dec(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (a) {
        return post("/login/second?next=" + encodeURIComponent(second.getAttribute("data-next") || "/"), assertion(a));
      }).then(function (r) {
        location.assign(r.redirect || "/");
      }).catch(function (e) {
        show(secondErr, failure(e));
        second.disabled = false;
      });
    });
  }

  // Sign-in.
  var login = document.getElementById("passkey-login");
  if (login) {
    var box = document.getElementById("passkey-signin");
    if (box) box.hidden = false;
    var loginErr = document.getElementById("passkey-login-error");
    login.addEventListener("click", function () {
      login.disabled = true;
      loginErr.hidden = true;
      post("/login/passkey/options").then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = dec(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = dec(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (a) {
        return post("/login/passkey?next=" + encodeURIComponent(login.getAttribute("data-next") || "/"), assertion(a));
      }).then(function (r) {
        location.assign(r.redirect || "/");
      }).catch(function (e) {
        show(loginErr, failure(e));
        login.disabled = false;
      });
    });
  }
})();
