// End-to-end test of `ossc serve` in a real headless browser (Debian's chromium driven by
// playwright-core). Run by scripts/e2e, which starts the server and passes:
//   OSSC_URL      the server's base URL
//   OSSC_BIN      the ossc binary (for the CLI's bytes)
//   SHOTS_DIR     where to write screenshots (docs/ with UPDATE_SCREENSHOTS=1)
//   CHROMIUM      the browser executable
//   E2E_MODULES   the node_modules directory holding playwright-core
// Exits non-zero with a message at the first failed check.
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const { chromium } = createRequire(`${process.env.E2E_MODULES}/`)("playwright-core");
const base = process.env.OSSC_URL.replace(/\/$/, "");
const bin = process.env.OSSC_BIN;
const shots = process.env.SHOTS_DIR;
let checks = 0;

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  checks++;
}

const byId = (id) => `[id="${id}"]`;

// Goes to a service's page and waits until that service's form is shown: after a hash change the
// previous service's form stays in the page until the new one has been fetched and rendered, so
// waiting for a field alone can read the old service's form.
async function openService(page, name) {
  await page.goto(`${base}/#/s/${name}`);
  await page.waitForFunction((n) => {
    const crumbs = document.querySelector("nav.crumbs");
    return crumbs && crumbs.textContent.endsWith(` / ${n}`) && document.querySelector('[id="f-redundancy.replicas"]');
  }, name);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 }, colorScheme: "light" });
  const page = await context.newPage();
  const problems = [];
  // Chromium logs every 4xx response as a console error; 404 and 422 are answers here.
  const expectedStatus = /^Failed to load resource: the server responded with a status of (404|422)/;
  page.on("console", (m) => { if (m.type() === "error" && !expectedStatus.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) problems.push(`request outside the server: ${r.url()}`); });
  page.setDefaultTimeout(15000);

  // The catalog lists every service the CLI knows.
  await page.goto(`${base}/`);
  const expected = JSON.parse(execFileSync(bin, ["catalog", "list", "--format", "json"], { encoding: "utf8" })).map((s) => s.name);
  await page.waitForSelector("#services article");
  const listed = await page.$$eval("#services article", (cards) => cards.map((c) => c.dataset.service));
  check(JSON.stringify(listed) === JSON.stringify(expected), `catalog lists ${listed} but the CLI has ${expected}`);
  check((await page.textContent("#count")) === `${expected.length} services`, "the count says how many services there are");
  await page.screenshot({ path: join(shots, "serve-catalog.png"), fullPage: true });

  // Search and filters narrow the list; clearing them restores it.
  await page.fill("#q", "dynamodb");
  await page.waitForFunction(() => document.querySelectorAll("#services article").length < 12);
  const found = await page.$$eval("#services article", (cards) => cards.map((c) => c.dataset.service));
  check(found.includes("cassandra"), `searching "dynamodb" finds cassandra (found ${found})`);
  await page.fill("#q", "");
  await page.selectOption("#category", "queue");
  const queues = await page.$$eval("#services article", (cards) => cards.map((c) => c.dataset.service));
  check(queues.length > 0 && !queues.includes("cassandra"), `the queue category leaves cassandra out (${queues})`);
  await page.selectOption("#category", "");

  // Cassandra's page: description, endpoints, HA notes, the form and a first preview.
  await page.click('article[data-service="cassandra"] h2 a');
  await page.waitForSelector(byId("f-redundancy.replicas"));
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Up to date"));
  check((await page.textContent("h1")) === "Apache Cassandra", "the service page is titled");
  check((await page.textContent("#command")) === "ossc build cassandra", "the command starts as the plain build");
  const first = await page.textContent("#preview");
  check(first.includes("kind: StatefulSet"), "the preview shows the bundle");
  check((await page.getAttribute(byId("f-redundancy.replicas"), "min")) === "1", "replicas has its schema bound");
  const security = await page.textContent("#security");
  check(security.includes("cassandra-binding") && security.includes("cassandra.cassandra.svc:9042"),
    "the page says how to connect (the binding Secret and the address, as ossc connect)");

  // Replicas to 5: the preview follows.
  await page.fill(byId("f-redundancy.replicas"), "5");
  await page.waitForFunction(() => document.getElementById("preview").textContent.includes("replicas: 5")
    && document.getElementById("status").textContent.startsWith("Up to date"));
  check((await page.textContent("#command")) === "ossc build cassandra --set redundancy.replicas=5", "the command follows the knob");
  await page.evaluate(() => document.querySelector(".workbench").scrollIntoView());
  await page.screenshot({ path: join(shots, "serve-service.png"), fullPage: false });

  // An infeasible SLO is flagged at its field, with the CLI's code and help.
  const slo = byId("f-slo.availability");
  const sloBefore = await page.inputValue(slo);
  await page.fill(slo, "99.999");
  const flagged = `.note.error[data-code="OSS021"][data-field="slo.availability"]`;
  await page.waitForSelector(flagged);
  check((await page.getAttribute(slo, "aria-invalid")) === "true", "the SLO input is marked invalid");
  const text = await page.textContent(flagged);
  check(text.includes("99.999%") && text.includes("help:"), `the finding says what and how to fix it: ${text}`);
  check(await page.$eval(slo, (el) => el.closest(".field").contains(document.querySelector('.note.error[data-code="OSS021"]'))), "the finding sits next to its field");
  check((await page.getAttribute("#download-yaml", "aria-disabled")) === "true", "downloads are off while the spec has errors");
  check((await page.textContent("#command")) === "ossc build cassandra --set redundancy.replicas=5 --set slo.availability=99.999", "the command reproduces the finding");
  await page.$eval(slo, (el) => el.scrollIntoView({ block: "center" }));
  await page.screenshot({ path: join(shots, "serve-infeasible-slo.png"), fullPage: false });

  // Back to a valid SLO, then download: the bytes are the CLI's.
  await page.fill(slo, sloBefore);
  await page.waitForFunction(() => !document.querySelector(".note.error") && document.getElementById("status").textContent.startsWith("Up to date"));
  const [yaml] = await Promise.all([page.waitForEvent("download"), page.click("#download-yaml")]);
  check(yaml.suggestedFilename() === "cassandra.yaml", `the download is named cassandra.yaml (${yaml.suggestedFilename()})`);
  const downloaded = readFileSync(await yaml.path());
  const cli = execFileSync(bin, ["build", "cassandra", "--set", "redundancy.replicas=5"]);
  check(Buffer.compare(downloaded, cli) === 0, `the downloaded bundle (${downloaded.length} bytes) equals \`ossc build cassandra --set redundancy.replicas=5\` (${cli.length} bytes)`);
  const [zip] = await Promise.all([page.waitForEvent("download"), page.click("#download-zip")]);
  const zipped = readFileSync(await zip.path());
  check(zipped.subarray(0, 4).toString("binary") === "PK\x03\x04" && zipped.includes("cassandra/kustomization.yaml"), "the zip holds the -o layout");

  // The copy button puts the command on the clipboard.
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await page.click("#copy");
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  check(clip === "ossc build cassandra --set redundancy.replicas=5", `the clipboard holds the command (${clip})`);

  // The form shows the service's own rules: MinIO's erasure set takes 4 to 16 servers;
  // postgres (one primary takes every write) does not autoscale.
  await openService(page, "minio");
  const range = await page.$eval(byId("f-redundancy.replicas"), (el) => [el.min, el.max]);
  check(JSON.stringify(range) === JSON.stringify(["4", "16"]), `minio offers only its own replica range (${range})`);
  await openService(page, "postgres");
  check(await page.$eval(byId("f-scaling.autoscale.min"), (el) => el.disabled), "postgres's autoscaling inputs are disabled");
  check((await page.textContent(`#d-scaling\\.autoscale\\.min`)).includes("cannot be scaled automatically"), "the page says why autoscaling is off");
  await openService(page, "zookeeper");
  const odd = await page.$$eval(`${byId("f-redundancy.replicas")} option`, (os) => os.map((o) => o.value));
  check(JSON.stringify(odd) === JSON.stringify(["1", "3", "5", "7"]), `zookeeper offers odd server counts only (${odd})`);

  // An unknown service gets a clear page, not a blank one.
  await page.goto(`${base}/#/s/casandra`);
  await page.waitForSelector(".note.error");
  check((await page.textContent(".note.error")).includes("did you mean `cassandra`?"), "an unknown service suggests the right one");

  check(problems.length === 0, `no console errors or outside requests: ${problems.join("; ")}`);
  // The server survived everything above, including requests it refused.
  const health = await fetch(`${base}/api/health`);
  check(health.ok && (await health.json()).ok === true, "the server still answers");
  console.log(`e2e: ${checks} checks passed`);
} finally {
  await browser.close();
}
