// Renders window.CARD (or a placeholder) into #frame and records the page height in
// body[data-height] so that the screenshot can be sized to fit.
(function () {
  const AC = window.AdaptiveCards;
  const md = window.markdownit();
  AC.AdaptiveCard.onProcessMarkdown = function (text, result) {
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };
  const card = new AC.AdaptiveCard();
  card.hostConfig = new AC.HostConfig(window.HOST_CONFIG || {});
  card.parse(window.CARD || {
    type: "AdaptiveCard", version: "1.5",
    body: [{ type: "TextBlock", text: "No card data: run render_pngs.mjs", wrap: true }],
  });
  const frame = document.getElementById("frame");
  frame.appendChild(card.render());
  const bottom = frame.getBoundingClientRect().bottom;
  document.body.dataset.height = String(Math.ceil(bottom + 16));
})();
