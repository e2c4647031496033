// A club's stage in Chromium: the page asks who is there, refuses a wrong password with the
// stage's words, lets a performer in to the pieces assigned to their group, says who is logged
// in, and logs out; a coach sees where the group stumbles, changes a verdict and sees the
// take's score change. The stage serves a throwaway database on the test PostgreSQL server
// ($ENCORE_TEST_POSTGRES, else the machine's own on 127.0.0.1:5432), made with psql.
//
// Run: npm ci --prefix tests/browser && node --test tests/browser/

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { artifacts, binary, corpus, executablePath, startStage } from "./support.mjs";

const server = process.env.ENCORE_TEST_POSTGRES || "postgres://postgres@127.0.0.1:5432/postgres";
const name = `encore_browser_${process.pid}_${Date.now()}`;
const database = server.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);

let data;
let stage;
let browser;

const psql = (sql) => execFileSync("psql", [server, "-qAtc", sql], { encoding: "utf8" });
const encore = (args, input = "") =>
  execFileSync(binary, ["--database", database, ...args], { input, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  psql(`CREATE DATABASE ${name}`);
  data = mkdtempSync(join(tmpdir(), "encore-club-"));
  encore(["user", "add", "Ada", "--role", "performer"], "Ada's long password\n");
  encore(["user", "add", "Ms Reyes", "--role", "coach"], "the coach's password\n");
  encore(["group", "add", "Year 10"]);
  encore(["group", "join", "Year 10", "Ada"]);
  encore(["group", "join", "Year 10", "Ms Reyes"]);
  encore(["piece", "add", "Go forward", "--script", join(corpus, "cmu_goforward.txt")]);
  encore(["piece", "add", "Not hers", "--script", join(corpus, "cmu_goforward.txt")]);
  // The recording says "go forward ten meters": "big" is skipped in every take of this one.
  const bigScript = join(data, "big.txt");
  writeFileSync(bigScript, "Go forward ten big meters\n");
  encore(["piece", "add", "Ten big meters", "--script", bigScript]);
  encore(["assign", "Go forward", "Year 10"]);
  encore(["assign", "Ten big meters", "Year 10"]);
  stage = await startStage(data, ["--database", database]);
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  stage?.child.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
  try { psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* the server went first */ }
});

test("a performer logs in to their group's pieces and out again", async () => {
  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(stage.url.origin + "/");
  await page.getByRole("heading", { name: "Log in to your club's stage" }).waitFor();

  await page.getByLabel("Your name").fill("Ada");
  await page.getByLabel("Password").fill("a guess");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "do not match a member" }).waitFor();

  await page.getByLabel("Password").fill("Ada's long password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: /Go forward/ }).waitFor();
  assert.equal(await page.getByText("Not hers").count(), 0, "another group's piece is not listed");
  assert.equal(await page.getByRole("heading", { name: "A new piece" }).count(), 0, "the club adds pieces");
  assert.match(await page.locator("#member").textContent(), /Ada \(performer\)/);
  const cookies = await page.context().cookies();
  const session = cookies.find((cookie) => cookie.name.startsWith("encore_session_"));
  assert.ok(session?.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
  await page.screenshot({ path: join(artifacts, "club-1-pieces.png"), fullPage: true });

  // An upload is kept at once and waits for a worker; its page follows the queue to the report.
  await page.getByRole("link", { name: /Go forward/ }).click();
  await page.goto(page.url() + "/rehearse");
  await page.locator("#upload").setInputFiles(join(corpus, "cmu_goforward.wav"));
  await page.getByRole("status").filter({ hasText: "Next in the queue to be heard" }).waitFor();
  encore(["--threads", "1", "worker", "--once"]);
  await page.getByRole("heading", { name: "The numbers" }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator("dl.numbers dd").first().textContent(), "100%");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in to your club's stage" }).waitFor();
  const answer = await page.request.get(stage.url.origin + "/api/pieces");
  assert.equal(answer.status(), 401, "the session ended");
  assert.deepEqual(problems, []);
});

test("a coach sees where the group stumbles and changes a verdict", async () => {
  // Two takes by Ada, uploaded as she would from the rehearsal room.
  const performer = await browser.newContext();
  const login = await performer.request.post(stage.url.origin + "/api/login", {
    data: { name: "Ada", password: "Ada's long password" },
  });
  assert.equal(login.status(), 200);
  const pieces = await (await performer.request.get(stage.url.origin + "/api/pieces")).json();
  const big = pieces.find((piece) => piece.title === "Ten big meters");
  const wav = readFileSync(join(corpus, "cmu_goforward.wav"));
  const takes = [];
  for (let n = 0; n < 2; n += 1) {
    const answer = await performer.request.post(`${stage.url.origin}/api/pieces/${big.id}/takes`, {
      data: wav, headers: { "X-Filename": "take.wav", "Content-Type": "application/octet-stream" },
    });
    assert.equal(answer.status(), 200, await answer.text());
    takes.push((await answer.json()).take.id);
  }
  await performer.close();
  // A club's takes are heard by its workers.
  encore(["--threads", "1", "worker", "--once"]);

  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(stage.url.origin + "/");
  await page.getByLabel("Your name").fill("Ms Reyes");
  await page.getByLabel("Password").fill("the coach's password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: "Groups" }).click();
  await page.getByRole("link", { name: "Year 10" }).click();
  await page.getByRole("heading", { name: "Year 10", level: 1 }).waitFor();
  const trouble = page.getByRole("list", { name: "Trouble in Ten big meters" });
  assert.match(await trouble.textContent(), /big.*in 2 of 2 takes/s);
  const table = page.getByRole("table", { name: "Ada's takes" });
  assert.match(await table.textContent(), /80%/);
  await page.screenshot({ path: join(artifacts, "club-2-group.png"), fullPage: true });

  await table.getByRole("row").filter({ hasText: "Ten big meters" }).first().getByRole("link").click();
  await page.getByRole("heading", { name: "Change a verdict" }).waitFor();
  const accuracy = page.locator("dl.numbers dd").first();
  assert.equal(await accuracy.textContent(), "80%");
  await page.locator("#change-word").selectOption({ label: "4. big (skipped)" });
  await page.locator("#change-verdict").selectOption("correct");
  await page.getByRole("button", { name: "Change the verdict" }).click();
  await page.getByRole("heading", { name: "Verdicts your coach changed" }).waitFor();
  assert.equal(await page.locator("dl.numbers dd").first().textContent(), "100%", "the score follows the change");
  assert.match(await page.locator(".changes").textContent(), /big.*skipped → correct, by Ms Reyes/s);
  await page.screenshot({ path: join(artifacts, "club-3-verdict-changed.png"), fullPage: true });
  assert.deepEqual(problems, []);
});
