import type { ScenarioResult } from '../src/load-run';
import type { RunKey } from '../src/options';
import { comparisons, verdicts } from '../src/targets';

/** A page's figures as a run would give them: `rate` req/s, `cpu` ms per request in its server and `engine` in the engine. */
function page(key: RunKey, rate: number, cpu: number, engine = 0, p99Ms = 10): ScenarioResult {
  const server = `server of ${key}`;
  return {
    key,
    label: key,
    products: key.endsWith('-small') ? 12 : 1000,
    server,
    usesEngine: engine > 0,
    connections: key === 'c20' ? 20 : 50,
    seconds: 10,
    rounds: 5,
    requestsPerSecond: rate,
    p50Ms: 1,
    p99Ms,
    requests: rate * 10,
    errors: 0,
    timeouts: 0,
    unexpectedStatus: 0,
    statusCodes: { 200: rate * 10 },
    cpuMsPerRequest: { [server]: cpu, 'embedded engine': engine },
    windowsUs: [],
  };
}

const verdictsOf = (pages: ScenarioResult[]) =>
  Object.fromEntries(verdicts({ scenarios: pages, comparisons: comparisons(pages) }).map((v) => [v.what, v.pass]));

test("issue 25's targets: (b)/(a), (c)/(b), (c) against each peer at both sizes, (c20)'s p99", () => {
  const pages = [
    page('a', 1000, 0.5),
    page('b', 900, 0.6, 0.01),
    page('c', 500, 1, 0.2),
    page('f', 600, 0.8, 0.2),
    // (g): (c) makes twice its req/s, for half its CPU; (h): not quite.
    page('g', 250, 2, 0.4),
    page('h', 260, 2, 0.3),
    page('c-small', 600, 1, 0.1),
    page('g-small', 300, 1.5, 0.7),
    page('h-small', 400, 2, 0.4),
    page('c20', 450, 1, 0.2, 49.9),
  ];
  expect(verdictsOf(pages)).toEqual({
    '(b)/(a) at 1,000 products, req/s': true,
    '(c)/(b) at 1,000 products, req/s': false,
    '(c)/(g) at 1,000 products, req/s': true,
    '(c)/(g) at 1,000 products, CPU per request (g)/(c)': true,
    '(c)/(h) at 1,000 products, req/s': false,
    '(c)/(h) at 1,000 products, CPU per request (h)/(c)': false,
    '(c-small)/(g-small) at 12 products, req/s': true,
    '(c-small)/(g-small) at 12 products, CPU per request (g-small)/(c-small)': true,
    '(c-small)/(h-small) at 12 products, req/s': false,
    '(c-small)/(h-small) at 12 products, CPU per request (h-small)/(c-small)': true,
    '(c20) p99 at 20 connections': true,
    '(c)/(a), req/s': true,
  });
});

test('the floor is compared, not judged; a page that did not run is neither', () => {
  const pages = [page('c', 500, 1, 0.2), page('f', 400, 0.9, 0.2)];
  expect(comparisons(pages)).toEqual([
    expect.objectContaining({ of: 'c', against: 'f', requestsRatio: 1.25, targets: {} }),
  ]);
  expect(verdictsOf(pages)).toEqual({});
});
