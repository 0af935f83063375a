// Validates and renders Adaptive Cards with the official `adaptivecards` library.
//
// Usage: node validate.mjs [cards.json]      (reads stdin when no file is given)
// Input: a JSON array of cards, or an object {name: card}.
// Output: a JSON report on stdout; exit status 1 if any card has a parse event, a validation
// failure, a type the library did not recognise, or a markdown construct in its rendered DOM.
//
// Parsing needs no DOM; `card.render()` does, so jsdom provides `document` and `window`.
// Markdown is processed with markdown-it, as Teams does, so escaping is really exercised.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM } from "jsdom";

const require = createRequire(import.meta.url);
const here = new URL(".", import.meta.url);

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
// The renderer uses DOM classes as globals (e.g. `instanceof HTMLButtonElement`).
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (/^(HTML|SVG|Node|Element|Text|Document|Event|KeyboardEvent|getComputedStyle)/.test(name) && !(name in globalThis)) {
    globalThis[name] = dom.window[name];
  }
}

// jsdom has no layout, hence no `innerText`; the renderer sets button titles with it.
Object.defineProperty(dom.window.HTMLElement.prototype, "innerText", {
  get() { return this.textContent; },
  set(value) { this.textContent = value; },
});

// The package's ESM `lib/` build has extensionless imports node cannot load; the UMD bundle works.
const AC = require("adaptivecards/dist/adaptivecards.js");
const markdownIt = require("markdown-it")();
const hostConfig = new AC.HostConfig(
  JSON.parse(readFileSync(new URL("teams-host-config.json", here), "utf8")),
);

AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = markdownIt.render(text);
  result.didProcess = true;
};

// Tags markdown would produce; escaped text must render none of them.
const MARKUP_TAGS = "a, strong, em, s, del, code, pre, ul, ol, li, h1, h2, h3, h4, h5, h6, img, at, blockquote, hr";

function describeEvent(event) {
  return {
    phase: AC.ValidationPhase[event.phase],
    event: AC.ValidationEvent[event.event],
    message: event.message,
  };
}

// Every "type" written in the JSON, as element/action types the library should recognise.
function declaredTypes(node, found = new Set()) {
  if (Array.isArray(node)) node.forEach((item) => declaredTypes(item, found));
  else if (node && typeof node === "object") {
    if (typeof node.type === "string" && node.type !== "AdaptiveCard") found.add(node.type);
    Object.values(node).forEach((value) => declaredTypes(value, found));
  }
  return found;
}

function parse(json) {
  const context = new AC.SerializationContext();
  const parsedTypes = new Set();
  const executeActions = [];
  context.onParseElement = (element) => parsedTypes.add(element.getJsonTypeName());
  context.onParseAction = (action) => {
    parsedTypes.add(action.getJsonTypeName());
    if (action instanceof AC.ExecuteAction) {
      executeActions.push({ title: action.title ?? null, verb: action.verb ?? null, data: action.data ?? null });
    }
  };
  const card = new AC.AdaptiveCard();
  card.hostConfig = hostConfig;
  card.parse(json, context);
  const parseEvents = [];
  for (let i = 0; i < context.eventCount; i++) parseEvents.push(describeEvent(context.getEventAt(i)));
  return { card, parsedTypes, executeActions, parseEvents };
}

// A client without Universal Actions: Action.Execute is unknown, so each button's fallback is
// parsed instead (Microsoft's guidance: an Action.Submit carrying the same data).
function parseAsOldClient(json) {
  const context = new AC.SerializationContext();
  const actions = new AC.CardObjectRegistry();
  AC.GlobalRegistry.populateWithDefaultActions(actions);
  actions.unregister("Action.Execute");
  context.setActionRegistry(actions);
  const parsedTypes = new Set();
  const submitActions = [];
  context.onParseAction = (action) => {
    parsedTypes.add(action.getJsonTypeName());
    if (action instanceof AC.SubmitAction) {
      submitActions.push({ title: action.title ?? null, data: action.data ?? null });
    }
  };
  const card = new AC.AdaptiveCard();
  card.hostConfig = hostConfig;
  card.parse(json, context);
  return { parsedTypes, submitActions };
}

function refreshOf(card) {
  const refresh = card.refresh;
  if (!refresh || !refresh.action) return null;
  return {
    actionType: refresh.action.getJsonTypeName(),
    verb: refresh.action.verb ?? null,
    userIds: refresh.userIds ?? [],
  };
}

function render(card) {
  const element = card.render();
  if (!element) return { rendered: false, text: "", markupTags: [], buttons: [] };
  document.body.replaceChildren(element);
  return {
    rendered: true,
    text: element.textContent,
    markupTags: [...element.querySelectorAll(MARKUP_TAGS)].map((tag) => tag.outerHTML.slice(0, 200)),
    buttons: [...element.querySelectorAll("button")].map((button) => button.textContent),
  };
}

function check(name, json) {
  const { card, parsedTypes, executeActions, parseEvents } = parse(json);
  const oldClient = parseAsOldClient(json);
  oldClient.parsedTypes.forEach((type) => parsedTypes.add(type));
  if (json.type !== "AdaptiveCard") {
    parseEvents.push({ phase: "Parse", event: "MissingCardType", message: "type is not AdaptiveCard" });
  }
  if (!card.version || card.version.toString() !== json.version) {
    parseEvents.push({ phase: "Parse", event: "Other", message: `version parsed as ${card.version}` });
  }
  const validationFailures = card.validateProperties().validationEvents.map(describeEvent);
  const unrecognisedTypes = [...declaredTypes(json)].filter((type) => !parsedTypes.has(type));
  const refresh = refreshOf(card);
  const output = render(card);
  const ok =
    parseEvents.length === 0 &&
    validationFailures.length === 0 &&
    unrecognisedTypes.length === 0 &&
    output.rendered &&
    output.markupTags.length === 0;
  return {
    name, ok, parseEvents, validationFailures, unrecognisedTypes,
    parsedTypes: [...parsedTypes].sort(), executeActions, submitActions: oldClient.submitActions,
    refresh, ...output,
  };
}

function readInput() {
  const file = process.argv[2];
  const raw = file && file !== "-" ? readFileSync(file, "utf8") : readFileSync(0, "utf8");
  const input = JSON.parse(raw);
  return Array.isArray(input) ? input.map((card, i) => [String(i), card]) : Object.entries(input);
}

const cards = readInput().map(([name, json]) => check(name, json));
const version = require("adaptivecards/package.json").version;
const report = { library: "adaptivecards", version, ok: cards.every((c) => c.ok), cards };
process.stdout.write(JSON.stringify(report, null, 1) + "\n");
process.exitCode = report.ok ? 0 : 1;
