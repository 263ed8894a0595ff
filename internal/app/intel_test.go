package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/contain/scim/scimtest"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// within polls cond until it holds, failing the test when it does not
// within limit (the contract's bound, not a guess at speed).
func within(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return time.Since(start)
}

// edl fetches a block list with a feed token.
func (ta *testApp) edl(t *testing.T, list, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", ta.srv.URL+"/feeds/edl/"+list, nil)
	if token != "" {
		req.SetBasicAuth("paloalto", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// axfr transfers the zone with the real dig.
func axfr(t *testing.T, addr, zone string) string {
	t.Helper()
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Fatal("dig is needed (checked before)")
	}
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(dig, "@"+host, "-p", port, zone, "AXFR", "+tcp", "+time=3", "+tries=1").CombinedOutput()
	if err != nil {
		t.Fatalf("dig: %v\n%s", err, out)
	}
	return string(out)
}

func needDig(t *testing.T) {
	if _, err := exec.LookPath("dig"); err != nil {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("dig not found but KUBU_TEST_REQUIRE_SERVICES is set: apt-get install -y bind9-dnsutils")
		}
		t.Skip("dig not found (apt-get install bind9-dnsutils)")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestContainmentAcceptance is contract §7's containment on both engines:
// a block approved by a second analyst reaches the EDL and a real dig
// AXFR of the RPZ zone within 5 s; the requester approving is 409; expiry
// removes it within 5 s; a dry run changes nothing; an account disable
// reaches the SCIM provider as active:false and its revocation as
// active:true.
func TestContainmentAcceptance(t *testing.T) {
	needDig(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		idp := scimtest.New(t, map[string]string{"bjensen@moh.example.gov": "2819c223"})
		rpzAddr := freePort(t)
		ta := newTestAppWith(t, db.Engine, func(c *config.Config) {
			c.Intel = config.Intel{RPZAddr: rpzAddr, RPZZone: "rpz.kubu.", SCIMURL: idp.URL, SCIMToken: scimtest.Token, MinTTL: time.Second}
		})
		mon, err := ta.StartMonitoring(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mon.Stop(context.Background()) })

		code, body := ta.do(t, "admin", "POST", "/api/v1/feeds/tokens", `{"name":"palo-alto-hq"}`)
		if code != 201 {
			t.Fatalf("feed token: %d %v", code, body)
		}
		feed := body["token"].(string)
		if code, _ := ta.edl(t, "ip.txt", ""); code != 401 {
			t.Fatalf("EDL without a token: %d", code)
		}
		if code, _ := ta.edl(t, "ip.txt", "kubu_feed_wrong"); code != 401 {
			t.Fatalf("EDL with a wrong token: %d", code)
		}

		// A dry run answers and changes nothing.
		var auditBefore int
		ta.DB.R().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log`).Scan(&auditBefore)
		code, body = ta.do(t, "analyst", "POST", "/api/v1/containment", `{"type":"ip","value":"203.0.113.7","ttl":"24h","reason":"C2","dry_run":true}`)
		if code != 200 || body["dry_run"] != true || body["id"] != nil || len(body["changes"].([]any)) != 1 {
			t.Fatalf("dry run: %d %v", code, body)
		}
		var auditAfter int
		ta.DB.R().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log`).Scan(&auditAfter)
		if _, list := ta.do(t, "analyst", "GET", "/api/v1/containment", nil); len(list["items"].([]any)) != 0 || auditAfter != auditBefore {
			t.Fatalf("the dry run changed something: %v, %d audit entries", list, auditAfter-auditBefore)
		}

		// A block, approved by a second analyst.
		code, body = ta.do(t, "analyst", "POST", "/api/v1/containment", `{"type":"ip","value":"203.0.113.7","ttl":"24h","reason":"C2 beacon"}`)
		if code != 201 || body["status"] != "pending" || body["id"] == nil {
			t.Fatalf("request: %d %v", code, body)
		}
		ipID := body["id"].(string)
		if code, body := ta.do(t, "analyst", "POST", "/api/v1/containment/"+ipID+"/approve", nil); code != 409 {
			t.Fatalf("the requester approving: %d %v", code, body)
		}
		if _, list := ta.edl(t, "ip.txt", feed); strings.Contains(list, "203.0.113.7") {
			t.Fatal("a pending block is published")
		}
		code, body = ta.do(t, "admin", "POST", "/api/v1/containment/"+ipID+"/approve", nil)
		if code != 200 || body["status"] != "active" {
			t.Fatalf("approve: %d %v", code, body)
		}
		took := within(t, 5*time.Second, "the address in ip.txt", func() bool {
			_, list := ta.edl(t, "ip.txt", feed)
			return list == "203.0.113.7\n"
		})
		t.Logf("ip.txt followed the approval in %v", took)

		// A domain block reaches the response policy zone.
		code, body = ta.do(t, "a-admin", "POST", "/api/v1/containment", `{"type":"domain","value":"Evil-C2.example","ttl":"3s","reason":"phishing"}`)
		if code != 201 {
			t.Fatalf("domain request: %d %v", code, body)
		}
		domID := body["id"].(string)
		if code, _ := ta.do(t, "analyst", "POST", "/api/v1/containment/"+domID+"/approve", nil); code != 200 {
			t.Fatalf("domain approve: %d", code)
		}
		within(t, 5*time.Second, "the domain in a dig AXFR", func() bool {
			z := axfr(t, rpzAddr, "rpz.kubu.")
			return strings.Contains(z, "evil-c2.example.rpz.kubu.") && strings.Contains(z, "*.evil-c2.example.rpz.kubu.") &&
				strings.Contains(z, "CNAME\t.")
		})
		if _, list := ta.edl(t, "domain.txt", feed); list != "evil-c2.example\n*.evil-c2.example\n" {
			t.Fatalf("domain.txt %q", list)
		}
		// Expiry (3 s) removes it from both within 5 s.
		_, got := ta.do(t, "analyst", "GET", "/api/v1/containment/"+domID, nil)
		expires, _ := time.Parse(time.RFC3339, got["expires_at"].(string))
		time.Sleep(time.Until(expires))
		within(t, 5*time.Second, "the expired domain gone from the EDL and the zone", func() bool {
			_, list := ta.edl(t, "domain.txt", feed)
			return list == "" && !strings.Contains(axfr(t, rpzAddr, "rpz.kubu."), "evil-c2")
		})
		within(t, 5*time.Second, "the expiry recorded", func() bool {
			_, got := ta.do(t, "analyst", "GET", "/api/v1/containment/"+domID, nil)
			return got["status"] == "expired"
		})

		// Revocation, and tenancy: MOE's member sees nothing of MOH's.
		if code, _ := ta.do(t, "b-member", "GET", "/api/v1/containment/"+domID, nil); code != 404 {
			t.Fatalf("MOE member reading MOH's action: %d", code)
		}
		if code, _ := ta.do(t, "a-member", "POST", "/api/v1/containment", `{"type":"ip","value":"203.0.113.8","ttl":"1h","reason":"x"}`); code != 403 {
			t.Fatalf("agency member requesting: %d", code)
		}
		code, body = ta.do(t, "analyst", "POST", "/api/v1/containment/"+ipID+"/revoke", nil)
		if code != 200 || body["status"] != "revoked" {
			t.Fatalf("revoke: %d %v", code, body)
		}
		within(t, 5*time.Second, "the revoked address gone", func() bool { _, list := ta.edl(t, "ip.txt", feed); return list == "" })

		// Guard rails answer 422 with the reason.
		code, body = ta.do(t, "analyst", "POST", "/api/v1/containment", `{"type":"cidr","value":"10.0.0.0/8","ttl":"1h","reason":"x"}`)
		if code != 422 || body["error"].(map[string]any)["code"] != "refused" {
			t.Fatalf("a wide private range: %d %v", code, body)
		}
		if code, _ := ta.do(t, "analyst", "POST", "/api/v1/containment", `{"type":"ip","value":"127.0.0.1","ttl":"1h","reason":"x"}`); code != 422 {
			t.Fatalf("loopback: %d", code)
		}

		// An account disable reaches the SCIM provider; revoking enables it.
		code, body = ta.do(t, "analyst", "POST", "/api/v1/containment", `{"type":"account","value":"bjensen@moh.example.gov","ttl":"4h","reason":"stolen session"}`)
		if code != 201 {
			t.Fatalf("account: %d %v", code, body)
		}
		accID := body["id"].(string)
		ta.do(t, "admin", "POST", "/api/v1/containment/"+accID+"/approve", nil)
		within(t, 10*time.Second, "PATCH active:false", func() bool { p := idp.Patches(); return len(p) == 1 && !p[0].Active })
		ta.do(t, "analyst", "POST", "/api/v1/containment/"+accID+"/revoke", nil)
		within(t, 10*time.Second, "PATCH active:true", func() bool { p := idp.Patches(); return len(p) == 2 && p[1].Active && p[1].UserID == "2819c223" })
		// The connector records the release once the provider has answered,
		// which is after the provider saw the PATCH: wait for it.
		within(t, 10*time.Second, "connector released", func() bool {
			_, body = ta.do(t, "analyst", "GET", "/api/v1/containment/"+accID, nil)
			return body["connector"].(map[string]any)["state"] == "released"
		})
	})
}

// bundle10k is a STIX bundle of n indicators: addresses, domains and
// SHA-256 hashes in turn.
func bundle10k(n int) (string, func(i int) (id, value string)) {
	val := func(i int) (string, string) {
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i)
		switch i % 3 {
		case 0:
			return id, fmt.Sprintf("11.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		case 1:
			return id, fmt.Sprintf("c2-%d.evil-test.net", i)
		}
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		return id, hex.EncodeToString(h[:])
	}
	var b strings.Builder
	b.WriteString(`{"type":"bundle","id":"bundle--11111111-0000-4000-8000-000000000000","objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		id, v := val(i)
		var pattern string
		switch i % 3 {
		case 0:
			pattern = "[ipv4-addr:value = '" + v + "']"
		case 1:
			pattern = "[domain-name:value = '" + v + "']"
		default:
			pattern = "[file:hashes.'SHA-256' = '" + v + "']"
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"ioc %d","pattern":%q,"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":90}`,
			id, i, pattern)
	}
	b.WriteString(`]}`)
	return b.String(), val
}

// TestIntelAcceptance is contract §7's threat intelligence on both
// engines: a 10,000-indicator STIX bundle imports; events over HEC holding
// one of its addresses, a subdomain of one of its domains and one of its
// hashes raise ioc alerts for the token's agency, with rule_id the STIX id;
// malformed STIX and unsupported patterns are answered cleanly; the TAXII
// server shares the indicators with an agency's token.
func TestIntelAcceptance(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		mon, err := ta.StartMonitoring(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mon.Stop(context.Background()) })

		b, val := bundle10k(10000)
		code, body := ta.do(t, "analyst", "POST", "/api/v1/intel/stix?source=national-cert", b)
		if code != 200 || body["imported"] != float64(10000) || len(body["skipped"].([]any)) != 0 || len(body["errors"].([]any)) != 0 {
			t.Fatalf("import 10k: %d imported=%v skipped=%d errors=%v", code, body["imported"], len(body["skipped"].([]any)), body["errors"])
		}
		code, body = ta.do(t, "analyst", "POST", "/api/v1/intel/stix", `{"type":"bundle","id":"bundle--x","objects":[`+
			`{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[process:name = 'evil.exe']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},`+
			`{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"yara rule","pattern_type":"yara","valid_from":"2026-01-01T00:00:00Z"},`+
			`{"type":"indicator","id":"oops"}]}`)
		if code != 200 || body["imported"] != float64(0) || len(body["skipped"].([]any)) != 2 || len(body["errors"].([]any)) != 1 {
			t.Fatalf("unsupported patterns: %d %v", code, body)
		}
		for _, bad := range []string{"{not json", `{"type":"report"}`, ""} {
			code, body = ta.do(t, "analyst", "POST", "/api/v1/intel/stix", bad)
			if code != 400 || body["error"].(map[string]any)["code"] != "invalid_stix" {
				t.Fatalf("malformed %q: %d %v", bad, code, body)
			}
		}
		if code, _ := ta.do(t, "a-admin", "POST", "/api/v1/intel/stix", b[:100]); code != 403 {
			t.Fatalf("agency admin importing: %d", code)
		}
		waitUntil(t, "10,000 indicators loaded", func() bool { st, ok := ta.Intel.Loaded(); return ok && st.Indicators == 10000 })

		code, body = ta.do(t, "admin", "POST", "/api/v1/intake/tokens", `{"agency":"MOH","name":"hec"}`)
		if code != 201 {
			t.Fatalf("intake token: %d %v", code, body)
		}
		token := body["token"].(string)
		ipID, ip := val(3)
		domID, dom := val(4)
		hashID, hash := val(5)
		hec := fmt.Sprintf(`{"host":"ws1","event":{"EventID":3,"DestinationIp":%q}}`+"\n"+
			`{"host":"ws2","event":{"EventID":22,"QueryName":"www.%s"}}`+"\n"+
			`{"host":"ws3","event":{"EventID":1,"Hashes":"MD5=00,SHA256=%s"}}`+"\n"+
			`{"host":"ws4","event":{"EventID":22,"QueryName":"not%s"}}`, ip, dom, strings.ToUpper(hash), dom)
		req, _ := http.NewRequest("POST", ta.srv.URL+"/services/collector/event", strings.NewReader(hec))
		req.Header.Set("Authorization", "Splunk "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("HEC: %v %v", resp, err)
		}
		resp.Body.Close()
		want := map[string]string{ipID: "ws1", domID: "ws2", hashID: "ws3"}
		waitUntil(t, "three ioc alerts", func() bool {
			_, body := ta.do(t, "analyst", "GET", "/api/v1/alerts", nil)
			return len(body["items"].([]any)) >= 3
		})
		_, body = ta.do(t, "a-member", "GET", "/api/v1/alerts", nil)
		items := body["items"].([]any)
		if len(items) != 3 {
			t.Fatalf("MOH sees %d alerts: %v", len(items), items)
		}
		for _, it := range items {
			a := it.(map[string]any)
			host, ok := want[a["rule_id"].(string)]
			if !ok || a["kind"] != "ioc" || a["agency"] != "MOH" || a["group"].(map[string]any)["host"] != host {
				t.Errorf("alert %v", a)
			}
		}
		if _, body := ta.do(t, "b-member", "GET", "/api/v1/alerts", nil); len(body["items"].([]any)) != 0 {
			t.Fatalf("MOE sees MOH's alerts: %v", body)
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/intel/indicators?stix_id="+ipID, nil)
		if ind := body["items"].([]any)[0].(map[string]any); ind["hits"] != float64(1) || ind["value"] != ip {
			t.Fatalf("indicator %v", ind)
		}

		// One click from the indicator: a retro-hunt over what was stored.
		indID := body["items"].([]any)[0].(map[string]any)["id"].(string)
		code, body = ta.do(t, "analyst", "POST", "/api/v1/intel/hunts", map[string]any{"indicator_id": indID, "from": time.Now().Add(-time.Hour).Format(time.RFC3339)})
		if code != 202 {
			t.Fatalf("hunt: %d %v", code, body)
		}
		huntID := body["id"].(string)
		waitUntil(t, "the retro-hunt", func() bool {
			_, body = ta.do(t, "analyst", "GET", "/api/v1/intel/hunts/"+huntID, nil)
			return body["status"] == "done"
		})
		if body["matches"] != float64(1) || body["events_scanned"].(float64) < 4 {
			t.Fatalf("hunt %v", body)
		}

		// TAXII: an agency's API token reads the collection.
		get := func(who, path string) (int, string) {
			req, _ := http.NewRequest("GET", ta.srv.URL+path, nil)
			req.Header.Set("Accept", "application/taxii+json;version=2.1")
			if who != "" {
				req.Header.Set("Authorization", "Bearer "+ta.tokens[who])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, _ := get("", "/taxii2/"); code != 401 {
			t.Fatalf("TAXII without a token: %d", code)
		}
		if code, _ := get("researcher", "/taxii2/api/collections/"); code != 403 {
			t.Fatalf("TAXII as a researcher: %d", code)
		}
		code, out := get("a-member", "/taxii2/api/collections/")
		if code != 200 || !strings.Contains(out, "kubu indicators") {
			t.Fatalf("collections: %d %s", code, out)
		}
		code, out = get("a-member", "/taxii2/api/collections/5c0e4f7a-6b1d-4a8e-9c2f-6b75627531a0/objects/?limit=5")
		if code != 200 || strings.Count(out, `"type":"indicator"`) != 5 || !strings.Contains(out, `"more":true`) {
			t.Fatalf("objects: %d %.300s", code, out)
		}
	})
}
