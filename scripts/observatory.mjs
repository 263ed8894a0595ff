// Runs the MDN HTTP Observatory scanner (npm @mdn/mdn-http-observatory, at
// KUBU_OBS_ROOT) on a host name whose address comes from KUBU_OBS_HOSTS
// (JSON {name: ip}; the Observatory's own lookup is overridden), with the
// HTTP and HTTPS ports given. Used by scripts/observatory.sh and by
// internal/scan's TestAgainstObservatory (on the farm's names).
import dns from "node:dns";
const hosts = JSON.parse(process.env.KUBU_OBS_HOSTS || "{}");
const orig = dns.lookup;
dns.lookup = function (host, opts, cb) {
  if (typeof opts === "function") { cb = opts; opts = {}; }
  const ip = hosts[host];
  if (ip) {
    if (opts && opts.all) return process.nextTick(cb, null, [{ address: ip, family: 4 }]);
    return process.nextTick(cb, null, ip, 4);
  }
  return orig.call(dns, host, opts, cb);
};
// The package's scan() drops its options (ports), so this is scan() with
// them passed to retrieve().
const base = process.env.KUBU_OBS_ROOT || "@mdn/mdn-http-observatory/src";
const { retrieve } = await import(base + "/retriever/retriever.js");
const { ALL_TESTS } = await import(base + "/constants.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await import(base + "/grader/charts.js");
const { getGradeForScore, getScoreModifier } = await import(base + "/grader/grader.js");
const [host, httpPort, httpsPort] = process.argv.slice(2);
try {
  const r = await retrieve(host, { httpPort: Number(httpPort), httpsPort: Number(httpsPort) });
  if (!r.responses.auto) throw new Error("The site seems to be down.");
  let withCredit = 100, uncurved = 100;
  const tests = {};
  for (const test of ALL_TESTS) {
    const res = test(r);
    tests[res.constructor.name] = res.result;
    const m = getScoreModifier(res.result);
    withCredit += m;
    if (m < 0) uncurved += m;
  }
  const final = getGradeForScore(uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withCredit : uncurved);
  console.log(JSON.stringify({ score: final.score, grade: final.grade, tests }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e && e.message || e) }));
  process.exit(1);
}
