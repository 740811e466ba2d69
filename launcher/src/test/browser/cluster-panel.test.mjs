// The dashboard's cluster panel in real headless Chromium: nodes named so a person can tell them apart, a third node
// started while the page is open appears, and a drained node goes, without reloading the page.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closeAll, launchBrowser, openPage } from './support/browser.mjs';
import { getJson, planCluster, postJson, startInOrder, startNode, targetDir } from './support/nodes.mjs';

let cluster, a, b, c, browser;

describe('the cluster panel', () => {
  before(async () => {
    cluster = await planCluster(['panel-a', 'panel-b', 'panel-c']);
    [a, b, c] = cluster.nodes;
    c.args.push('--node-name', 'third node');
    await startInOrder(cluster, [a, b]);
    browser = await launchBrowser();
  });

  after(() => closeAll(browser, cluster));

  it('names the nodes, shows a third node join and a drained one go', async () => {
    const page = await openPage(browser, a.url + '/');
    const nameA = `127.0.0.1:${a.bridgePort}`;
    const nameB = `127.0.0.1:${b.bridgePort}`;
    await page.waitForFunction((want) => { const names = [...document.querySelectorAll('#cluster-nodes tr[data-node-id]')].map((r) => r.dataset.name); return names.length === 2 && want.every((n) => names.includes(n)); },
      [nameA, nameB], { timeout: 10000 }).catch(async (e) => { throw new Error(`${e.message}: ${await rows(page)}`); });
    // The serving node by name: what a person tells node 1 from node 2 by.
    await page.waitForFunction((n) => document.getElementById('node-name').textContent === n, nameA, { timeout: 10000 });
    const self = await page.$eval('#cluster-nodes tr.self', (row) => row.dataset.name);
    assert.equal(self, nameA, 'the row of the node that serves the page is marked');
    await page.waitForFunction((n) => [...document.querySelectorAll('#cluster-nodes tr[data-node-id]')]
      .every((r) => r.children[3].textContent === 'ready'), null, { timeout: 10000 });
    const first = await rowsOf(page);
    assert.deepEqual(first.find((r) => r.name === nameA).roles, 'bridge, rest, simulator');

    await startNode(c, cluster.scratch);
    // It shows once it has joined; its state once it answers the others' status requests (a moment later).
    await page.waitForFunction(() => [...document.querySelectorAll('#cluster-nodes tr[data-node-id]')]
      .some((r) => r.dataset.name === 'third node' && r.children[3].textContent === 'ready'), null, { timeout: 10000 })
      .catch(async (e) => { throw new Error(`${e.message}: ${await rows(page)}`); });
    const joined = (await rowsOf(page)).find((r) => r.name === 'third node');
    assert.equal(joined.id, (await getJson(`${c.api}/api/cluster/nodes`)).find((n) => n.self).id);
    await page.screenshot({ path: path.join(targetDir, 'dashboard-cluster.png'), fullPage: true });

    const drained = await postJson(`${b.api}/api/admin/drain`, undefined);
    assert.equal(drained.status, 202);
    await page.waitForFunction((n) => { const names = [...document.querySelectorAll('#cluster-nodes tr[data-node-id]')].map((r) => r.dataset.name); return !names.includes(n) && names.length === 2; }, nameB, { timeout: 15000 })
      .catch(async (e) => { throw new Error(`${e.message}: ${await rows(page)}`); });
    const { code } = await b.process.exited;
    assert.equal(code, 0, 'the drained node left and exited 0');
    b.process = null;
    assert.deepEqual(page.problems, [], 'no console errors');
  });
});

async function rowsOf(page) {
  return page.$$eval('#cluster-nodes tr[data-node-id]', (trs) => trs.map((tr) => ({
    id: tr.dataset.nodeId, name: tr.dataset.name, roles: tr.children[1].textContent, state: tr.children[3].textContent,
  })));
}

async function rows(page) {
  return JSON.stringify(await rowsOf(page));
}
