// The sellers' chat page: mounts the rasa-webchat widget (served from /chat/vendor/webchat.js, no CDN)
// and points it at Rasa's socket.io channel named by /chat/config.json.
(function () {
  "use strict";

  var STORAGE_KEY = "chat_session"; // rasa-webchat's key in localStorage (params.storage "local")

  function showStatus(text) {
    var status = document.getElementById("chat-status");
    status.textContent = text; // text only: nothing here is ever parsed as HTML
    status.hidden = !text;
  }

  // The bot's messages are rendered by the widget's markdown renderer (raw HTML escaped). Links may
  // only lead to http(s) pages, opened in a new tab without access to this page.
  function guardLinks(root) {
    root.addEventListener("click", function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
      if (!link) return;
      var url;
      try { url = new URL(link.getAttribute("href"), window.location.href); } catch (e) { url = null; }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }, true);
  }

  function messageDelay(message) {
    // a short "typing" pause, shorter than the widget's default (800–3000 ms)
    var delay = (message || "").length * 8;
    return Math.max(200, Math.min(delay, 800));
  }

  function mount(config) {
    var element = document.getElementById("webchat");
    guardLinks(element);
    showStatus("正在连接助手……");
    window.WebChat.default({
      socketUrl: config.socketUrl,
      socketPath: config.socketPath || "/socket.io/",
      initPayload: "/greet",
      customData: { language: "zh" },
      title: "跨境物流助手",
      subtitle: "亚马逊跨境供应链服务 · 答案注明出处",
      inputTextFieldHint: "输入你的问题，比如：AWD仓储费多少？",
      connectingText: "正在连接助手……",
      embedded: true,
      hideWhenNotConnected: false,
      showFullScreenButton: false,
      showCloseButton: false,
      showMessageDate: false,
      docViewer: false,
      customMessageDelay: messageDelay,
      params: { storage: "local" },
      onSocketEvent: {
        connect: function () { showStatus(""); },
        disconnect: function () { showStatus("与助手的连接断开了，正在重新连接……"); },
        connect_error: function () { showStatus("暂时连不上助手，正在重试……"); }
      },
      mainColor: "#232f3e",
      userBackgroundColor: "#ff9900",
      userTextColor: "#111111"
    }, element);
  }

  function start() {
    var newConversation = document.getElementById("new-conversation");
    newConversation.addEventListener("click", function () {
      try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* storage disabled */ }
      window.location.reload();
    });
    if (!window.WebChat || typeof window.WebChat.default !== "function") {
      showStatus("聊天组件没有加载成功，请运行 make webchat 后刷新页面。");
      return;
    }
    fetch("/chat/config.json", { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(mount)
      .catch(function () {
        showStatus("读取聊天配置失败，请刷新页面重试。");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
