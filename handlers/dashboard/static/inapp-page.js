// The web view's pages inside a chat app: sign-in on the entry page, "share it myself" on the
// announcement page. Platform calls go through window.EduNetInApp (the adapter's client script);
// settings come from the page's <script type="application/json" id="inapp-config">.
(function () {
  "use strict";
  const holder = document.getElementById("inapp-config");
  if (!holder) return;
  const config = JSON.parse(holder.textContent);
  const status = document.getElementById("inapp-status");

  function say(text) {
    if (status) status.textContent = text;
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    });
    let body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    return { ok: response.ok, body: body };
  }

  async function signIn() {
    let token;
    try {
      token = await window.EduNetInApp.start(config);
    } catch (e) {
      say(config.text.failed);
      return;
    }
    const answer = await post(config.sessionUrl, { token: token, state: config.state, next: config.next });
    if (answer.ok && answer.body.next) {
      window.location.replace(answer.body.next);
    } else {
      say(answer.body.error || config.text.failed);
    }
  }

  function shareButton() {
    const button = document.getElementById("share");
    if (!button || !window.EduNetInApp) return;
    const messages = JSON.parse(document.getElementById("share-messages").textContent).messages;
    button.hidden = false;
    button.addEventListener("click", async function () {
      button.disabled = true;
      let result;
      try {
        await window.EduNetInApp.start(config);
        result = await window.EduNetInApp.share(messages);
      } catch (e) {
        result = "failed";
      }
      if (result === "sent") {
        say(config.text.recording);
        const answer = await post(config.reportUrl, { csrf: config.csrf, result: "sent" });
        if (answer.ok && answer.body.next) {
          window.location.assign(answer.body.next);
          return;
        }
        say(answer.body.error || config.text.failed);
      } else if (result === "cancelled") {
        say(config.text.cancelled);
      } else if (result === "unavailable") {
        say(config.text.unavailable);
      } else {
        say(config.text.failed);
      }
      button.disabled = false;
    });
  }

  if (config.mode === "sign-in") signIn();
  else if (config.mode === "share") shareButton();
})();
