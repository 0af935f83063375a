// Renders cards to PNG with the official adaptivecards browser bundle in headless Chromium.
//
// Usage: .venv/bin/python -m cards.samples --readme | node tests/js/render_pngs.mjs [--out DIR]
//        node tests/js/render_pngs.mjs cards.json --out docs/cards
// Input: {name: card} (or an array). Writes DIR/<name>.png (default: docs/cards).
// Uses /usr/bin/chromium (Debian's; override with $CHROMIUM). Pages are local files; the
// browser gets flags that keep it off the network. It never downloads a browser.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const WIDTH = 634; // 600px card + body padding + border
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function parseArgs(argv) {
  const args = { input: null, out: resolve(here, "../../docs/cards") };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") args.out = resolve(argv[++i]);
    else args.input = argv[i];
  }
  return args;
}

function readCards(input) {
  const raw = input && input !== "-" ? readFileSync(input, "utf8") : readFileSync(0, "utf8");
  const cards = JSON.parse(raw);
  return Array.isArray(cards) ? cards.map((card, i) => [`card_${i}`, card]) : Object.entries(cards);
}

// JSON that is safe inside a <script> element.
const scriptJson = (value) => JSON.stringify(value).replace(/</g, "\\u003c");

function pageFor(card, hostConfig) {
  const template = readFileSync(join(here, "render.html"), "utf8");
  const base = `<base href="${pathToFileURL(here).href}">`;
  const data = `window.CARD = ${scriptJson(card)};\nwindow.HOST_CONFIG = ${scriptJson(hostConfig)};`;
  return template.replace("<head>", `<head>\n${base}`).replace("/*CARD_DATA*/", () => data);
}

function chromium(profile, extra) {
  const flags = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--mute-audio",
    `--user-data-dir=${profile}`,
  ];
  return execFileSync(CHROMIUM, [...flags, ...extra], {
    encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20,
  });
}

function renderOne(name, card, hostConfig, work, out) {
  const page = join(work, `${name}.html`);
  writeFileSync(page, pageFor(card, hostConfig));
  const url = pathToFileURL(page).href;
  const profile = join(work, "profile");
  const dom = chromium(profile, ["--window-size=" + `${WIDTH},2000`, "--dump-dom", url]);
  const match = dom.match(/data-height="(\d+)"/);
  if (!match) throw new Error(`${name}: the page did not render (no data-height in its DOM)`);
  const height = Math.min(Number(match[1]), 8000);
  const png = join(out, `${name}.png`);
  chromium(profile, [`--window-size=${WIDTH},${height}`, `--screenshot=${png}`, url]);
  return { name, png, height, bytes: statSync(png).size };
}

const args = parseArgs(process.argv.slice(2));
const hostConfig = JSON.parse(readFileSync(join(here, "teams-host-config.json"), "utf8"));
const work = mkdtempSync(join(tmpdir(), "ac-render-"));
mkdirSync(args.out, { recursive: true });
try {
  for (const [name, card] of readCards(args.input)) {
    if (!/^[\w-]+$/.test(name)) throw new Error(`unsafe card name for a file: ${name}`);
    const result = renderOne(name, card, hostConfig, work, args.out);
    console.log(`${result.png}  ${WIDTH}x${result.height}  ${result.bytes} bytes`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
