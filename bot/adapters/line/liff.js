// EduNet's web view inside LINE (LIFF): window.EduNetInApp, the interface the pages use
// (bot/platforms.py InAppWeb). Needs the LIFF SDK (window.liff) loaded before it.
(function () {
  "use strict";
  let started = null;

  function sdk() {
    if (!window.liff) throw new Error("the LIFF SDK did not load");
    return window.liff;
  }

  // liff.init once per page; resolves to the LIFF ID token (the server verifies it with LINE).
  function start(config) {
    if (started) return started;
    started = (async function () {
      const liff = sdk();
      await liff.init({ liffId: config.appId });
      if (!liff.isLoggedIn()) {
        // Outside the LINE app: LINE Login, then back to this page.
        liff.login({ redirectUri: window.location.href });
        return new Promise(function () {});
      }
      const token = liff.getIDToken();
      if (!token) throw new Error("LINE gave no ID token (the LIFF app needs the openid scope)");
      return token;
    })();
    return started;
  }

  // The share picker: "sent" (LINE says something was sent, not to which chats), "cancelled"
  // (the picker was closed) or "unavailable" (not inside LINE, or the app may not use the picker).
  async function share(messages) {
    const liff = sdk();
    if (!liff.isApiAvailable("shareTargetPicker")) return "unavailable";
    const result = await liff.shareTargetPicker(messages, { isMultiple: true });
    return result ? "sent" : "cancelled";
  }

  window.EduNetInApp = { start: start, share: share };
})();
