// The LIFF SDK with LINE's official mock plugin (@line/liff-mock), as the browser tests load it instead of
// LINE's CDN: a page of the web view runs as if inside the LINE app, signed in. The test sets what the mock
// answers in window.__liffMock (e.g. getIDToken: a token the fake LINE Login server issued, or
// shareTargetPicker: {status: "success"}) before the page loads; every shareTargetPicker call is kept in
// sessionStorage ("liffShared") so the test can check the messages against LINE's OpenAPI spec.
import liff from "@line/liff";
import { LiffMockPlugin } from "@line/liff-mock";

liff.use(new LiffMockPlugin());
const init = liff.init;
liff.init = async function (config) {
  await init({ ...config, mock: true });
  liff.$mock.set((previous) => ({
    ...previous, isInClient: true, isLoggedIn: true, isApiAvailable: true, ...(window.__liffMock || {}),
  }));
  liff.login(); // inside the LINE app the user is signed in; the mock wants login() before the picker
  const pick = liff.shareTargetPicker;
  liff.shareTargetPicker = function (messages, options) {
    // kept in sessionStorage: the page moves on once the share is recorded
    const shared = JSON.parse(sessionStorage.getItem("liffShared") || "[]");
    shared.push({ messages: messages, options: options });
    sessionStorage.setItem("liffShared", JSON.stringify(shared));
    return pick(messages, options);
  };
  window.__liffInit = config;
};
window.liff = liff;
